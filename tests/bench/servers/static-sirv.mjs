// sirv over node:http (argv[2] = the root), production mode (its defaults:
// the file list and stats are read once at start-up, ETags on).
import { createServer } from "node:http";
import sirv from "sirv";
import { serveIpc } from "./common.mjs";

const serve = sirv(process.argv[2], { etag: true });
const server = createServer((req, res) => serve(req, res, () => { res.statusCode = 404; res.end("Not found"); }));
server.keepAliveTimeout = 120_000;
server.listen(0, "127.0.0.1", () => {
  serveIpc(server.address().port, () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }), "sirv over node:http");
});
