// `ws` (npm) WebSocket echo server for tests/bench/ws.mjs: the same echo,
// on a node:http server, no compression (ws's server default); WS_DEFLATE=1
// turns permessage-deflate on (the ws-deflate.mjs rows).
import { createServer } from "node:http";
import { WebSocketServer } from "ws";
import { serveIpc } from "./common.mjs";

const http = createServer();
const perMessageDeflate = process.env.WS_DEFLATE === "1";
const wss = new WebSocketServer({ server: http, maxPayload: 2 * 1024 * 1024, perMessageDeflate });
wss.on("connection", (s) => s.on("message", (data, binary) => s.send(data, { binary })));
http.listen(0, "127.0.0.1", () => {
  serveIpc(http.address().port, async () => { wss.close(); http.close(); }, "echo: s.send(data, { binary })");
});
