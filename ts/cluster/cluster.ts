// cluster.ts: runCluster(), the primary side of a fleet of workers (Node only).
//
// The primary forks `workers` copies of a script that serves with
// `mgr.listen()` + `mgr.run()`. Listeners in the workers share the port
// through node:cluster, as net.Server does. The primary:
// - forwards its shutdown signals (SIGINT, SIGTERM) to every worker as a
//   "shutdown" message (cluster-worker.ts): each runs its graceful
//   shutdown; a second press sends "force" (signals within signalWindowMs
//   of the first are one press: signal-press.ts), and workers still alive
//   shutdownTimeoutMs + KILL_GRACE_MS after the first signal are SIGKILLed;
// - respawns a worker that exits on its own, after a backoff that doubles
//   with each crash in a row, and stops respawning after `maxRestarts`
//   crashes within `restartWindowMs`;
// - on the reload signal (SIGHUP) or reload(): forks a fresh set, waits
//   until each has bound its listeners ("ready"), then shuts the old set
//   down gracefully: the port never stops accepting;
// - resolves `done` with one report adding up the workers' reports.
import type { Worker } from "node:cluster";
import { nodeCluster, nodeOs } from "../../shim/builtins"; // loaded by runCluster() only
import { describe, MongooseError, TypeError, RangeError } from "../core/errors"; // Node's argument-error codes
import { WORKER_ENV, type ClusterMessage } from "./cluster-worker";
import type { ForcedConnection, ShutdownReport } from "../lifecycle/shutdown";
import { clusterRelay, type ClusterRelay, type ClusterRelayOptions } from "./relay";

/** Defaults of ClusterOptions (also `NODE_DEFAULTS.cluster`); script, args, env: the primary's; workers: os.availableParallelism(). */
export const CLUSTER_DEFAULTS = Object.freeze({
  shutdownTimeoutMs: 30_000, signals: Object.freeze(["SIGINT", "SIGTERM"]) as readonly NodeJS.Signals[],
  signalWindowMs: SIGNAL_WINDOW_MS, reloadSignal: "SIGHUP" as NodeJS.Signals | null, maxRestarts: 10, restartWindowMs: 60_000, restartDelayMs: 100, readyTimeoutMs: 30_000,
});
import { checkSignalWindow, signalPresses, SIGNAL_WINDOW_MS } from "../lifecycle/signal-press";

/** Options of runCluster(). */
export interface ClusterOptions {
  /** The worker script (default: the primary's own, process.argv[1]). */
  script?: string;
  /** Arguments for the workers (default: the primary's own). */
  args?: string[];
  /** Extra environment for the workers. */
  env?: Record<string, string>;
  /** How many workers (default os.availableParallelism()). */
  workers?: number;
  /** Graceful shutdown limit per worker, ms; the workers must use the same or less in run() (default 30_000). */
  shutdownTimeoutMs?: number;
  /** Signals that start a fleet-wide graceful shutdown; a second press forces (default SIGINT, SIGTERM). */
  signals?: NodeJS.Signals[];
  /** Signals within this many ms after the first of a press are that press again, as in run() (default 1000; 0: each signal is a press). */
  signalWindowMs?: number;
  /** Signal that starts a zero-downtime reload (default "SIGHUP"; null: none). */
  reloadSignal?: NodeJS.Signals | null;
  /** Crashes within restartWindowMs after which a worker is not respawned (default 10). */
  maxRestarts?: number;
  /** Window for maxRestarts, ms (default 60_000). */
  restartWindowMs?: number;
  /** First respawn delay, doubled per crash in a row up to 30 s, ms (default 100). */
  restartDelayMs?: number;
  /** How long a reload waits for the new workers to be ready, ms (default 30_000). */
  readyTimeoutMs?: number;
  /** Options of the message bus relay it starts (clusterRelay()). */
  relay?: ClusterRelayOptions;
}

