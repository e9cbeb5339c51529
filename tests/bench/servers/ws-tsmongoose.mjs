// tsmongoose WebSocket echo server for tests/bench/ws.mjs: every message is
// sent back with its opcode. Built from dist/ (imported by package name).
import { init, Manager, MG_EV_HTTP_MSG, MG_EV_WS_MSG } from "tsmongoose";
import { serveIpc } from "./common.mjs";

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) conn.wsUpgrade(data);
  else if (ev === MG_EV_WS_MSG) conn.wsSend(data.data, data.opcode);
}, { limits: { maxWsMessageSize: 2 * 1024 * 1024 } });
const listener = mgr.listen("http://127.0.0.1:0");
void mgr.run({ signals: [] });
serveIpc(listener.localAddr.port, async () => mgr.close(), "echo in the handler: conn.wsSend(msg.data, msg.opcode)");
