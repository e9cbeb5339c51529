// serve-static (express.static) over node:http (argv[2] = the root).
import { createServer } from "node:http";
import serveStatic from "serve-static";
import { serveIpc } from "./common.mjs";

const serve = serveStatic(process.argv[2]);
const server = createServer((req, res) => serve(req, res, () => { res.statusCode = 404; res.end("Not found"); }));
server.keepAliveTimeout = 120_000;
server.listen(0, "127.0.0.1", () => {
  serveIpc(server.address().port, () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }), "serve-static over node:http");
});
