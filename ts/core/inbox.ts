// inbox.ts: moving received bytes into a connection's core receive buffer.
// The core reserves room up to the connection's receive limit; bytes it
// cannot take wait in conn._backlog (the Manager pauses the socket) and are
// retried after each flush, when handlers may have consumed input.
import { core, setGrowthHook, u8 } from "./loader";
import type { Network } from "../../shim/network";
import type { Connection } from "./connection";

/** Copy as much of `chunk` into the core as it has room for (firing MG_EV_READ...); returns bytes taken. */
export function feed(conn: Connection, chunk: Uint8Array): number {
  const k = core();
  let off = 0;
  while (off < chunk.length && conn._ptr !== 0) {
    let n = chunk.length - off;
    let p = k.mgx_recv_reserve(conn._ptr, n);
    // No room for all of it? Smaller pieces may still fit under the limit.
    while (p === 0 && n > 1024) {
      n >>>= 1;
      p = k.mgx_recv_reserve(conn._ptr, n);
    }
    if (p === 0) break;
    u8().set(off === 0 && n === chunk.length ? chunk : chunk.subarray(off, off + n), p);
    k.mgx_recv_commit(conn._ptr, n);
    off += n;
  }
  return off;
}

/**
 * Retry conn's backlog. Returns [progress, empty]: whether any byte (or a
 * deferred EOF) went in, and whether the backlog is now empty.
 */
export function retryBacklog(conn: Connection): [boolean, boolean] {
  const backlog = conn._backlog;
  let progress = false;
  while (backlog.length > 0 && conn._ptr !== 0) {
    const off = feed(conn, backlog[0]);
    if (off > 0) progress = true;
    if (off < backlog[0].length) {
      backlog[0] = backlog[0].subarray(off);
      return [progress, false];
    }
    backlog.shift();
  }
  if (conn._eofPending && conn._ptr !== 0) {
    // The peer's EOF waited behind the backlog so no byte is lost.
    conn._eofPending = false;
    core().mgx_eof(conn._ptr);
    progress = true;
  }
  return [progress, true];
}

// ---- the core's read area ---------------------------------------------------------
// A network that offers readArea() reads sockets straight into a static
// buffer of the core (mgx_read_area): recvArea() then hands those bytes to a
// connection, and flushes the answers, in one call.

let areaPtr = 0;
let areaSize = 0;
/** Networks reading into the area: given a fresh view when linear memory grows. */
const areaNetworks = new Set<Network>();

function areaView(): Uint8Array {
  return u8().subarray(areaPtr, areaPtr + areaSize);
}

function renewAreas(): void {
  const view = areaView();
  for (const network of areaNetworks) network.readArea!(view);
}

/** Let `network` read into the core's read area, where it can. */
export function offerReadArea(network: Network): void {
  if (network.readArea === undefined) return;
  if (areaPtr === 0) {
    const k = core();
    if (typeof k.mgx_recv_area !== "function") return; // an older core: reads are copied in
    areaPtr = k.mgx_read_area();
    areaSize = k.mgx_read_area_size();
    setGrowthHook(renewAreas);
  }
  areaNetworks.add(network);
  network.readArea(areaView());
}

/** The manager of `network` closed. */
export function withdrawReadArea(network: Network): void {
  areaNetworks.delete(network);
}

/** A copy of the first `n` bytes of the read area. */
export function areaBytes(n: number): Uint8Array {
  return u8().slice(areaPtr, areaPtr + n);
}

/**
 * Give the `n` bytes in the read area to `conn` and flush (mgx_recv_area).
 * Bytes the core cannot take go to conn._backlog (a copy). Returns
 * mgx_recv_area's answer: bit 0 set when connections are still dirty.
 */
export function recvArea(conn: Connection, n: number): number {
  const r = core().mgx_recv_area(conn._ptr, n);
  const taken = r >>> 1;
  if (taken < n) conn._backlog.push(u8().slice(areaPtr + taken, areaPtr + n));
  return r;
}
