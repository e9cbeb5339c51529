// util-core.ts: what the utility facades (util*.ts) share: the typed face of
// the utility exports of the core (json.h, url.h, base64.h, hash.h, match.h,
// util.h, udp.h, sntp.h) and staging of arguments in the scratch area.
import { TypeError } from "../core/errors"; // Node's argument-error codes
import { core } from "../core/loader";
import { maxLen, put, scratch, toBytes, type Bytes } from "../core/core";

/** The utility exports of mongoose.wasm. Pointers are wasm32 addresses. */
export interface UtilExports {
  mgx_json_get(json: number, jlen: number, path: number, plen: number): number;
  mgx_json_toklen(): number;
  mgx_json_unescape(s: number, len: number): number;
  mgx_json_num(s: number, len: number): number;
  mgx_url_part(url: number, len: number, which: number): number;
  mgx_url_part_len(): number;
  mgx_url_port(url: number, len: number): number;
  mgx_url_is_ssl(url: number, len: number): number;
  mgx_url_encode(s: number, len: number, dst: number, dstLen: number): number;
  mgx_url_decode(s: number, len: number, form: number): number;
  mgx_base64_encode(s: number, len: number, dst: number): number;
  mgx_base64_decode(s: number, len: number): number;
  mgx_md5(data: number, len: number, out: number): void;
  mgx_sha1(data: number, len: number, out: number): void;
  mgx_sha256(data: number, len: number, out: number): void;
  mgx_hmac_sha256(key: number, klen: number, data: number, len: number, out: number): void;
  mgx_crc32(crc: number, data: number, len: number): number;
  mgx_match(s: number, slen: number, p: number, plen: number, out: number, ncaps: number): number;
  mgx_log_set(level: number): void;
  mgx_log_get(): number;
  mgx_millis(): number;
  mgx_random(buf: number, len: number): void;
  mgx_random_str(buf: number, len: number): void;
  mgx_udp_new(mgr: number, listening: number): number;
  mgx_udp_send(c: number, buf: number, len: number): number;
  mgx_sntp_init(c: number): void;
  mgx_sntp_request(c: number): number;
}

/** The core's exports, utility functions included. */
export function ucore(): UtilExports {
  return core() as unknown as UtilExports;
}

const encoder = new TextEncoder();

/**
 * Put `a` (and `b`) into scratch back to back, followed by `out` bytes of
 * 8-aligned output room. Returns [aPtr, aLen, bPtr, bLen, outPtr]; valid
 * until the next scratch use.
 */
export function stage(a: Bytes, b: Bytes | undefined, out: number): [number, number, number, number, number] {
  if (typeof a === "string" && a.length > 65536) a = encoder.encode(a);
  if (typeof b === "string" && b.length > 65536) b = encoder.encode(b);
  const ra = maxLen(a), rb = b === undefined ? 0 : maxLen(b);
  const base = scratch(ra + rb + out + 8);
  const la = put(a, base, ra);
  const lb = b === undefined ? 0 : put(b, base + la, rb);
  const outPtr = (base + la + lb + 7) & ~7;
  return [base, la, base + la, lb, outPtr];
}

/** Validate a data argument (string or bytes) for `fn`. */
export function dataArg(fn: string, data: unknown): Bytes {
  return toBytes(fn, data);
}

/** Validate a string argument for `fn`. */
export function stringArg(fn: string, what: string, s: unknown): string {
  if (typeof s !== "string") throw new TypeError(`${fn}: ${what} must be a string, got ${s === null ? "null" : typeof s}`);
  return s;
}
