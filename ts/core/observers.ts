// observers.ts: the internal watchers of a manager (run(), shutdown(),
// AsyncManager): told of drive ticks, settled handler promises, closed
// connections and the manager's close.
import type { Connection } from "./connection";

/** Internal observer of a manager, for run()/shutdown()/AsyncManager. */
export interface ManagerObserver {
  /** After every drive tick (queue processed, mgx_poll, flush). */
  tick?(): void;
  /** A handler promise settled (conn._pendingHandlers just went down). */
  settled?(conn: Connection): void;
  /** MG_EV_CLOSE was delivered and the connection forgotten. */
  connectionClosed?(conn: Connection): void;
  /** The manager finished closing. */
  closed?(): void;
}

/** A manager's observers; an observer that throws goes to `report`, the rest are still told. */
export class Observers {
  readonly #set = new Set<ManagerObserver>();

  constructor(private readonly report: (err: unknown, conn?: Connection) => void) {}

  /** Add `o`; returns its unsubscribe. */
  add(o: ManagerObserver): () => void {
    this.#set.add(o);
    return () => this.#set.delete(o);
  }

  notify(what: keyof ManagerObserver, conn?: Connection): void {
    if (this.#set.size === 0) return;
    for (const o of [...this.#set]) {
      try {
        (o[what] as ((c?: Connection) => void) | undefined)?.(conn);
      } catch (err) {
        this.report(err, conn);
      }
    }
  }
}
