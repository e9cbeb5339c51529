// util.ts: codecs, hashes, patterns, clock, randomness and the core's log
// level, over wasm/src/{base64,md5,sha1,sha256,crc32,match,util}.c.
import { copyBytes, readLatin1, readUtf8 } from "../core/core";
import { setHostLogLevel, setHostLogSink, type LogSink } from "../core/loader";
import { u32 } from "../core/loader";
import { describe, TypeError, RangeError } from "../core/errors";
import { dataArg, stage, stringArg, ucore } from "./util-core";
import { accel, large } from "./util-accel";

/** Base64 (standard alphabet, "=" padding) of `data` (UTF-8 for strings). */
export function base64Encode(data: string | Uint8Array): string {
  const d = dataArg("base64Encode", data);
  const a = accel();
  if (a !== undefined && large(d)) return a.base64Encode(d);
  const max = typeof d === "string" ? d.length * 3 : d.byteLength;
  const [p, n, , , out] = stage(d, undefined, Math.ceil(max / 3) * 4 + 4);
  return readLatin1(out, ucore().mgx_base64_encode(p, n, out));
}

/**
 * Decode base64 (standard alphabet; padding optional but checked). Returns
 * undefined for anything else: other characters, whitespace, a bad length
 * or non-zero bits after the last byte.
 */
export function base64Decode(s: string): Uint8Array | undefined {
  const str = stringArg("base64Decode", "s", s);
  const [p, n] = stage(str, undefined, 0);
  const len = ucore().mgx_base64_decode(p, n);
  return len < 0 ? undefined : copyBytes(p, len);
}

function digest(fn: string, data: unknown, size: number,
  run: (p: number, n: number, out: number) => void): Uint8Array {
  const d = dataArg(fn, data);
  const [p, n, , , out] = stage(d, undefined, size);
  run(p, n, out);
  return copyBytes(out, size);
}

/** MD5 digest (16 bytes). For checksums and legacy protocols, not for security. */
export function md5(data: string | Uint8Array): Uint8Array {
  const d = dataArg("md5", data), a = accel();
  if (a !== undefined && large(d)) return a.md5(d);
  return digest("md5", d, 16, (p, n, o) => ucore().mgx_md5(p, n, o));
}

/** SHA-1 digest (20 bytes). */
export function sha1(data: string | Uint8Array): Uint8Array {
  const d = dataArg("sha1", data), a = accel();
  if (a !== undefined && large(d)) return a.sha1(d);
  return digest("sha1", d, 20, (p, n, o) => ucore().mgx_sha1(p, n, o));
}

/** SHA-256 digest (32 bytes). */
export function sha256(data: string | Uint8Array): Uint8Array {
  const d = dataArg("sha256", data), a = accel();
  if (a !== undefined && large(d)) return a.sha256(d);
  return digest("sha256", d, 32, (p, n, o) => ucore().mgx_sha256(p, n, o));
}

/** HMAC-SHA256 of `data` under `key` (32 bytes). */
export function hmacSha256(key: string | Uint8Array, data: string | Uint8Array): Uint8Array {
  const k = dataArg("hmacSha256", key);
  const d = dataArg("hmacSha256", data);
  const a = accel();
  if (a !== undefined && large(d)) return a.hmacSha256(k, d);
  const [kp, kn, dp, dn, out] = stage(k, d, 32);
  ucore().mgx_hmac_sha256(kp, kn, dp, dn, out);
  return copyBytes(out, 32);
}

/**
 * CRC-32 (IEEE, as zlib and zip) of `data`, continuing from `initial`:
 * `crc32(b, crc32(a))` equals `crc32(a + b)`.
 */
export function crc32(data: string | Uint8Array, initial = 0): number {
  const d = dataArg("crc32", data);
  if (!Number.isInteger(initial) || initial < 0 || initial > 0xffffffff) {
    throw new RangeError(`crc32: initial must be an integer in 0..0xffffffff, got ${describe(initial)}`);
  }
  // Only a large input asks for the platform's crc32 (asking loads node:zlib).
  const crc = large(d) ? accel()?.crc32 : undefined;
  if (crc !== undefined) return crc(d, initial);
  const [p, n] = stage(d, undefined, 0);
  return ucore().mgx_crc32(initial, p, n);
}

