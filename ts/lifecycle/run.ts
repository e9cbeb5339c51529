// run.ts: Manager.run(): drive the manager until it is closed, with signal
// handling and graceful shutdown (DESIGN.md "Driving the loop in Node").
//
// run() turns on auto-drive (socket activity is processed as Node delivers
// it, timers and MG_EV_POLL from one JS timer: no poll() calls), installs
// handlers for SIGINT and SIGTERM (process.on; removed again when run()
// resolves), and on the first signal runs shutdown({ signal }). A second
// press during the shutdown force-closes everything at once; run() then
// resolves immediately and the report lists what was still open. A signal
// within signalWindowMs of the first is the same press delivered twice
// (the terminal's Ctrl+C plus npm's forwarded copy): signal-press.ts. run()
// resolves with the ShutdownReport when the manager is closed, whoever
// closed it (a signal, shutdown(), close()).
//
// Signals and a blocked event loop: Node runs signal handlers on the main
// thread, as JS callbacks. While handlers await I/O, timers or promises,
// the loop is free and Ctrl+C takes effect at once. A handler that computes
// synchronously (a long loop, a sync file read, a tight regex) blocks the
// loop: the signal is only seen after that handler returns, and so is the
// second, forcing one. Keep handlers asynchronous; move CPU work to a
// worker_threads pool and answer from MG_EV_WAKEUP (Manager.wakeup), or cut
// it into slices with setImmediate so the loop breathes in between.
import { TypeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import { ManagerClosedError, describe } from "../core/errors";
import {
  SHUTDOWN_DEFAULTS, checkShutdownOptions, closedReport, forceShutdown, isAbortSignal, shutdownManager, shutdownState,
  type ShutdownOptions, type ShutdownReport,
} from "./shutdown";
import type { Manager } from "../core/manager";
import { linkClusterWorker } from "../cluster/cluster-worker";
import { checkSignalWindow, signalPresses, SIGNAL_WINDOW_MS } from "./signal-press";

/** Options of Manager.run(): the signals to handle, and how shutdown behaves. */
export interface RunOptions extends Omit<ShutdownOptions, "timeoutMs" | "signal" | "signalName"> {
  /** Aborting it starts the graceful shutdown, as the first SIGTERM does (Node's AbortSignal convention). */
  signal?: AbortSignal;
  /** Signals that start a graceful shutdown (default ["SIGINT", "SIGTERM"]); a second press forces. */
  signals?: string[];
  /** Signals within this many ms after the first of a press are that press again, not a second one (default 1000; 0: each signal is a press). */
  signalWindowMs?: number;
  /** Hard limit of the shutdown, ms from the signal (default 30_000). */
  shutdownTimeoutMs?: number;
}

/** Defaults of RunOptions (also `DEFAULTS.run`); the other fields default as in ShutdownOptions. */
export const RUN_DEFAULTS = Object.freeze({
  signals: Object.freeze(["SIGINT", "SIGTERM"]) as readonly string[],
  shutdownTimeoutMs: SHUTDOWN_DEFAULTS.timeoutMs,
  signalWindowMs: SIGNAL_WINDOW_MS,
});

/** The part of Node's `process` run() needs; absent in browsers. */
interface SignalSource {
  on(event: string, fn: (signal: string) => void): unknown;
  off(event: string, fn: (signal: string) => void): unknown;
}

function signalSource(): SignalSource | undefined {
  const p = (globalThis as { process?: Partial<SignalSource> }).process;
  return p && typeof p.on === "function" && typeof p.off === "function" ? p as SignalSource : undefined;
}

/** Manager.run(): see the header of this file. A second call returns the same promise. */
export function runManager(mgr: Manager, opts?: RunOptions): Promise<ShutdownReport> {
  if (opts === undefined) opts = {};
  if (opts === null || typeof opts !== "object") throw new TypeError(`run: options must be an object, got ${describe(opts)}`);
  const { signals = RUN_DEFAULTS.signals, shutdownTimeoutMs = RUN_DEFAULTS.shutdownTimeoutMs, signal: abort, signalWindowMs, ...rest } = opts;
  if (abort !== undefined && !isAbortSignal(abort)) throw new TypeError(`run: signal must be an AbortSignal, got ${describe(abort)}`);
  if (!Array.isArray(signals) || !signals.every((s) => typeof s === "string" && /^SIG[A-Z0-9]+$/.test(s))) {
    throw new TypeError(`run: signals must be an array of signal names like "SIGTERM", got ${describe(signals)}`);
  }
  if ((rest as ShutdownOptions).signalName !== undefined || (rest as ShutdownOptions).timeoutMs !== undefined) {
    throw new TypeError("run: use shutdownTimeoutMs (the signal is filled in when one arrives)");
  }
  const windowMs = checkSignalWindow("run", signalWindowMs);
  const shutdownOpts: ShutdownOptions = { ...rest, timeoutMs: shutdownTimeoutMs };
  checkShutdownOptions(shutdownOpts, "run");
  if (mgr.closed) throw new ManagerClosedError("run");
  const st = shutdownState(mgr);
  if (st.running) return st.running;
  const source = signalSource();
  const handled = [...new Set(signals)];
  const newPress = signalPresses(windowMs);
  const onSignal = (signal: string): void => {
    if (!newPress()) return; // the same press, delivered again
    if (!st.shuttingDown) void shutdownManager(mgr, { ...shutdownOpts, signalName: signal });
    else void forceShutdown(mgr);
  };
  const onAbort = (): void => {
    if (!st.shuttingDown && !mgr.closed) void shutdownManager(mgr, shutdownOpts);
  };
  const installed: string[] = [];
  const uninstall = (): void => {
    for (const s of installed) source?.off(s, onSignal);
    abort?.removeEventListener("abort", onAbort);
  };
  for (const s of handled) {
    try {
      source?.on(s, onSignal);
      installed.push(s);
    } catch (err) {
      uninstall(); // Node refuses SIGKILL, SIGSTOP...
      throw new TypeError(`run: cannot handle signal ${s}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const link = linkClusterWorker({
    bound: () => Promise.all(mgr.connections.filter((c) => c.isListening).map((c) => c.listening())),
    shutdown: (signal) => {
      // The primary relays a signal this worker may also get itself, from
      // its process group, before or after: one press either way.
      newPress();
      if (!st.shuttingDown) void shutdownManager(mgr, { ...shutdownOpts, signalName: signal });
    },
    force: () => void forceShutdown(mgr),
  });
  st.running = new Promise<ShutdownReport>((resolve) => {
    const unsubscribe = mgr._observe({
      closed: () => {
        unsubscribe();
        uninstall();
        // After shutdown() closed it: its report. After a plain close(): what was open.
        const report = st.promise ?? Promise.resolve(closedReport(st));
        if (link) void report.then((r) => link.done(r));
        resolve(report);
      },
    });
  });
  mgr.setAutoDrive(true);
  if (abort) {
    if (abort.aborted) onAbort();
    else abort.addEventListener("abort", onAbort, { once: true });
  }
  return st.running;
}
