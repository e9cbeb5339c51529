// ws-chat.ts: a broadcast chat over WebSocket (the reference's
// websocket_broadcast). GET / serves a page; the page opens
// ws://<host>/websocket; every text message a client sends is broadcast to
// every connected client, with join/leave notices. Ctrl+C (or SIGTERM) shuts
// down gracefully: every open WebSocket gets close 1001 ("going away") and
// the process exits once the browsers answered (or after 5 s).
// PORT (default 8000; 0 = any free port), HOST (default 127.0.0.1).
// WORKERS=n: runCluster() forks n workers sharing the port; each broadcast
// goes through the cluster bus, so it reaches every tab whichever worker
// holds it (names then carry the worker's pid: user<pid>.<id>).
import cluster from "node:cluster";
import {
  clusterBusAvailable, clusterChannel, init, Manager, MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, runCluster,
  WEBSOCKET_OP_TEXT,
} from "tsmongoose";
import type { Connection, HttpMessage, WsMessage } from "tsmongoose";

if (cluster.isPrimary && process.env.WORKERS) {
  const fleet = runCluster({ workers: Number(process.env.WORKERS), shutdownTimeoutMs: 5000 });
  console.log(`primary ${process.pid}: ${fleet.workers.length} chat workers`);
  const report = await fleet.done;
  console.log(`cluster report: ${JSON.stringify(report)}`);
  process.exit(0);
}

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
// Clustered: every worker's broadcast goes through the primary and comes back
// to all workers (echo: this one too), so every tab sees one order.
const bus = clusterBusAvailable() ? clusterChannel<string>("ws-chat", { echo: true }) : undefined;
const name = (c: Connection): string => (bus ? `user${process.pid}.${c.id}` : `user${c.id}`);

function deliver(text: string): void {
  for (const c of members) c.wsSend(text, WEBSOCKET_OP_TEXT);
}
function broadcast(text: string): void {
  if (bus) bus.send(text);
  else deliver(text);
}
bus?.onMessage(deliver);

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    if (hm.uri === "/websocket") conn.wsUpgrade(hm);
    else if (hm.uri === "/") conn.reply(200, PAGE, { "Content-Type": "text/html; charset=utf-8" });
    else conn.reply(404, "Not found\n");
  } else if (ev === MG_EV_WS_OPEN) {
    members.add(conn);
    broadcast(`* ${name(conn)} joined (${members.size} here${bus ? `, on worker ${process.pid}` : ""})`);
  } else if (ev === MG_EV_WS_MSG) {
    const msg = data as WsMessage;
    if (msg.opcode === WEBSOCKET_OP_TEXT) broadcast(`${name(conn)}: ${msg.text}`);
  } else if (ev === MG_EV_CLOSE && members.delete(conn)) {
    broadcast(`* ${name(conn)} left`);
  }
});

mgr.onShutdown((signal) => {
  console.log(`Received ${signal ?? "a shutdown request"}: closing ${members.size} WebSocket(s) with 1001...`);
});

const listener = mgr.listen(`http://${host}:${port}`);
const { port: bound } = await listener.listening(); // in a cluster worker the bind completes later
if (bus) console.log(`worker ${process.pid} listening on http://${host}:${bound}`);
else console.log(`Server running on http://${host}:${bound}`);
console.log("Press Ctrl+C to stop");
const report = await mgr.run({ shutdownTimeoutMs: 5000 });
bus?.close();
console.log(`shutdown report: ${JSON.stringify(report)}`);
console.log("Chat stopped");
