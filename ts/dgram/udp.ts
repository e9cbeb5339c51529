// udp.ts: udp:// listeners and clients (wasm/src/udp.c). Each datagram is
// committed to the core on its own, so it fires one MG_EV_READ, with the
// sender in conn.remoteAddr; send() hands one datagram to the network at
// once (to the sender of the last datagram delivered, for a listener).
import { core, u8 } from "../core/loader";
import { toBytes, toScratch } from "../core/core";
import { MongooseError, TypeError } from "../core/errors";
import { ucore } from "../util/util-core";
import type { Connection, Handler } from "../core/connection";
import type { Manager } from "../core/manager";
import type { Address, Endpoint } from "../../shim/network";

/** Bind a UDP socket: one connection that reads and writes datagrams (isListening, isUdp). */
export function udpListen(mgr: Manager, url: string, ep: Endpoint, handler: Handler | undefined): Connection {
  const k = core();
  mgr._enter();
  try {
    const ptr = ucore().mgx_udp_new(mgr._ptr, 1);
    if (!ptr) throw new MongooseError("ERR_NO_MEMORY", `listen ${url}: the core could not allocate a connection`);
    const conn = mgr._newConnection(ptr, "listening", false, handler);
    conn._udp = true;
    try {
      const bound = mgr._network.listen(conn.id, ep, mgr._networkEvents);
      // Datagram sockets bind synchronously (node-udp.ts, memory-udp.ts).
      if (typeof (bound as Promise<Address>).then === "function") {
        throw new TypeError(`listen ${url}: this network binds udp:// asynchronously, which is not supported`);
      }
      conn._local = bound as Address;
    } catch (err) {
      mgr._discardConnection(conn);
      throw err;
    }
    k.mgx_open(ptr);
    return conn;
  } finally {
    mgr._leave(true);
  }
}

/**
 * A UDP client "connected" to `ep`: MG_EV_RESOLVE and MG_EV_CONNECT follow
 * as for TCP (no packet is exchanged); datagrams from other peers are not
 * delivered. `setup` runs on the core connection before any event (SNTP).
 */
export function udpConnect(mgr: Manager, ep: Endpoint, handler: Handler | undefined,
  setup?: (ptr: number) => void): Connection {
  const k = core();
  mgr._enter();
  try {
    const ptr = ucore().mgx_udp_new(mgr._ptr, 0);
    if (!ptr) throw new MongooseError("ERR_NO_MEMORY", "connect: the core could not allocate a connection");
    const conn = mgr._newConnection(ptr, "client", false, handler);
    conn._udp = true;
    setup?.(ptr);
    k.mgx_open(ptr);
    if (conn._ptr !== 0) {
      try {
        mgr._network.connect(conn.id, ep, mgr._networkEvents);
      } catch (err) {
        const [p, n] = toScratch(err instanceof Error ? err.message : String(err));
        k.mgx_error(ptr, p, n);
      }
    }
    return conn;
  } finally {
    mgr._leave(true);
  }
}

/** Connection.send on a UDP connection: one datagram, now. */
export function udpSend(conn: Connection, c: number, data: unknown): boolean {
  const bytes = toBytes("send", data);
  const m = conn.manager;
  m._enter();
  try {
    const [p, n] = toScratch(bytes);
    return ucore().mgx_udp_send(c, p, n) !== 0;
  } finally {
    m._leave(true);
  }
}

/**
 * Give one received datagram to the core: all of it or nothing (UDP drops
 * what the receiver has no room for). Returns whether it was delivered.
 */
export function udpDeliver(conn: Connection, chunk: Uint8Array, from: Address | undefined): boolean {
  if (from !== undefined) conn._remote = from;
  const k = core();
  const p = k.mgx_recv_reserve(conn._ptr, chunk.length);
  if (p === 0 || chunk.length === 0) return false;
  u8().set(chunk, p);
  k.mgx_recv_commit(conn._ptr, chunk.length);
  return true;
}
