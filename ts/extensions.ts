// extensions.ts: Manager methods whose implementation arrives with a later
// issue (run/shutdown/onShutdown from the graceful-shutdown work,
// wakeupHandle from the worker-thread work). Manager's methods delegate
// here; the implementing module calls extendManager() once at load time
// (import it from ts/index.ts), so it never has to edit manager.ts.
import { MongooseError } from "./errors";
import type { Manager } from "./manager";

/** Options of Manager.shutdown() (API.md "Shutdown"). */
export interface ShutdownOptions {
  /** Hard limit before force-closing what is left, ms (default 30_000). */
  timeoutMs?: number;
  /** Fail readiness, wait this long, then stop accepting, ms. */
  readinessDelayMs?: number;
  /** Status for requests arriving during shutdown (default 503). */
  replyStatus?: number;
}

/** What Manager.shutdown() did (API.md "Shutdown"). */
export interface ShutdownReport {
  signal?: string;
  durationMs: number;
  /** In-flight requests that finished normally. */
  completed: number;
  /** Requests answered with replyStatus. */
  rejected: number;
  /** Connections closed after flushing. */
  drained: number;
  /** Connections force-closed at the deadline. */
  forced: { id: number; busyMs: number; uri?: string }[];
}

/** Options of Manager.run(). */
export interface RunOptions {
  signals?: string[];
  shutdownTimeoutMs?: number;
}

/** Opaque token for waking a manager from another thread. */
export type WakeupHandle = unknown;

/** Implementations of the delegated Manager methods. */
export interface ManagerExtensions {
  run(mgr: Manager, opts?: RunOptions): Promise<ShutdownReport>;
  shutdown(mgr: Manager, opts?: ShutdownOptions): Promise<ShutdownReport>;
  onShutdown(mgr: Manager, hook: (signal?: string) => void | Promise<void>): void;
  wakeupHandle(mgr: Manager): WakeupHandle;
}

function missing(name: string): never {
  throw new MongooseError("ERR_NOT_IMPLEMENTED", `Manager.${name}() is not available in this build yet`);
}

/** The current implementations (defaults throw ERR_NOT_IMPLEMENTED). */
export const managerExtensions: ManagerExtensions = {
  run: () => Promise.reject(new MongooseError("ERR_NOT_IMPLEMENTED", "Manager.run() is not available in this build yet")),
  shutdown: () => Promise.reject(new MongooseError("ERR_NOT_IMPLEMENTED", "Manager.shutdown() is not available in this build yet")),
  onShutdown: () => missing("onShutdown"),
  wakeupHandle: () => missing("wakeupHandle"),
};

/** Install implementations of delegated Manager methods (internal; called at module load). */
export function extendManager(impl: Partial<ManagerExtensions>): void {
  Object.assign(managerExtensions, impl);
}
