// node:https hello world, the TLS bench baseline (tls.mjs): same answer as
// tsmongoose-tls.mjs, certificate and key from BENCH_TLS_CERT / BENCH_TLS_KEY.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { HELLO, serveIpc } from "./common.mjs";

const server = createServer({ cert: readFileSync(process.env.BENCH_TLS_CERT), key: readFileSync(process.env.BENCH_TLS_KEY) },
  (req, res) => {
    res.sendDate = false;
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": HELLO.length });
    res.end(HELLO);
  });
server.keepAliveTimeout = 120_000;
server.listen(0, "127.0.0.1", () => {
  serveIpc(server.address().port, () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
});
