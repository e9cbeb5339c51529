// tsmongoose WebSocket echo server for tests/bench/ws.mjs: every message is
// sent back with its opcode. Built from dist/ (imported by package name).
// WS_ECHO=copy echoes `msg.data` (a copy out to JavaScript and back, what
// code that keeps or transforms the payload pays); the default passes the
// message itself, which sends the payload from where the core holds it.
// WS_DEFLATE=1 accepts permessage-deflate (the ws-deflate.mjs rows).
import { init, Manager, MG_EV_HTTP_MSG, MG_EV_WS_MSG } from "tsmongoose";
import { serveIpc } from "./common.mjs";

const copy = process.env.WS_ECHO === "copy";
const upgradeOpts = { deflate: process.env.WS_DEFLATE === "1" };
await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) conn.wsUpgrade(data, undefined, upgradeOpts);
  else if (ev === MG_EV_WS_MSG) conn.wsSend(copy ? data.data : data, data.opcode);
}, { limits: { maxWsMessageSize: 2 * 1024 * 1024 } });
const listener = mgr.listen("http://127.0.0.1:0");
void mgr.run({ signals: [] });
serveIpc(listener.localAddr.port, async () => mgr.close(),
  copy ? "echo in the handler: conn.wsSend(msg.data, msg.opcode)" : "echo in the handler: conn.wsSend(msg, msg.opcode)");