/** One worker's part of a ClusterReport. */
export interface WorkerReport {
  /** cluster.Worker id and process id. */
  id: number;
  pid: number;
  /** Its run() report, if it sent one before exiting. */
  report?: ShutdownReport;
  /** How it exited. */
  exitCode: number | null;
  exitSignal: string | null;
}

/** What a fleet-wide shutdown (or reload) did: the workers' reports added up. */
export interface ClusterReport {
  /** The signal that started it, if any. */
  signal?: string;
  /** From the signal (or call) to the last worker's exit, ms. */
  durationMs: number;
  completed: number;
  rejected: number;
  drained: number;
  /** Forced connections of every worker, with the worker's id. */
  forced: (ForcedConnection & { worker: number })[];
  /** Each worker that stopped. */
  workers: WorkerReport[];
  /** Workers that exited without sending a report (crashed, killed). */
  lost: number;
}

/** The running fleet. */
export interface Cluster {
  /** Live workers. */
  readonly workers: readonly Worker[];
  /** Resolves when the fleet has stopped: after a shutdown, or when every worker died for good. */
  readonly done: Promise<ClusterReport>;
  /** Start a fresh set of workers, wait until they are ready, retire the old set gracefully. */
  reload(): Promise<ClusterReport>;
  /** Fleet-wide graceful shutdown (as the first signal); resolves with `done`'s report. */
  shutdown(signal?: string): Promise<ClusterReport>;
  /** The primary's message bus relay (clusterChannel() in the workers). */
  readonly relay: ClusterRelay;
}

/** A worker's exit after a SIGKILL past the deadline still needs this long to be seen, ms. */
const KILL_GRACE_MS = 2000;
const MAX_RESTART_DELAY_MS = 30_000;

interface Tracked {
  worker: Worker;
  generation: number;
  ready: boolean;
  retiring: boolean;
  report?: ShutdownReport;
  onReady?: () => void;
  onExit?: (w: WorkerReport) => void;
}

