// registry.ts: the process-wide maps the core's host calls are routed
// through (conn id -> Connection, timer id -> Timer), and the HostHooks that
// do the routing. Ids come from the core and are never reused.
import { setHostFaultSink, setHostHooks, u8 } from "./loader";
import type { Connection } from "./connection";
import type { Timer } from "./timer";
import { dispatchEvent } from "./dispatch";

/** Live connections of every Manager, by id. */
export const connectionsById = new Map<number, Connection>();
/** Active timers of every Manager, by id. */
export const timersById = new Map<number, Timer>();

// The connection of the last lookup. One request makes several host calls
// for the same connection in a row (MG_EV_READ, MG_EV_HTTP_MSG, host_send,
// MG_EV_WRITE), so this answers most of them without a map lookup. A
// forgotten connection has _ptr 0 (set before it leaves the map), which
// sends the lookup back to the map.
let hot: Connection | undefined;

/** The live connection with core id `id`, if any. */
export function connectionById(id: number): Connection | undefined {
  const h = hot;
  if (h !== undefined && h.id === id && h._ptr !== 0) return h;
  const conn = connectionsById.get(id);
  if (conn !== undefined) hot = conn;
  return conn;
}

/** Drop connection `id` from the registry (after MG_EV_CLOSE, or a failed setup). */
export function unregisterConnection(id: number): void {
  connectionsById.delete(id);
  if (hot !== undefined && hot.id === id) hot = undefined;
}

setHostHooks({
  send(id, ptr, len) {
    const conn = connectionById(id);
    if (conn === undefined) return len; // nobody to send to: drop, so the core does not wait forever
    try {
      // A UDP listener answers the sender of the last datagram delivered.
      return conn.manager._network.send(id, u8().subarray(ptr, ptr + len), conn._udp ? conn._remote : undefined);
    } catch (err) {
      // The networks drop bytes for a gone socket; a throw is a failed write:
      // the connection's error (MG_EV_ERROR, then close), after this core call.
      // A datagram is only lost: its socket (maybe a listener) stays.
      if (conn._udp) conn.manager._reportError(err, conn);
      else conn.manager._networkEvents.error(id, asError(err));
      return len;
    }
  },
  close(id) {
    const conn = connectionById(id);
    if (conn === undefined) return;
    conn._socketClosed = true;
    try {
      conn.manager._network.close(id, false);
    } catch (err) {
      conn.manager._reportError(err, conn);
      try {
        conn.manager._network.close(id, true); // the graceful close failed: at least free the socket
      } catch {
        // reported above
      }
    }
  },
  event(id, ev, evData) {
    const conn = connectionById(id);
    if (conn !== undefined) dispatchEvent(conn.manager, conn, ev, evData);
  },
  timer(id) {
    timersById.get(id)?._fire();
  },
});

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

// What a host import threw (loader.ts caught it at the core's boundary): the
// connection's error where there is one, else the console.
setHostFaultSink((where, err, id) => {
  const conn = id === 0 ? undefined : connectionById(id);
  if (conn === undefined) {
    console.error(`tsmongoose: host call ${where} failed:`, err);
    return;
  }
  conn.manager._reportError(err, conn);
  if (where !== "host_close") conn.manager._networkEvents.error(id, asError(err));
});
