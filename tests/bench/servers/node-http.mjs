// node:http hello world, the baseline. Answers with the same status line,
// Content-Type and Content-Length as the tsmongoose server; node:http adds
// its own Connection/Keep-Alive headers (the Date header is switched off).
import { createServer } from "node:http";
import { HELLO, BIG, UPLOADED, serveIpc } from "./common.mjs";

function answer(res, body) {
  res.sendDate = false;
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": body.length });
  res.end(body);
}

const server = createServer((req, res) => {
  if (req.method === "POST") {
    let received = 0;
    req.on("data", (chunk) => { received += chunk.length; });
    req.on("end", () => answer(res, UPLOADED));
    return;
  }
  answer(res, req.url === "/100k" ? BIG : HELLO);
});
// Idle keep-alive sockets must stay open for the memory measurement.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, "127.0.0.1", () => {
  serveIpc(server.address().port, () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
});
