// registry.ts: the process-wide maps the core's host calls are routed
// through (conn id -> Connection, timer id -> Timer), and the HostHooks that
// do the routing. Ids come from the core and are never reused.
import { setHostHooks, u8 } from "./loader";
import type { Connection } from "./connection";
import type { Timer } from "./timer";

/** Live connections of every Manager, by id. */
export const connectionsById = new Map<number, Connection>();
/** Active timers of every Manager, by id. */
export const timersById = new Map<number, Timer>();

setHostHooks({
  send(id, ptr, len) {
    const conn = connectionsById.get(id);
    if (!conn) return len; // nobody to send to: drop, so the core does not wait forever
    try {
      return conn.manager._network.send(id, u8().subarray(ptr, ptr + len));
    } catch {
      return len; // socket already gone; the close arrives through the network events
    }
  },
  close(id) {
    const conn = connectionsById.get(id);
    if (!conn) return;
    conn._socketClosed = true;
    try {
      conn.manager._network.close(id, false);
    } catch (err) {
      conn.manager._reportError(err, conn);
    }
  },
  event(id, ev, evData) {
    const conn = connectionsById.get(id);
    if (conn) conn.manager._dispatch(conn, ev, evData);
  },
  timer(id) {
    timersById.get(id)?._fire();
  },
});
