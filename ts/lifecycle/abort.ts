// abort.ts: AbortSignal for poll() (run() and shutdown() take theirs in
// run.ts / shutdown.ts). As with Node's timers/promises, an aborted poll
// rejects with the signal's reason (an AbortError DOMException by default).
import { TypeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import { describe } from "../core/errors";
import { isAbortSignal } from "./shutdown";
import type { Manager } from "../core/manager";

/** Options of Manager.poll(). */
export interface PollOptions {
  /** Aborting it rejects the pending poll() with `signal.reason` at once. */
  signal?: AbortSignal;
}

/** @internal Throw if poll()'s options are not an object with an optional AbortSignal. */
export function checkPollOptions(opts: PollOptions | undefined): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== "object") throw new TypeError(`poll: options must be an object, got ${describe(opts)}`);
  if (opts.signal !== undefined && !isAbortSignal(opts.signal)) throw new TypeError(`poll: signal must be an AbortSignal, got ${describe(opts.signal)}`);
}

/** @internal poll() with an optional AbortSignal. */
export function pollWithSignal(mgr: Manager, ms: number, opts: PollOptions | undefined,
  poll: (ms: number) => Promise<number>): Promise<number> {
  checkPollOptions(opts);
  const signal = opts?.signal;
  if (signal === undefined) return poll(ms);
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<number>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal.reason);
      // Wake the manager so this poll's waiter does not keep it driven until its deadline.
      if (!mgr.closed) void mgr.poll(0);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    poll(ms).then((n) => {
      signal.removeEventListener("abort", onAbort);
      resolve(n);
    }, reject);
  });
}