function wildcards(p: string): number {
  let n = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c === 0x3f || c === 0x2a || c === 0x23) n++;
  }
  return n;
}

/**
 * Match `s` against a Mongoose pattern: `?` is one character, `*` any run
 * without "/", `#` any run including "/". Returns the captures (one per
 * wildcard, in order) on a match, else undefined:
 * `match("/api/v1/users", "/api/*\/#")` is `["v1", "users"]`.
 * Patterns with more than 16 wildcards report their first 16 captures. As
 * in Mongoose, a mismatch backtracks into the last `*`/`#` only (linear
 * memory, O(n·m) time), which is exact for `#` patterns and for `*`
 * patterns without `?`; `match("ba/a", "*?*?*")` is a known miss.
 */
export function match(s: string, pattern: string): string[] | undefined {
  const str = stringArg("match", "s", s), pat = stringArg("match", "pattern", pattern);
  const ncaps = Math.min(16, wildcards(pat));
  const [sp, sn, pp, pn, out] = stage(str, pat, ncaps * 8);
  if (ucore().mgx_match(sp, sn, pp, pn, out, ncaps) === 0) return undefined;
  const w = u32();
  const caps: string[] = [];
  for (let i = 0; i < ncaps; i++) caps.push(readUtf8(sp + w[(out >>> 2) + 2 * i], w[(out >>> 2) + 2 * i + 1]));
  return caps;
}

/** Whether `s` matches the Mongoose pattern (see match()), without captures. */
export function globMatch(s: string, pattern: string): boolean {
  const str = stringArg("globMatch", "s", s), pat = stringArg("globMatch", "pattern", pattern);
  const [sp, sn, pp, pn] = stage(str, pat, 0);
  return ucore().mgx_match(sp, sn, pp, pn, 0, 0) !== 0;
}

/** Milliseconds from the core's monotonic clock (the clock timers use). */
export function millis(): number {
  return ucore().mgx_millis();
}

function countArg(fn: string, n: unknown): number {
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > 0x1000000) {
    throw new RangeError(`${fn}: length must be an integer in 0..16777216, got ${describe(n)}`);
  }
  return n;
}

/** `length` bytes from the host's cryptographic RNG (crypto.getRandomValues). */
export function randomBytes(length: number): Uint8Array {
  const n = countArg("randomBytes", length);
  const [, , , , out] = stage("", undefined, n);
  ucore().mgx_random(out, n);
  return copyBytes(out, n);
}

/** `length` random characters from [0-9A-Za-z], from the host's cryptographic RNG (unbiased). */
export function randomStr(length: number): string {
  const n = countArg("randomStr", length);
  const [, , , , out] = stage("", undefined, n);
  ucore().mgx_random_str(out, n);
  return readLatin1(out, n);
}

/**
 * Set the core's log level (MG_LL_NONE..MG_LL_VERBOSE; default MG_LL_ERROR)
 * and, optionally, where its lines go: `sink(level, line)`; `null` restores
 * the default (console.error for errors, console.log for the rest).
 */
export function logSet(level: number, sink?: LogSink | null): void {
  if (!Number.isInteger(level) || level < 0 || level > 4) {
    throw new RangeError(`logSet: level must be one of MG_LL_NONE..MG_LL_VERBOSE (0..4), got ${describe(level)}`);
  }
  if (sink !== undefined && sink !== null && typeof sink !== "function") {
    throw new TypeError(`logSet: sink must be a function, got ${describe(sink)}`);
  }
  ucore().mgx_log_set(level);
  setHostLogLevel(level);
  if (sink !== undefined) setHostLogSink(sink);
}

/** The core's log level (MG_LL_*). */
export function logGet(): number {
  return ucore().mgx_log_get();
}

export type { LogSink };
