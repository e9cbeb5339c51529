// node:http answering the bench's Hono routes by hand (no framework): the
// baseline under both Hono servers.
import { createServer } from "node:http";
import { JSON_BODY } from "./hono-app.mjs";
import { serveIpc } from "./common.mjs";

const HELLO = "Hello, World!";
const server = createServer((req, res) => {
  let body = HELLO, type = "text/plain; charset=UTF-8";
  if (req.url === "/json") {
    body = JSON_BODY;
    type = "application/json";
  } else if (req.url.startsWith("/users/")) {
    body = JSON.stringify({ id: req.url.slice(7), name: "user" });
    type = "application/json";
  }
  res.writeHead(200, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 120_000;
server.listen(0, "127.0.0.1", () => {
  serveIpc(server.address().port, () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }), "node:http, hand-written routes");
});
