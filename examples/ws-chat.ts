// ws-chat.ts: a broadcast chat over WebSocket (the reference's
// websocket_broadcast). GET / serves a page; the page opens
// ws://<host>/websocket; every text message a client sends is broadcast to
// every connected client, with join/leave notices. Ctrl+C (or SIGTERM) shuts
// down gracefully: every open WebSocket gets close 1001 ("going away") and
// the process exits once the browsers answered (or after 5 s).
// PORT (default 8000; 0 = any free port), HOST (default 127.0.0.1).
import { init, Manager, MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_TEXT } from "tsmongoose";
import type { Connection, HttpMessage, WsMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const host = process.env.HOST ?? "127.0.0.1";

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>tsmongoose chat</title>
<style>body{font:15px sans-serif;margin:2em}#log{border:1px solid #ccc;height:18em;overflow:auto;padding:.5em}</style>
</head><body>
<h1>Chat</h1>
<div id="log"></div>
<form id="f"><input id="msg" autocomplete="off" size="50" placeholder="Say something"> <button>Send</button></form>
<script>
const log = document.getElementById("log");
const show = (t) => { const p = document.createElement("div"); p.textContent = t; log.append(p); log.scrollTop = log.scrollHeight; };
const ws = new WebSocket("ws://" + location.host + "/websocket");
ws.onopen = () => show("[connected]");
ws.onmessage = (e) => show(e.data);
ws.onclose = (e) => show("[closed " + e.code + (e.reason ? ": " + e.reason : "") + "]");
document.getElementById("f").onsubmit = (e) => {
  e.preventDefault();
  const m = document.getElementById("msg");
  if (m.value) ws.send(m.value);
  m.value = "";
};
</script>
</body></html>
`;

const members = new Set<Connection>();

function broadcast(text: string): void {
  for (const c of members) c.wsSend(text, WEBSOCKET_OP_TEXT);
}

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    if (hm.uri === "/websocket") conn.wsUpgrade(hm);
    else if (hm.uri === "/") conn.reply(200, PAGE, { "Content-Type": "text/html; charset=utf-8" });
    else conn.reply(404, "Not found\n");
  } else if (ev === MG_EV_WS_OPEN) {
    members.add(conn);
    broadcast(`* user${conn.id} joined (${members.size} here)`);
  } else if (ev === MG_EV_WS_MSG) {
    const msg = data as WsMessage;
    if (msg.opcode === WEBSOCKET_OP_TEXT) broadcast(`user${conn.id}: ${msg.text}`);
  } else if (ev === MG_EV_CLOSE && members.delete(conn)) {
    broadcast(`* user${conn.id} left`);
  }
});

mgr.onShutdown((signal) => {
  console.log(`Received ${signal ?? "a shutdown request"}: closing ${members.size} WebSocket(s) with 1001...`);
});

const listener = mgr.listen(`http://${host}:${port}`);
console.log(`Server running on http://${host}:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");
const report = await mgr.run({ shutdownTimeoutMs: 5000 });
console.log(`shutdown report: ${JSON.stringify(report)}`);
console.log("Chat stopped");
