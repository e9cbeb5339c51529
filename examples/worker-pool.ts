// worker-pool.ts: CPU work on a pool of worker threads, answers delivered
// with wakeup. The handler puts a job on a queue; a worker takes it, computes
// and calls wakeup(handle, connId, result) from its own thread; the
// connection gets MG_EV_WAKEUP on the main thread and replies. The event
// loop never blocks, so Ctrl+C is handled at once even while workers are
// busy.
//
// Shutdown: mgr.run() handles SIGINT/SIGTERM. The onShutdown hook puts one
// poison pill (null) per worker on the queue, behind the jobs already
// queued, so every accepted job is still computed and answered; then it
// joins the workers, terminating any still busy after JOIN_TIMEOUT_MS
// (default 5000) and answering every job left unanswered with 503.
//
// GET /?n=1000000 counts the primes below n. PORT (default 8000; 0 = any free
// port), WORKERS (default 4).
import { Worker } from "node:worker_threads";
import { init, Manager, MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_WAKEUP } from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";
import type { Job } from "./worker-pool-worker";

const port = Number(process.env.PORT ?? 8000);
const workerCount = Number(process.env.WORKERS ?? 4);
const joinTimeoutMs = Number(process.env.JOIN_TIMEOUT_MS ?? 5000);
// Built next to this file as worker-pool-worker.mjs (or .ts when run from source).
const workerUrl = new URL(import.meta.url.endsWith(".ts") ? "./worker-pool-worker.ts" : "./worker-pool-worker.mjs", import.meta.url);

/** The shared work queue: jobs and poison pills (null) wait here until a worker asks for one. */
class WorkQueue {
  readonly #items: (Job | null)[] = [];
  readonly #idle: Worker[] = [];
  /** The job each worker is computing. */
  readonly current = new Map<Worker, Job>();

  put(item: Job | null): void {
    const worker = this.#idle.shift();
    if (worker) this.#give(worker, item);
    else this.#items.push(item);
  }

  /** `worker` finished its job (or just started) and wants the next item. */
  get(worker: Worker): void {
    this.current.delete(worker);
    if (this.#items.length > 0) this.#give(worker, this.#items.shift()!);
    else this.#idle.push(worker);
  }

  /** Take every job no worker picked up (left behind when workers are terminated). */
  takeQueuedJobs(): Job[] {
    const jobs = this.#items.filter((item): item is Job => item !== null);
    this.#items.length = 0;
    return jobs;
  }

  #give(worker: Worker, item: Job | null): void {
    if (item) this.current.set(worker, item);
    worker.postMessage(item);
  }
}

/** Wait up to `timeoutMs` for `worker` to exit, then terminate it. Resolves true if it exited by itself. */
function join(worker: Worker, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve(false);
    }, timeoutMs);
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const workQueue = new WorkQueue();
const workers: Worker[] = [];
const waiting = new Map<number, Connection>(); // conn.id -> connection whose job is in the pool
const decoder = new TextDecoder();

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    const n = Number((data as HttpMessage).queryVar("n") ?? 100_000);
    if (!Number.isInteger(n) || n < 2 || n > 100_000_000) {
      conn.reply(400, "n must be an integer in 2..100000000\n");
      return;
    }
    waiting.set(conn.id, conn);
    workQueue.put({ connId: conn.id, n });
  } else if (ev === MG_EV_WAKEUP) {
    // A worker's answer: a Uint8Array copy of what it passed to wakeup().
    waiting.delete(conn.id);
    conn.reply(200, decoder.decode(data as Uint8Array));
  } else if (ev === MG_EV_CLOSE) {
    waiting.delete(conn.id); // a late answer for it is dropped by the manager
  }
}, { enableWakeup: true });

for (let i = 0; i < workerCount; i++) {
  // One handle per worker: its port moves into the worker.
  const handle = mgr.wakeupHandle();
  const worker = new Worker(workerUrl, { workerData: { handle, name: `worker-${i + 1}` }, transferList: [handle.port] });
  worker.on("message", () => workQueue.get(worker)); // "ready"
  worker.on("error", (err) => console.error(`worker-${i + 1} failed:`, err));
  workers.push(worker);
}

mgr.onShutdown(async (signal) => {
  console.log(`Received ${signal}, shutting down...`);
  // Stop workers with poison pills.
  for (let i = 0; i < workers.length; i++) workQueue.put(null);
  console.log("Waiting for workers...");
  const exited = await Promise.all(workers.map((w) => join(w, joinTimeoutMs)));
  // Jobs that will never be answered: the one each terminated worker was
  // computing, and any still queued (a worker terminated before it took
  // them, e.g. one still starting up). Their clients get 503, not a hang.
  const lost = workQueue.takeQueuedJobs();
  workers.forEach((worker, i) => {
    const job = workQueue.current.get(worker);
    if (!exited[i] && job) lost.push(job);
  });
  for (const job of lost) waiting.get(job.connId)?.reply(503, "Server shutting down\n");
  const n = exited.filter(Boolean).length;
  console.log(`Workers stopped: ${n} exited, ${workers.length - n} terminated`);
});

const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port} with ${workerCount} workers`);
console.log("Press Ctrl+C to stop");

const report = await mgr.run({ shutdownTimeoutMs: 10_000 });
console.log(`shutdown report: ${JSON.stringify(report)}`);
console.log("Server stopped cleanly");
