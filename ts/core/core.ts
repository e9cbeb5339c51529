// core.ts: the typed face of the WASM exports (wasm/src/mgx.h) and the helpers
// that move bytes and strings across linear memory.
import { TypeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { core, u8, u32 } from "./loader";

type Ptr = number;

/** The exports of mongoose.wasm (mgx.h). Pointers are wasm32 addresses. */
export interface CoreExports {
  mgx_mgr_new(): Ptr;
  mgx_mgr_free(mgr: Ptr): void;
  mgx_set_limits(mgr: Ptr, maxHeaderSize: number, maxHeaders: number, maxBodySize: number,
    recvBufferSize: number, maxConnections: number, idleTimeoutMs: number,
    headerTimeoutMs: number, requestTimeoutMs: number): void;
  mgx_shutdown(mgr: Ptr, status: number): void;
  mgx_shutdown_idle(mgr: Ptr, ms: number): void;
  mgx_poll(mgr: Ptr): number;
  mgx_flush(mgr: Ptr): void;
  mgx_timer_next(mgr: Ptr): number;
  mgx_conn_count(mgr: Ptr, acceptedOnly: number): number;
  mgx_conn_new(mgr: Ptr, kind: number, proto: number, parent: Ptr): Ptr;
  mgx_open(c: Ptr): void;
  mgx_resolved(c: Ptr): void;
  mgx_connected(c: Ptr): void;
  mgx_recv_reserve(c: Ptr, len: number): Ptr;
  mgx_recv_commit(c: Ptr, len: number): void;
  mgx_read_area(): Ptr;
  mgx_read_area_size(): number;
  mgx_recv_area(c: Ptr, len: number): number;
  mgx_writable(c: Ptr): void;
  mgx_eof(c: Ptr): void;
  mgx_error(c: Ptr, msg: Ptr, len: number): void;
  mgx_send(c: Ptr, buf: Ptr, len: number): number;
  mgx_http_reply(c: Ptr, status: number, headers: Ptr, headersLen: number, body: Ptr, bodyLen: number): number;
  mgx_http_reply_typed(c: Ptr, status: number, type: number, headers: Ptr, headersLen: number, body: Ptr, bodyLen: number): number;
  mgx_http_start(c: Ptr, status: number, headers: Ptr, headersLen: number): number;
  mgx_http_chunk(c: Ptr, buf: Ptr, len: number): number;
  mgx_http_sse(c: Ptr, type: Ptr, typeLen: number, data: Ptr, dataLen: number): number;
  mgx_drain(c: Ptr): void;
  mgx_close(c: Ptr): void;
  mgx_user_error(c: Ptr, msg: Ptr, len: number): void;
  mgx_recv_consume(c: Ptr, n: number): void;
  mgx_send_consume(c: Ptr, n: number): void;
  mgx_wakeup(c: Ptr, buf: Ptr, len: number): void;
  mgx_req_started(c: Ptr): number;
  mgx_req_uri(c: Ptr): Ptr;
  mgx_last_req_uri(c: Ptr): Ptr;
  mgx_last_req_method(c: Ptr): Ptr;
  mgx_last_req_started(c: Ptr): number;
  mgx_timer_add(mgr: Ptr, ms: number, flags: number): number;
  mgx_timer_cancel(mgr: Ptr, id: number): number;
  mgx_scratch(len: number): Ptr;
  mgx_heap_used(): number;
  mgx_tls_set(c: Ptr, on: number): void;
  mgx_tls_hs(c: Ptr): void;
  mgx_http_fail(c: Ptr, status: number): number;
  // MQTT (wasm/src/mqtt.h)
  mgx_mqtt_init(c: Ptr, version: number, maxPacket: number): number;
  mgx_mqtt_login(c: Ptr, flags: number, keepalive: number, cid: Ptr, cidLen: number, user: Ptr, userLen: number,
    pass: Ptr, passLen: number, willTopic: Ptr, wtLen: number, willMsg: Ptr, wmLen: number,
    props: Ptr, propsLen: number, willProps: Ptr, wpLen: number): number;
  mgx_mqtt_pub(c: Ptr, topic: Ptr, topicLen: number, data: Ptr, dataLen: number, flags: number, id: number,
    props: Ptr, propsLen: number): number;
  mgx_mqtt_sub(c: Ptr, unsub: number, id: number, topic: Ptr, topicLen: number, opts: number, props: Ptr, propsLen: number): number;
  mgx_mqtt_send(c: Ptr, cmd: number, id: number, codes: Ptr, ncodes: number, props: Ptr, propsLen: number): number;
  mgx_mqtt_version(c: Ptr): number;
  mgx_mqtt_keepalive(c: Ptr, secs: number): number;
}

// mgx_conn_new kinds and protocols; timer flags (mgx.h).
export const KIND_LISTENER = 0;
export const KIND_CLIENT = 1;
export const KIND_ACCEPTED = 2;
export const PROTO_RAW = 0;
export const PROTO_HTTP = 1;
export const TIMER_REPEAT = 1;
export const TIMER_RUN_NOW = 2;

// Connection flag bits (net.h MG_F_*), read from the header word at ptr+12.
export const F_LISTENING = 1 << 0;
export const F_CLIENT = 1 << 1;
export const F_ACCEPTED = 1 << 2;
export const F_UDP = 1 << 3;
export const F_WEBSOCKET = 1 << 4;
export const F_TLS = 1 << 5;
export const F_READABLE = 1 << 6;
export const F_WRITABLE = 1 << 7;
export const F_FULL = 1 << 8;
export const F_DRAINING = 1 << 9;
export const F_CLOSING = 1 << 10;
export const F_RESOLVING = 1 << 11;
export const F_CONNECTING = 1 << 12;
export const F_HTTP = 1 << 13;
export const F_REQ_PENDING = 1 << 14;
export const F_RESP_STARTED = 1 << 15;

// struct mg_connection header offsets (wasm32, net.h).
const OFF_ID = 8;
const OFF_FLAGS = 12;
const OFF_RECV = 16; // struct mg_iobuf { buf @0, size @4, len @8, align @12 }
const OFF_SEND = 32;

/** Connection id (header field at +8). */
export function connId(c: Ptr): number {
  return u32()[(c + OFF_ID) >>> 2];
}

/** MG_F_* flags word (header field at +12). */
export function connFlags(c: Ptr): number {
  return u32()[(c + OFF_FLAGS) >>> 2];
}

/** Receive iobuf: [buf, size, len]. */
export function recvBuf(c: Ptr): [number, number, number] {
  const w = u32();
  const i = (c + OFF_RECV) >>> 2;
  return [w[i], w[i + 1], w[i + 2]];
}

/** Send iobuf: [buf, size, len]. */
export function sendBuf(c: Ptr): [number, number, number] {
  const w = u32();
  const i = (c + OFF_SEND) >>> 2;
  return [w[i], w[i + 1], w[i + 2]];
}

/** A field of the recv (which = 0) or send (which = 1) iobuf: 1 size, 2 len. */
export function iobufField(c: Ptr, send: boolean, field: 1 | 2): number {
  return u32()[((c + (send ? OFF_SEND : OFF_RECV)) >>> 2) + field];
}

const encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

/** A string or bytes argument on its way into linear memory. */
export type Bytes = string | Uint8Array;

/** Worst-case byte length of `b` in linear memory (UTF-8 for strings). */
export function maxLen(b: Bytes): number {
  return typeof b === "string" ? b.length * 3 : b.byteLength;
}

/** Strings up to this length are copied by a loop while they are ASCII (no view, no encoder call). */
const SHORT_STRING = 64;

/** Copy `b` to `ptr` (UTF-8 for strings, `room` bytes available); returns bytes written. */
export function put(b: Bytes, ptr: number, room: number): number {
  const mem = u8();
  if (typeof b !== "string") {
    mem.set(b, ptr);
    return b.byteLength;
  }
  const n = b.length;
  if (n <= SHORT_STRING) {
    let i = 0;
    for (; i < n; i++) {
      const ch = b.charCodeAt(i);
      if (ch >= 0x80) break;
      mem[ptr + i] = ch;
    }
    if (i === n) return n;
    return i + encoder.encodeInto(b.slice(i), mem.subarray(ptr + i, ptr + room)).written;
  }
  return encoder.encodeInto(b, mem.subarray(ptr, ptr + room)).written;
}

/** Content-Type lines the core adds itself (mgx_http_reply_typed): a string body, JSON. */
export const REPLY_TYPE_UTF8 = 1, REPLY_TYPE_JSON = 2;
/** The line of each REPLY_TYPE_*, for paths that pass a header block instead. */
export const REPLY_TYPE_LINES = ["", "Content-Type: text/plain; charset=utf-8\r\n", "Content-Type: application/json\r\n"];

/**
 * mgx_http_reply with the Latin-1 header `block` (validated by the caller)
 * and `body` put into scratch back to back: one scratch request, no
 * intermediate arrays. `type` (REPLY_TYPE_*, for a block without
 * Content-Type): the core writes that line itself. Returns the core's
 * answer (0: nothing sent).
 */
export function httpReply(c: Ptr, status: number, block: string, body: Bytes, type = 0): number {
  body = normalize(body);
  const hn = block.length;
  const room = maxLen(body);
  const base = scratch(hn + room);
  if (hn > 0) {
    const mem = u8();
    for (let i = 0; i < hn; i++) mem[base + i] = block.charCodeAt(i);
  }
  const bn = put(body, base + hn, room);
  return type === 0 ? core().mgx_http_reply(c, status, base, hn, base + hn, bn)
    : core().mgx_http_reply_typed(c, status, type, base, hn, base + hn, bn);
}

/** Large strings are encoded once up front, so scratch is not sized 3x. */
function normalize(b: Bytes): Bytes {
  return typeof b === "string" && b.length > 65536 ? encoder.encode(b) : b;
}

/** mgx.c MG_SCRATCH_KEEP. */
const SCRATCH_KEEP = 65536;
let shrinkQueued = false;
// The scratch area the core last handed out, and how many bytes of it we
// know are there. Only this module calls mgx_scratch, so while the area is
// small it stays valid and a request that fits needs no call into the core.
let scratchBase = 0;
let scratchRoom = 0;

function shrinkScratch(): void {
  shrinkQueued = false;
  scratchBase = 0;
  scratchRoom = 0;
  core().mgx_scratch(0);
}

/**
 * The core's scratch area with room for `len` bytes (valid until the next
 * call); throws a RangeError if the core cannot allocate.
 */
export function scratch(len: number): number {
  if (len <= scratchRoom) return scratchBase;
  const base = core().mgx_scratch(len || 1);
  if (!base) {
    scratchBase = scratchRoom = 0;
    throw new RangeError(`tsmongoose: the core could not allocate ${len} bytes`);
  }
  if (len > SCRATCH_KEEP) {
    // A large argument must not pin the scratch area: shrink it once the
    // synchronous call that reads it has returned (mgx_scratch frees on a
    // small request). Until then every request asks the core again.
    scratchBase = scratchRoom = 0;
    if (!shrinkQueued) {
      shrinkQueued = true;
      queueMicrotask(shrinkScratch);
    }
  } else {
    scratchBase = base;
    scratchRoom = Math.max(len, 1);
  }
  return base;
}

/**
 * Put up to three arguments into the core's scratch area, back to back, and
 * return [ptr, len] pairs. Valid until the next scratch call; throws if the
 * core cannot allocate.
 */
export function toScratch(a: Bytes, b?: Bytes, c?: Bytes): number[] {
  a = normalize(a);
  if (b !== undefined) b = normalize(b);
  if (c !== undefined) c = normalize(c);
  const ma = maxLen(a), mb = b === undefined ? 0 : maxLen(b), mc = c === undefined ? 0 : maxLen(c);
  const base = scratch(ma + mb + mc);
  const la = put(a, base, ma);
  const out = [base, la];
  let p = base + la;
  if (b !== undefined) {
    const lb = put(b, p, mb);
    out.push(p, lb);
    p += lb;
  }
  if (c !== undefined) out.push(p, put(c, p, mc));
  return out;
}

/** Latin-1 text (header names/values) into scratch, after validation by the caller. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Up to this length a char loop is the cheapest way to make a Latin-1 string. */
const SHORT_LATIN1 = 8;

/** Node's native Latin-1 decoder (Buffer#latin1Slice works on any Uint8Array), when there is one. */
const nativeLatin1: ((this: Uint8Array, start: number, end: number) => string) | undefined =
  typeof Buffer === "function" && typeof (Buffer.prototype as { latin1Slice?: unknown }).latin1Slice === "function"
    ? (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice
    : undefined;

/** Decode `len` bytes at `ptr` as Latin-1 (every byte one char). */
export function readLatin1(ptr: number, len: number): string {
  const mem = u8();
  let s = "";
  if (len <= SHORT_LATIN1) {
    // Methods, short paths and header names: a loop beats any call.
    for (let i = ptr, end = ptr + len; i < end; i++) s += String.fromCharCode(mem[i]);
    return s;
  }
  if (nativeLatin1 !== undefined) return nativeLatin1.call(mem, ptr, ptr + len);
  for (let off = 0; off < len; off += 8192) {
    const part = mem.subarray(ptr + off, ptr + Math.min(len, off + 8192));
    s += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return s;
}

/** Decode `len` bytes at `ptr` as UTF-8 (invalid sequences become U+FFFD). */
export function readUtf8(ptr: number, len: number): string {
  return len === 0 ? "" : utf8Decoder.decode(u8().subarray(ptr, ptr + len));
}

/** Decode a NUL-terminated UTF-8 string at `ptr` (at most `max` bytes). */
export function readCString(ptr: number, max = 65536): string {
  if (!ptr) return "";
  const mem = u8();
  let end = ptr;
  const limit = Math.min(mem.length, ptr + max);
  while (end < limit && mem[end] !== 0) end++;
  return readUtf8(ptr, end - ptr);
}

/** Node's Buffer, where there is one: big copies skip zero-filling memory they overwrite at once. */
const NodeBuffer = (globalThis as { Buffer?: { allocUnsafeSlow(n: number): Uint8Array } }).Buffer;
const ZERO_FILL_SKIP = 64 * 1024;

/** A copy of `len` bytes at `ptr` (a plain Uint8Array). */
export function copyBytes(ptr: number, len: number): Uint8Array {
  if (len < ZERO_FILL_SKIP || NodeBuffer === undefined) return u8().slice(ptr, ptr + len);
  const raw = NodeBuffer.allocUnsafeSlow(len);
  const out = new Uint8Array(raw.buffer, raw.byteOffset, len);
  out.set(u8().subarray(ptr, ptr + len));
  return out;
}

/** Coerce a user data argument to string or bytes; TypeError naming anything else. */
export function toBytes(what: string, data: unknown): Bytes {
  if (typeof data === "string" || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`${what}: expected a string or Uint8Array, got ${data === null ? "null" : typeof data}`);
}

/**
 * The core's manager counters (struct mg_mgr, net.h): accepted connections,
 * shutdown status (mgx_shutdown), and completed / rejected / drained counts
 * for the shutdown report. `mgr` 0 (closed): all zero.
 */
export function coreCounters(mgr: Ptr): { numAccepted: number; shutdownStatus: number; completed: number; rejected: number; drained: number } {
  if (mgr === 0) return { numAccepted: 0, shutdownStatus: 0, completed: 0, rejected: 0, drained: 0 };
  const w = u32();
  const i = mgr >>> 2;
  return { numAccepted: w[i + 11], shutdownStatus: w[i + 12] | 0, completed: w[i + 13], rejected: w[i + 14], drained: w[i + 15] };
}
