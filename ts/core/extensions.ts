// extensions.ts: Manager methods whose implementation is installed by
// another module at load time (wakeupHandle, from the worker-thread work):
// Manager's method delegates here and the implementing module calls
// extendManager() once (import it from ts/index.ts). run/shutdown/onShutdown
// are implemented directly (ts/run.ts, ts/shutdown.ts); their types are
// re-exported here for the modules that import them from this file.
import { MongooseError } from "./errors";
import type { Manager } from "./manager";
import type { WakeupHandle } from "../lifecycle/wakeup";

export type { ShutdownOptions, ShutdownReport, ShutdownHook, ForcedConnection } from "../lifecycle/shutdown";
export type { RunOptions } from "../lifecycle/run";

/** Token for waking a manager from another thread (defined in wakeup.ts). */
export type { WakeupHandle };

/** Implementations of the delegated Manager methods. */
export interface ManagerExtensions {
  wakeupHandle(mgr: Manager): WakeupHandle;
}

function missing(name: string): never {
  throw new MongooseError("ERR_NOT_IMPLEMENTED", `Manager.${name}() is not available in this build yet`);
}

/** The current implementations (defaults throw ERR_NOT_IMPLEMENTED). */
export const managerExtensions: ManagerExtensions = {
  wakeupHandle: () => missing("wakeupHandle"),
};

/** Install implementations of delegated Manager methods (internal; called at module load). */
export function extendManager(impl: Partial<ManagerExtensions>): void {
  Object.assign(managerExtensions, impl);
}
