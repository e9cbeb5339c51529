// cluster.ts: one server on every core, with fleet-wide graceful shutdown
// and zero-downtime reload.
//
// The primary (this file, run with node) forks WORKERS workers (default: one
// per core) that all listen on PORT (default 8000; 0 picks a free port, which
// node:cluster gives every worker alike). Signals to the primary:
//   SIGINT / SIGTERM  every worker shuts down gracefully; a second press
//                     (1 s or more after the first) forces
//   SIGHUP            reload: a fresh set of workers starts, and once each is
//                     listening the old set shuts down gracefully
// A worker that crashes is respawned (with a backoff). Routes:
//   /          "Hello from worker <pid>"
//   /slow?ms=N a streamed answer: the head at once, the body after N ms (default 1000)
//   /crash     the worker exits at once (to see a respawn)
import cluster from "node:cluster";
import { init, Manager, MG_EV_HTTP_MSG, runCluster } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const shutdownTimeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10_000);

if (cluster.isPrimary) {
  const workers = process.env.WORKERS ? Number(process.env.WORKERS) : undefined;
  const fleet = runCluster({ workers, shutdownTimeoutMs });
  console.log(`primary ${process.pid}: ${fleet.workers.length} workers; SIGHUP reloads, SIGTERM stops`);
  const report = await fleet.done;
  console.log(`cluster report: ${JSON.stringify(report)}`);
} else {
  await init();
  const mgr = new Manager((conn, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    if (hm.uri === "/slow") {
      const ms = Number(hm.queryVar("ms") ?? 1000);
      conn.httpStart(200);
      mgr.timerAdd(ms, () => {
        if (conn.closed) return;
        conn.httpChunk(`Slow hello from worker ${process.pid}\n`);
        conn.httpChunk("");
      });
    } else if (hm.uri === "/crash") {
      process.exit(1);
    } else {
      conn.reply(200, `Hello from worker ${process.pid}\n`);
    }
  });
  const listener = mgr.listen(`http://127.0.0.1:${port}`);
  const { port: bound } = await listener.listening();
  console.log(`worker ${process.pid} listening on http://127.0.0.1:${bound}`);
  const report = await mgr.run({ shutdownTimeoutMs });
  console.log(`worker ${process.pid} report: ${JSON.stringify(report)}`);
}
