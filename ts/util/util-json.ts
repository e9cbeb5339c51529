// util-json.ts: jsonGet* over the core's validating scanner (wasm/src/json.c).
// Paths use Mongoose's syntax: "$" is the document, ".key" a member, "[n]"
// an element ("$.items[2].name"). Invalid JSON, a missing path and a value of
// another type all give `undefined` (or the default passed in).
import { TypeError } from "../core/errors"; // Node's argument-error codes
import { readLatin1, readUtf8 } from "../core/core";
import { u8 } from "../core/loader";
import { dataArg, stage, stringArg, ucore } from "./util-core";

/** Find `path` in `json`: [ptr, len] of the value's text, or undefined. */
function locate(fn: string, json: unknown, path: unknown): [number, number] | undefined {
  const data = dataArg(fn, json);
  const p = stringArg(fn, "path", path);
  if (p.charCodeAt(0) !== 0x24 /* $ */) throw new TypeError(`${fn}: path must start with "$", got ${JSON.stringify(p)}`);
  const [jp, jn, pp, pn] = stage(data, p, 0);
  const k = ucore();
  const off = k.mgx_json_get(jp, jn, pp, pn);
  if (off < 0) return undefined;
  return [jp + off, k.mgx_json_toklen()];
}

/**
 * The JSON text of the value at `path` (`jsonGet('{"a":[1,2]}', "$.a")` is
 * `"[1,2]"`), or undefined when the document is invalid or has no such value.
 * The whole document is validated; of duplicate keys the first counts.
 */
export function jsonGet(json: string | Uint8Array, path: string): string | undefined {
  const at = locate("jsonGet", json, path);
  return at === undefined ? undefined : readUtf8(at[0], at[1]);
}

/** The number at `path` (parsed exactly as JSON.parse does), else `dflt`. */
export function jsonGetNum(json: string | Uint8Array, path: string, dflt?: number): number | undefined {
  const at = locate("jsonGetNum", json, path);
  if (at === undefined) return dflt;
  const c = u8()[at[0]];
  if (c !== 0x2d && (c < 0x30 || c > 0x39)) return dflt;
  return Number(readLatin1(at[0], at[1]));
}

/** The boolean at `path`, else `dflt`. */
export function jsonGetBool(json: string | Uint8Array, path: string, dflt?: boolean): boolean | undefined {
  const at = locate("jsonGetBool", json, path);
  if (at === undefined) return dflt;
  const c = u8()[at[0]];
  return c === 0x74 ? true : c === 0x66 ? false : dflt;
}

/** The number at `path` truncated to an integer, else `dflt` (0, as in the reference library). */
export function jsonGetLong(json: string | Uint8Array, path: string, dflt = 0): number {
  const v = jsonGetNum(json, path);
  return v === undefined ? dflt : Math.trunc(v);
}

/**
 * The string at `path`, decoded (escapes, `\uXXXX` with surrogate pairs;
 * a lone surrogate becomes U+FFFD), or undefined if absent or not a string.
 */
export function jsonGetStr(json: string | Uint8Array, path: string): string | undefined {
  const at = locate("jsonGetStr", json, path);
  if (at === undefined) return undefined;
  const [p, n] = at;
  const mem = u8();
  if (mem[p] !== 0x22) return undefined;
  const body = p + 1, len = n - 2;
  if (mem.subarray(body, body + len).indexOf(0x5c /* \ */) < 0) return readUtf8(body, len);
  const out = ucore().mgx_json_unescape(body, len);
  return out < 0 ? undefined : readUtf8(body, out);
}
