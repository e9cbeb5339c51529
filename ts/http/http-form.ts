// http-form.ts: the facade of wasm/src/http_form.c: msg.creds(),
// httpVar() and httpParseMultipart(). The parsing is the core's; this file
// moves bytes in and views out.
import { core, u32 } from "../core/loader";
import { readUtf8, copyBytes, toBytes, toScratch, type Bytes } from "../core/core";
import { describe, TypeError, RangeError } from "../core/errors"; // Node's argument-error codes (errors.ts)

interface FormExports {
  mgx_http_var(buf: number, len: number, name: number, nameLen: number, out: number, outLen: number): number;
  mgx_http_creds(hm: number, out: number, outLen: number): number;
  mgx_http_multipart(buf: number, len: number, ofs: number, out: number): number;
}

const form = (): FormExports => core() as unknown as FormExports;

/** What msg.creds() returns: Basic gives both; Bearer and access_token give `pass` with user "". */
export interface Creds {
  user: string;
  pass: string;
}

/** One part of a multipart/form-data body. */
export interface MultipartPart {
  /** The Content-Disposition `name` ("" when none). */
  name: string;
  /** The Content-Disposition `filename`, when the part is a file. */
  filename?: string;
  /** The part's bytes (a copy). */
  body: Uint8Array;
}

/** What httpParseMultipart() returns: the offset of the next part (0: no more) and this part. */
export interface MultipartResult {
  next: number;
  part?: MultipartPart;
}

/** @internal msg.creds() over the core's struct mg_http_message at `hm` (head length `headLen`). */
export function messageCreds(hm: number, headLen: number): Creds | undefined {
  const cap = headLen + 16;
  const [out] = toScratch(new Uint8Array(8 + 2 * cap)); // first: aligned for u32 reads
  const r = form().mgx_http_creds(hm, out, 8 + 2 * cap);
  if (r !== 1) return undefined;
  const w = u32();
  const ulen = w[out >>> 2], plen = w[(out >>> 2) + 1];
  return { user: readUtf8(out + 8, ulen), pass: readUtf8(out + 8 + ulen, plen) };
}

/**
 * URL-decoded value of form variable `name` in `buf` (a query string or an
 * `application/x-www-form-urlencoded` body: "a=1&b=2"), or undefined when
 * absent. The first match wins; "+" decodes to a space.
 */
export function httpVar(buf: string | Uint8Array, name: string): string | undefined {
  const bytes = toBytes("httpVar", buf);
  if (typeof name !== "string") throw new TypeError(`httpVar: name must be a string, got ${describe(name)}`);
  if (name === "") return undefined;
  const len = typeof bytes === "string" ? bytes.length * 3 : bytes.length;
  const [out, , p, n, np, nn] = toScratch(new Uint8Array(len + 4), bytes, name); // out first: aligned
  const r = form().mgx_http_var(p, n, np, nn, out, len + 4);
  if (r !== 1) return undefined;
  return readUtf8(out + 4, u32()[out >>> 2]);
}

/**
 * The part of a multipart/form-data `body` that starts at `offset` (0 for
 * the first): `{ next, part }`, where `next` is where the following part
 * starts; `{ next: 0 }` once there is no further complete part. Iterate:
 * `for (let o = 0, r; (r = httpParseMultipart(body, o)).next; o = r.next) use(r.part)`.
 * A string body is taken as its UTF-8 bytes (offsets count bytes).
 */
export function httpParseMultipart(body: Uint8Array | string, offset = 0): MultipartResult {
  // A string is its UTF-8 bytes (the reference takes str or bytes); offsets count bytes.
  if (typeof body === "string") body = new TextEncoder().encode(body);
  if (!(body instanceof Uint8Array)) throw new TypeError(`httpParseMultipart: The "body" argument must be a Uint8Array or a string. Received ${describe(body)}`);
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`httpParseMultipart: offset must be a non-negative integer, got ${describe(offset)}`);
  }
  if (offset >= body.length) return { next: 0 };
  const [out, , p, n] = toScratch(new Uint8Array(24), body as Bytes); // out first: aligned
  const next = form().mgx_http_multipart(p, n, offset, out);
  if (next === 0) return { next: 0 };
  const w = u32();
  const i = out >>> 2;
  const part: MultipartPart = {
    name: readUtf8(p + w[i], w[i + 1]),
    body: copyBytes(p + w[i + 4], w[i + 5]),
  };
  if (w[i + 2] !== 0 || w[i + 3] !== 0) part.filename = readUtf8(p + w[i + 2], w[i + 3]);
  return { next, part };
}
