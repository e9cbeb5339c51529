// deflate.ts: permessage-deflate (RFC 7692) on the host side. The core
// negotiates and keeps RSV1 right (wasm/src/ws_deflate.c); the bytes go
// through the platform's zlib, installed by the entry that has one
// (ts/ws/deflate-node.ts from ts/node.ts). Without it (the browser entry)
// nothing is offered or accepted.
//
// zlib's one-shot calls are the only synchronous ones, and each starts a
// fresh stream; context takeover is the same stream continued, so each
// message is (de)compressed with the window of what went before as its
// preset dictionary: the bytes on the wire are those of one long stream,
// and an idle connection keeps no zlib state, only that window.
import { u8 } from "../core/loader";
import { setWsZlibHooks } from "../core/loader";

/** A platform's raw deflate, synchronous. */
export interface WsZlib {
  /** Compress one message continuing after `dict` (undefined: afresh), sync-flushed, its 00 00 ff ff tail removed. */
  deflate(data: Uint8Array, windowBits: number, dict: Uint8Array | undefined): Uint8Array;
  /** Inflate one message (tail not included) after `dict`; throws a RangeError past `max` bytes, another error for bad data. */
  inflate(data: Uint8Array, dict: Uint8Array | undefined, max: number): Uint8Array;
}

// c->ws_pmd bits (wasm/src/ws.h).
const PMD_ON = 2, PMD_OUT_NCT = 4, PMD_IN_NCT = 8;
/** Messages shorter than this go out uncompressed (as `ws` does by default). */
export const WS_DEFLATE_THRESHOLD = 1024;
const IN_WINDOW = 1 << 15; // the peer may use up to 15 bits whatever it said

let zlib: WsZlib | undefined;

/** Install the platform's zlib (ts/ws/deflate-node.ts). */
export function setWsZlib(z: WsZlib): void {
  zlib = z;
}

/** Whether this platform can compress (false in the browser: permessage-deflate is not offered there). */
export function wsDeflateAvailable(): boolean {
  return zlib !== undefined;
}

interface Windows { in?: Uint8Array; out?: Uint8Array; pending?: Uint8Array }
const windows = new Map<number, Windows>();

/** The last `size` bytes of `prev` followed by `next`. */
function slide(prev: Uint8Array | undefined, next: Uint8Array, size: number): Uint8Array {
  if (next.length >= size || prev === undefined || prev.length === 0) return next.slice(Math.max(0, next.length - size));
  const keep = Math.min(prev.length, size - next.length);
  const w = new Uint8Array(keep + next.length);
  w.set(prev.subarray(prev.length - keep));
  w.set(next, keep);
  return w;
}

function entry(id: number): Windows {
  let w = windows.get(id);
  if (w === undefined) windows.set(id, (w = {}));
  return w;
}

setWsZlibHooks({
  inflate(id, ptr, len, max, pmd) {
    if (zlib === undefined) return -1;
    const w = entry(id);
    const keep = (pmd & PMD_IN_NCT) === 0;
    let out: Uint8Array;
    try {
      out = zlib.inflate(u8().subarray(ptr, ptr + len), keep ? w.in : undefined, max);
    } catch (err) {
      // The peer's bytes: a zip bomb is 1009, anything else bad data (1007).
      return (err as Error | undefined)?.name === "RangeError" ? -2 : -1; // by name: realms differ (vm, jest)
    }
    if (out.length > max) return -2;
    if (keep) w.in = slide(w.in, out, IN_WINDOW);
    w.pending = out;
    return out.length;
  },
  take(id, dst) {
    const w = windows.get(id);
    if (w?.pending === undefined) return;
    u8().set(w.pending, dst);
    w.pending = undefined;
  },
  free(id) {
    windows.delete(id);
  },
});

/**
 * The payload to send for a data message on connection `id` whose core
 * state is `state` (mgx_ws_deflate_state): compressed, or undefined to send
 * it as it is (not negotiated, or under the threshold).
 */
export function wsCompress(id: number, state: number, data: Uint8Array): Uint8Array | undefined {
  if ((state & PMD_ON) === 0 || zlib === undefined || data.length < WS_DEFLATE_THRESHOLD) return undefined;
  const bits = (state >> 8) & 15 || 15;
  const w = entry(id);
  const keep = (state & PMD_OUT_NCT) === 0;
  const z = zlib.deflate(data, bits, keep ? w.out : undefined);
  if (keep) w.out = slide(w.out, data, 1 << bits);
  return z;
}
