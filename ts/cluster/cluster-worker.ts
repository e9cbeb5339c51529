// cluster-worker.ts: the worker half of runCluster() (cluster.ts), wired into
// run(). In a node:cluster worker whose primary is runCluster(), run()
// tells the primary when every listener is bound ("ready": a reload waits
// for it before retiring the old workers), takes "shutdown" and "force"
// orders from it (the primary forwards its signals as messages, so a worker
// that also got the signal itself, from its process group, does not count
// it twice), and sends its ShutdownReport back before it exits. Elsewhere it
// does nothing. No node: import: this module is part of the browser bundle.

/** Set by runCluster() in its workers' environment. */
export const WORKER_ENV = "TSMONGOOSE_CLUSTER_WORKER";

/** The messages exchanged with runCluster()'s primary (the `tsmongoose` key marks ours). */
export type ClusterMessage =
  | { tsmongoose: "ready" }
  | { tsmongoose: "report"; report: unknown }
  | { tsmongoose: "shutdown"; signal?: string }
  | { tsmongoose: "force" };

interface WorkerProcess {
  env: Record<string, string | undefined>;
  send?: (msg: unknown, cb?: (err: Error | null) => void) => boolean;
  connected?: boolean;
  disconnect?: () => void;
  on(ev: "message", fn: (msg: unknown) => void): unknown;
  off(ev: "message", fn: (msg: unknown) => void): unknown;
}

/** The worker's process, when this is a node:cluster worker with an IPC channel. */
function workerProcess(): WorkerProcess | undefined {
  const p = (globalThis as { process?: WorkerProcess }).process;
  if (!p || typeof p.send !== "function" || typeof p.on !== "function" || p.env?.[WORKER_ENV] !== "1") return undefined;
  return p;
}

/** What run() gives the link. */
export interface WorkerLinkHooks {
  /** Resolves once every listener is bound. */
  bound(): Promise<unknown>;
  shutdown(signal?: string): void;
  force(): void;
}

/** A running link: `done(report)` sends the report and lets the IPC channel go. */
export interface WorkerLink {
  done(report: unknown): void;
}

/** Connect run() to a runCluster() primary; undefined outside such a worker. */
export function linkClusterWorker(hooks: WorkerLinkHooks): WorkerLink | undefined {
  const proc = workerProcess();
  if (!proc) return undefined;
  const send = (msg: ClusterMessage, cb?: () => void): void => {
    if (!proc.connected) return cb?.();
    try {
      proc.send!(msg, () => cb?.());
    } catch {
      cb?.();
    }
  };
  const onMessage = (msg: unknown): void => {
    const m = msg as Partial<ClusterMessage> | null;
    if (m === null || typeof m !== "object") return;
    if (m.tsmongoose === "shutdown") hooks.shutdown((m as { signal?: string }).signal);
    else if (m.tsmongoose === "force") hooks.force();
  };
  proc.on("message", onMessage);
  hooks.bound().then(() => send({ tsmongoose: "ready" }), () => undefined);
  return {
    done(report: unknown): void {
      // A cluster worker's IPC channel keeps it alive: let go of it once the
      // report is out, so the worker exits when the script is done.
      send({ tsmongoose: "report", report }, () => {
        proc.off("message", onMessage);
        if (proc.connected) proc.disconnect?.();
      });
    },
  };
}
