// node:http + node:cluster hello world, the baseline of the cluster bench:
// WORKERS workers on one port (PORT, 0 = any), each printing
// "worker PID listening on http://127.0.0.1:PORT". SIGTERM: server.close()
// in every worker, then exit. SIGHUP: the usual hand-made reload: fork a
// fresh set, and once each listens, server.close() in the old ones.
import cluster from "node:cluster";
import { createServer } from "node:http";
import { availableParallelism } from "node:os";

if (cluster.isPrimary) {
  const n = Number(process.env.WORKERS || availableParallelism());
  for (let i = 0; i < n; i++) cluster.fork();
  process.on("SIGTERM", () => {
    for (const w of Object.values(cluster.workers)) w.process.kill("SIGTERM");
  });
  process.on("SIGHUP", () => {
    const old = Object.values(cluster.workers);
    let up = 0;
    for (let i = 0; i < n; i++) {
      cluster.fork().once("listening", () => {
        if (++up === n) for (const w of old) w.process.kill("SIGTERM");
      });
    }
  });
} else {
  const server = createServer((req, res) => {
    res.sendDate = false;
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": 13 });
    res.end("Hello, World!");
  });
  server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
    console.log(`worker ${process.pid} listening on http://127.0.0.1:${server.address().port}`);
  });
  process.on("SIGTERM", () => {
    server.close(() => process.exit(0));
  });
}
