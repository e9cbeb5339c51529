// inbox.ts: moving received bytes into a connection's core receive buffer.
// The core reserves room up to the connection's receive limit; bytes it
// cannot take wait in conn._backlog (the Manager pauses the socket) and are
// retried after each flush, when handlers may have consumed input.
import { core, u8 } from "./loader";
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
