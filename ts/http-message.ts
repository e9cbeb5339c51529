// http-message.ts: HttpMessage, a lazy view over the core's struct
// mg_http_message (layout in wasm/src/http.h). Fields are decoded on first
// access and cached; the view expires when the handler call returns, because
// the core reuses the memory behind it.
import { u32 } from "./loader";
import { copyBytes, readLatin1, readUtf8 } from "./core";
import { MessageExpiredError } from "./errors";

// struct mg_http_message offsets (wasm32): each mg_str is { buf, len }.
const OFF_METHOD = 0;
const OFF_URI = 8;
const OFF_QUERY = 16;
const OFF_PROTO = 24;
const OFF_BODY = 32;
const OFF_HEAD = 40;
const OFF_MESSAGE = 48;
const OFF_NUM_HEADERS = 56;
const OFF_HEADERS = 60;

/** A parsed HTTP request or response, valid only during the handler call. */
export class HttpMessage {
  #ptr: number;
  // Decoded on first access: method, uri, query, proto, head, bodyText.
  readonly #strings: (string | undefined)[] = [];
  #headers?: [string, string][];

  /** @internal Created by the Manager for MG_EV_HTTP_HDRS / MG_EV_HTTP_MSG. */
  constructor(ptr: number) {
    this.#ptr = ptr;
  }

  /** @internal Called by the Manager once the handler returned. */
  _expire(): void {
    this.#ptr = 0;
  }

  /** Whether the view can still be read (false once its handler returned). */
  get valid(): boolean {
    return this.#ptr !== 0;
  }

  #str(off: number): [number, number] {
    if (this.#ptr === 0) throw new MessageExpiredError("HttpMessage");
    const w = u32();
    const i = (this.#ptr + off) >>> 2;
    return [w[i], w[i + 1]];
  }

  /** Field at `off` decoded once (Latin-1, or UTF-8 for the body text), cached in slot `slot`. */
  #decoded(slot: number, off: number, utf8 = false): string {
    if (this.#ptr === 0) throw new MessageExpiredError("HttpMessage");
    let v = this.#strings[slot];
    if (v === undefined) {
      const [p, n] = this.#str(off);
      v = utf8 ? readUtf8(p, n) : readLatin1(p, n);
      this.#strings[slot] = v;
    }
    return v;
  }

  /** Request method ("GET"); for a response, the protocol ("HTTP/1.1"). */
  get method(): string {
    return this.#decoded(0, OFF_METHOD);
  }

  /** Request path without the query ("/a/b"); for a response, the status code text. */
  get uri(): string {
    return this.#decoded(1, OFF_URI);
  }

  /** Query string without the "?" ("" when none). */
  get query(): string {
    return this.#decoded(2, OFF_QUERY);
  }

  /** Protocol ("HTTP/1.1"); for a response, the reason phrase. */
  get proto(): string {
    return this.#decoded(3, OFF_PROTO);
  }

  /** The (de-chunked) body, copied out. */
  get body(): Uint8Array {
    const [p, n] = this.#str(OFF_BODY);
    return copyBytes(p, n);
  }

  /** The body decoded as UTF-8. */
  get bodyText(): string {
    return this.#decoded(5, OFF_BODY, true);
  }

  /** The raw head (request/status line and headers) as Latin-1. */
  get head(): string {
    return this.#decoded(4, OFF_HEAD);
  }

  /** The whole message as received (head + raw body), copied out. */
  get message(): Uint8Array {
    const [p, n] = this.#str(OFF_MESSAGE);
    return copyBytes(p, n);
  }

  #allHeaders(): [string, string][] {
    if (this.#ptr === 0) throw new MessageExpiredError("HttpMessage");
    if (!this.#headers) {
      const w = u32();
      const n = Math.min(w[(this.#ptr + OFF_NUM_HEADERS) >>> 2], 100);
      const out: [string, string][] = [];
      for (let k = 0; k < n; k++) {
        const i = (this.#ptr + OFF_HEADERS + k * 16) >>> 2;
        out.push([readLatin1(w[i], w[i + 1]), readLatin1(w[i + 2], w[i + 3])]);
      }
      this.#headers = out;
    }
    return this.#headers;
  }

  /** First header named `name` (case-insensitive), or undefined. */
  header(name: string): string | undefined {
    if (typeof name !== "string") throw new TypeError(`header: name must be a string, got ${typeof name}`);
    const lower = name.toLowerCase();
    for (const [n, v] of this.#allHeaders()) if (n.length === lower.length && n.toLowerCase() === lower) return v;
    return undefined;
  }

  /** All headers in order, as [name, value] pairs (a fresh array). */
  headers(): [string, string][] {
    return this.#allHeaders().map(([n, v]) => [n, v]);
  }

  /** URL-decoded value of query variable `name` (first match), or undefined. */
  queryVar(name: string): string | undefined {
    if (typeof name !== "string") throw new TypeError(`queryVar: name must be a string, got ${typeof name}`);
    return formVar(this.query, name);
  }

  /**
   * Variable `varName` inside header `header`, for values shaped like
   * `a=b; c="d"` (Cookie, Content-Disposition, Authorization params), or
   * undefined when the header or the variable is absent.
   */
  headerVar(header: string, varName: string): string | undefined {
    if (typeof varName !== "string") throw new TypeError(`headerVar: varName must be a string, got ${typeof varName}`);
    const value = this.header(header);
    return value === undefined ? undefined : headerParam(value, varName);
  }

  /** Status code of a response; undefined for a request. */
  status(): number | undefined {
    if (!this.method.startsWith("HTTP/")) return undefined;
    const code = Number.parseInt(this.uri, 10);
    return Number.isNaN(code) ? undefined : code;
  }

  /** Short description, e.g. `HttpMessage(GET /x)`; safe after expiry. */
  toString(): string {
    if (this.#ptr === 0) return "HttpMessage(expired)";
    return `HttpMessage(${this.method} ${this.uri})`;
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
const HEX2 = /^[0-9a-fA-F]{2}$/;

/** Decode %XX escapes and '+' (form encoding) as UTF-8; malformed escapes stay literal. */
export function formDecode(s: string): string {
  if (!/[%+]/.test(s)) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x2b) {
      bytes.push(0x20);
    } else if (ch === 0x25 && HEX2.test(s.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch < 0x80) {
      bytes.push(ch);
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      for (const b of textEncoder.encode(String.fromCodePoint(cp))) bytes.push(b);
    }
  }
  return textDecoder.decode(new Uint8Array(bytes));
}

/** Value of `name` in an `a=1&b=2` string (first match), URL-decoded. */
export function formVar(query: string, name: string): string | undefined {
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (formDecode(key) === name) return eq < 0 ? "" : formDecode(pair.slice(eq + 1));
  }
  return undefined;
}

/** Value of `name` in `a=b; c="d", e=f` (quotes removed, \-escapes resolved). */
export function headerParam(value: string, name: string): string | undefined {
  const re = /[\s;,]*([^=;,\s]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,]*)))?/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < value.length && (m = re.exec(value)) !== null) {
    if (m[0] === "") break;
    if (m[1] === name) {
      if (m[2] !== undefined) return m[2].replace(/\\(.)/g, "$1");
      return (m[3] ?? "").trim();
    }
  }
  return undefined;
}
