// write-slabs.ts: the buffers both Node transports copy sends into.
// A send is copied out of linear memory into the current slab and written;
// the write usually finishes at once and the slab is reused. A write that goes
// asynchronous takes its slab along (handOver), and the slab comes back to a
// small spare list when the write completes (recycle), so a long body to a
// socket that keeps filling up cycles through a few slabs instead of leaving
// one garbage Buffer per write for the GC. Slabs are plain Uint8Array views
// (over Buffer.allocUnsafeSlow memory, not zero-filled): their subarray() is
// the engine's builtin, while a Buffer's is JavaScript that builds a
// FastBuffer, a cost paid on every send.

/**
 * The slab a send is copied into grows to this size; bigger sends get a
 * one-off Buffer. Fresh memory is costly to touch (page faults: a new 1 MiB
 * Buffer costs about 30 times a copy into a reused one), so a 1 MiB
 * WebSocket frame or file step (a little over 1 MiB) still fits.
 */
const SLAB_MAX = 2 << 20;
/** The first slab's size. */
const SLAB_MIN = 64 * 1024;
const SPARE_SLABS_MAX = 8;

/** The current slab, reused while writes finish synchronously. */
let slab: Uint8Array | undefined;
/** Slabs whose asynchronous write completed. */
const spareSlabs: Uint8Array[] = [];
/** Memory writeBuf() allocated: only it is recycled (a caller's kept bytes are never reused). */
const ours = new WeakSet<ArrayBufferLike>();

/** A write buffer of `len` bytes: the slab (or a spare one) while it fits, else a one-off. */
export function writeBuf(len: number): Uint8Array {
  if (len > SLAB_MAX) return fresh(len);
  if (slab === undefined && spareSlabs.length > 0) slab = spareSlabs.pop();
  if (slab === undefined || slab.length < len) {
    slab = fresh(Math.max(len, SLAB_MIN));
    ours.add(slab.buffer);
  }
  return len === slab.length ? slab : slab.subarray(0, len);
}

/** `buf` stays with a pending write: the next writeBuf() must not hand out its memory. */
export function handOver(buf: Uint8Array): void {
  if (buf.buffer === slab?.buffer) slab = undefined;
}

/** The write of `done` completed: keep its slab for reuse (one-off buffers are dropped). */
export function recycle(done: Uint8Array): void {
  if (done.length <= SLAB_MAX && done.byteOffset === 0 && done.buffer.byteLength >= SLAB_MIN &&
      spareSlabs.length < SPARE_SLABS_MAX && ours.has(done.buffer)) {
    spareSlabs.push(new Uint8Array(done.buffer, 0, done.buffer.byteLength));
  }
}

/** `len` bytes of fresh, not zero-filled memory, as a plain view (allocUnsafeSlow: its own ArrayBuffer, offset 0). */
function fresh(len: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(len).buffer, 0, len);
}
