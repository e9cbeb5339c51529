// worker-pool-worker.ts: one worker thread of worker-pool.ts. It asks the
// main thread for a job ("ready"), computes, and sends the answer straight to
// the waiting HTTP connection with wakeup(handle, connId, text): the main
// thread's handler gets MG_EV_WAKEUP and replies. A null job is the poison
// pill: the worker closes its port and the thread ends.
import { parentPort, workerData } from "node:worker_threads";
import { wakeup, type WakeupHandle } from "tsmongoose";

/** One unit of work: count the primes below `n` for connection `connId`. */
export interface Job {
  connId: number;
  n: number;
}

const { handle, name } = workerData as { handle: WakeupHandle; name: string };
const port = parentPort!;

function countPrimes(n: number): number {
  const composite = new Uint8Array(n);
  let count = 0;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}

port.on("message", (job: Job | null) => {
  if (job === null) {
    // Poison pill: nothing more to do.
    port.close();
    return;
  }
  const primes = countPrimes(job.n);
  wakeup(handle, job.connId, `${name}: ${primes} primes below ${job.n}\n`);
  port.postMessage("ready");
});
port.postMessage("ready");