function posInt(op: string, name: string, v: unknown, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${op}: ${name} must be an integer >= ${min}, got ${describe(v)}`);
  }
  return v;
}

/** Sum of worker reports. */
function addUp(workers: WorkerReport[], signal: string | undefined, started: number): ClusterReport {
  const r: ClusterReport = { signal, durationMs: Math.round(performance.now() - started), completed: 0, rejected: 0,
    drained: 0, forced: [], workers, lost: 0 };
  for (const w of workers) {
    if (!w.report) {
      r.lost++;
      continue;
    }
    r.completed += w.report.completed;
    r.rejected += w.report.rejected;
    r.drained += w.report.drained;
    for (const f of w.report.forced) r.forced.push({ ...f, worker: w.id });
  }
  return r;
}

/**
 * Fork and supervise a fleet of workers (call in the primary; see the header
 * of this file). Throws a TypeError when called in a cluster worker.
 */
export function runCluster(opts: ClusterOptions = {}): Cluster {
  const op = "runCluster";
  const cluster = nodeCluster();
  if (opts === null || typeof opts !== "object") throw new TypeError(`${op}: options must be an object, got ${describe(opts)}`);
  if (!cluster.isPrimary) throw new MongooseError("ERR_NOT_PRIMARY", `${op}: call it in the primary process, not in a worker`);
  const count = posInt(op, "workers", opts.workers, nodeOs().availableParallelism());
  const timeoutMs = posInt(op, "shutdownTimeoutMs", opts.shutdownTimeoutMs, CLUSTER_DEFAULTS.shutdownTimeoutMs, 0);
  const maxRestarts = posInt(op, "maxRestarts", opts.maxRestarts, CLUSTER_DEFAULTS.maxRestarts, 0);
  const windowMs = posInt(op, "restartWindowMs", opts.restartWindowMs, CLUSTER_DEFAULTS.restartWindowMs);
  const restartDelayMs = posInt(op, "restartDelayMs", opts.restartDelayMs, CLUSTER_DEFAULTS.restartDelayMs, 0);
  const readyTimeoutMs = posInt(op, "readyTimeoutMs", opts.readyTimeoutMs, CLUSTER_DEFAULTS.readyTimeoutMs);
  const signals = opts.signals ?? [...CLUSTER_DEFAULTS.signals];
  const reloadSignal = opts.reloadSignal === undefined ? CLUSTER_DEFAULTS.reloadSignal : opts.reloadSignal;
  const newPress = signalPresses(checkSignalWindow(op, opts.signalWindowMs));
  if (!Array.isArray(signals) || !signals.every((s) => typeof s === "string" && /^SIG[A-Z0-9]+$/.test(s))) {
    throw new TypeError(`${op}: signals must be an array of signal names, got ${describe(signals)}`);
  }
  if (reloadSignal !== null && (typeof reloadSignal !== "string" || !/^SIG[A-Z0-9]+$/.test(reloadSignal))) {
    throw new TypeError(`${op}: reloadSignal must be a signal name or null, got ${describe(reloadSignal)}`);
  }
  if (opts.script !== undefined && typeof opts.script !== "string") {
    throw new TypeError(`${op}: script must be a path, got ${describe(opts.script)}`);
  }
  const relay = clusterRelay(opts.relay ?? {}); // before forking: it sets the serialization and the workers' environment
  cluster.setupPrimary({ exec: opts.script ?? process.argv[1], args: opts.args ?? process.argv.slice(2) });

  const live = new Map<number, Tracked>();
  const stopped: WorkerReport[] = [];
  let generation = 0;
  let stopping: { signal?: string; started: number } | undefined;
  let forced = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const crashes: number[] = [];
  let crashStreak = 0;
  let pendingRespawns = 0;
  let resolveDone!: (r: ClusterReport) => void;
  const done = new Promise<ClusterReport>((resolve) => { resolveDone = resolve; });
  const started = performance.now();

  function fork(gen: number): Tracked {
    const worker = cluster.fork({ ...opts.env, [WORKER_ENV]: "1" });
    const t: Tracked = { worker, generation: gen, ready: false, retiring: false };
    live.set(worker.id, t);
    worker.on("message", (msg: ClusterMessage) => {
      if (msg === null || typeof msg !== "object") return;
      if (msg.tsmongoose === "ready") {
        t.ready = true;
        crashStreak = 0;
        t.onReady?.();
      } else if (msg.tsmongoose === "report") {
        t.report = msg.report as ShutdownReport;
      }
    });
    worker.on("exit", (code, signal) => exited(t, code, signal));
    // A worker forked during a shutdown is told at once.
    if (stopping) send(t, { tsmongoose: "shutdown", signal: stopping.signal });
    return t;
  }

  function send(t: Tracked, msg: ClusterMessage): void {
    if (t.worker.isConnected()) {
      try {
        t.worker.send(msg, () => undefined); // a failed write (EPIPE) is its exit's to report, not an 'error' event
      } catch {
        // The channel closed under us: its exit event follows.
      }
    }
  }

  function exited(t: Tracked, code: number | null, signal: string | null): void {
    live.delete(t.worker.id);
    const w: WorkerReport = { id: t.worker.id, pid: t.worker.process.pid ?? 0, report: t.report, exitCode: code,
      exitSignal: signal };
    stopped.push(w);
    t.onExit?.(w);
    if (!stopping && !t.retiring) respawn(t.generation);
    finishIfDone();
  }

  function respawn(gen: number): void {
    const now = performance.now();
    crashes.push(now);
    while (crashes.length && crashes[0] < now - windowMs) crashes.shift();
    if (crashes.length > maxRestarts) {
      process.emitWarning(`runCluster: ${crashes.length} worker crashes within ${windowMs} ms: not respawning`,
        { code: "CLUSTER_RESPAWN_LIMIT" });
      return;
    }
    const delay = Math.min(restartDelayMs * 2 ** crashStreak, MAX_RESTART_DELAY_MS);
    crashStreak++;
    pendingRespawns++;
    setTimeout(() => {
      pendingRespawns--;
      if (!stopping) fork(gen);
      finishIfDone();
    }, delay); // ref'd: with every worker gone, this timer is what keeps the primary alive
  }

  function finishIfDone(): void {
    if (live.size > 0 || pendingRespawns > 0) return;
    if (killTimer) clearTimeout(killTimer);
    uninstall();
    resolveDone(addUp(stopped, stopping?.signal, stopping?.started ?? started));
  }

  function shutdown(signal?: string): Promise<ClusterReport> {
    if (stopping) {
      if (!forced) {
        forced = true;
        for (const t of live.values()) send(t, { tsmongoose: "force" });
      }
      return done;
    }
    stopping = { signal, started: performance.now() };
    stopped.length = 0; // the report covers the workers this shutdown stops
    for (const t of live.values()) send(t, { tsmongoose: "shutdown", signal });
    killTimer = setTimeout(() => {
      for (const t of live.values()) t.worker.process.kill("SIGKILL");
    }, timeoutMs + KILL_GRACE_MS);
    killTimer.unref();
    finishIfDone();
    return done;
  }

  let reloading: Promise<ClusterReport> | undefined;
  function reload(): Promise<ClusterReport> {
    if (stopping) return Promise.reject(new MongooseError("ERR_SHUTTING_DOWN", "reload: the cluster is shutting down"));
    if (reloading) return reloading;
    reloading = doReload().finally(() => { reloading = undefined; });
    return reloading;
  }

  async function doReload(): Promise<ClusterReport> {
    const began = performance.now();
    const old = [...live.values()].filter((t) => t.generation === generation);
    const gen = ++generation;
    const fresh = Array.from({ length: count }, () => fork(gen));
    const readyAll = Promise.all(fresh.map((t) => new Promise<void>((resolve, reject) => {
      if (t.ready) return resolve();
      t.onReady = resolve;
      t.onExit = (w) => reject(new MongooseError("ERR_RELOAD_FAILED",
        `reload: new worker ${w.id} exited (code ${w.exitCode}, signal ${w.exitSignal}) before it was ready`));
    })));
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([readyAll, new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new MongooseError("ERR_RELOAD_FAILED",
          `reload: the new workers were not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
      })]);
    } catch (err) {
      // Keep serving with the old set; retire the new one.
      generation = gen - 1;
      for (const t of fresh) {
        t.retiring = true;
        if (live.has(t.worker.id)) t.worker.process.kill("SIGKILL");
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const reports = await Promise.all(old.map((t) => new Promise<WorkerReport>((resolve) => {
      t.retiring = true;
      t.onExit = resolve;
      if (!live.has(t.worker.id)) {
        resolve(stopped.find((w) => w.id === t.worker.id)!);
        return;
      }
      send(t, { tsmongoose: "shutdown", signal: reloadSignal ?? undefined });
      setTimeout(() => t.worker.process.kill("SIGKILL"), timeoutMs + KILL_GRACE_MS).unref();
    })));
    return addUp(reports, reloadSignal ?? undefined, began);
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    if (newPress()) void shutdown(signal); // else the same press, delivered again
  };
  const onReload = (): void => {
    reload().catch((err: unknown) => process.emitWarning(err instanceof Error ? err.message : String(err),
      { code: "CLUSTER_RELOAD_FAILED" }));
  };
  for (const s of signals) process.on(s, onSignal);
  if (reloadSignal) process.on(reloadSignal, onReload);
  function uninstall(): void {
    for (const s of signals) process.off(s, onSignal);
    if (reloadSignal) process.off(reloadSignal, onReload);
  }

  for (let i = 0; i < count; i++) fork(generation);

  return {
    get workers() {
      return [...live.values()].map((t) => t.worker);
    },
    done,
    reload,
    shutdown,
    relay,
  };
}
