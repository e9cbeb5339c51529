// http-message.ts: HttpMessage, a lazy view over the core's struct
// mg_http_message (layout in wasm/src/http.h). Fields are decoded on first
// access and cached; the view expires when the handler call returns, because
// the core reuses the memory behind it.
import { TypeError } from "../core/errors";
import { MessageView } from "../core/message-view"; // Node's argument-error codes (errors.ts)
import { u8, u32 } from "../core/loader";
import { copyBytes, readLatin1, readUtf8 } from "../core/core";
import { MessageExpiredError } from "../core/errors";
import { messageCreds, type Creds } from "./http-form";

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
export class HttpMessage extends MessageView {
  // Decoded on first access and cached (one field each: no array per message).
  #method: string | undefined = undefined;
  #uri: string | undefined = undefined;
  #query: string | undefined = undefined;
  #proto: string | undefined = undefined;
  #head: string | undefined = undefined;
  #bodyText: string | undefined = undefined;
  #headers: [string, string][] | undefined = undefined;

  /** @internal Created by the Manager for MG_EV_HTTP_HDRS / MG_EV_HTTP_MSG. */
  constructor(ptr: number) {
    super(ptr, "HttpMessage");
  }




  /** Word index of the mg_str at `off` (buf at [i], len at [i + 1]); throws once expired. */
  #at(off: number): number {
    return (this._pointer + off) >>> 2;
  }

  /** The Latin-1 text of the mg_str at `off`. */
  #latin1(off: number): string {
    const i = this.#at(off);
    const w = u32();
    return readLatin1(w[i], w[i + 1]);
  }

  /** Request method ("GET"); for a response, the protocol ("HTTP/1.1"). */
  get method(): string {
    if (this._ptr === 0) throw new MessageExpiredError("HttpMessage");
    if (this.#method === undefined) {
      const i = this.#at(OFF_METHOD);
      const w = u32();
      this.#method = knownToken(w[i], w[i + 1]) ?? readLatin1(w[i], w[i + 1]);
    }
    return this.#method;
  }

  /** Request path without the query ("/a/b"); for a response, the status code text. */
  get uri(): string {
    if (this._ptr === 0) throw new MessageExpiredError("HttpMessage");
    return this.#uri ?? (this.#uri = this.#latin1(OFF_URI));
  }

  /** Query string without the "?" ("" when none). */
  get query(): string {
    if (this._ptr === 0) throw new MessageExpiredError("HttpMessage");
    return this.#query ?? (this.#query = this.#latin1(OFF_QUERY));
  }

  /** Protocol ("HTTP/1.1"); for a response, the reason phrase. */
  get proto(): string {
    if (this._ptr === 0) throw new MessageExpiredError("HttpMessage");
    return this.#proto ?? (this.#proto = this.#latin1(OFF_PROTO));
  }

  /** The (de-chunked) body, copied out. */
  get body(): Uint8Array {
    const i = this.#at(OFF_BODY);
    const w = u32();
    return copyBytes(w[i], w[i + 1]);
  }

  /** The body decoded as UTF-8. */
  get bodyText(): string {
    if (this._ptr === 0) throw new MessageExpiredError("HttpMessage");
    if (this.#bodyText === undefined) {
      const i = this.#at(OFF_BODY);
      const w = u32();
      this.#bodyText = readUtf8(w[i], w[i + 1]);
    }
    return this.#bodyText;
  }

  /** The raw head (request/status line and headers) as Latin-1. */
  get head(): string {
    if (this._ptr === 0) throw new MessageExpiredError("HttpMessage");
    return this.#head ?? (this.#head = this.#latin1(OFF_HEAD));
  }

  /** The whole message as received (head + raw body), copied out. */
  get message(): Uint8Array {
    const i = this.#at(OFF_MESSAGE);
    const w = u32();
    return copyBytes(w[i], w[i + 1]);
  }

  #allHeaders(): [string, string][] {
    if (this._ptr === 0) throw new MessageExpiredError("HttpMessage");
    if (!this.#headers) {
      const w = u32();
      const n = Math.min(w[(this._ptr + OFF_NUM_HEADERS) >>> 2], 100);
      const out: [string, string][] = [];
      for (let k = 0; k < n; k++) {
        const i = (this._ptr + OFF_HEADERS + k * 16) >>> 2;
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
    if (this.#headers !== undefined || this._ptr === 0) {
      for (const [n, v] of this.#allHeaders()) if (n.length === lower.length && n.toLowerCase() === lower) return v;
      return undefined;
    }
    // Not decoded yet: compare names in linear memory (the core admits only
    // token names, which are ASCII, so ASCII case folding is
    // toLowerCase()'s), and decode only the value found.
    const w = u32();
    const mem = u8();
    const n = Math.min(w[(this._ptr + OFF_NUM_HEADERS) >>> 2], 100);
    const len = lower.length;
    for (let k = 0; k < n; k++) {
      const i = (this._ptr + OFF_HEADERS + k * 16) >>> 2;
      if (w[i + 1] !== len) continue;
      const p = w[i];
      let j = 0;
      for (; j < len; j++) {
        const ch = mem[p + j];
        if ((ch >= 0x41 && ch <= 0x5a ? ch + 32 : ch) !== lower.charCodeAt(j)) break;
      }
      if (j === len) return readLatin1(w[i + 2], w[i + 3]);
    }
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

  /**
   * Credentials, as the reference reads them: `Authorization: Basic`
   * (user and pass), `Authorization: Bearer <token>`, else an
   * `access_token` cookie, else an `access_token` query variable (those
   * three give `{ user: "", pass: token }`); undefined when none.
   */
  creds(): Creds | undefined {
    const i = this.#at(OFF_HEAD);
    return messageCreds(this._ptr, u32()[i + 1]);
  }

  /** Status code of a response; undefined for a request. */
  status(): number | undefined {
    if (!this.method.startsWith("HTTP/")) return undefined;
    const code = Number.parseInt(this.uri, 10);
    return Number.isNaN(code) ? undefined : code;
  }

  /** Short description, e.g. `HttpMessage(GET /x)`; safe after expiry. */
  override toString(): string {
    if (this._ptr === 0) return "HttpMessage(expired)";
    return `HttpMessage(${this.method} ${this.uri})`;
  }
}

/** Methods (and the response protocol) answered with a shared string instead of a new one. */
const KNOWN_TOKENS = ["GET", "PUT", "POST", "HEAD", "PATCH", "DELETE", "OPTIONS", "CONNECT", "HTTP/1.1"];

/** The KNOWN_TOKENS entry spelled by the `len` bytes at `ptr`, if any. */
function knownToken(ptr: number, len: number): string | undefined {
  const mem = u8();
  for (const t of KNOWN_TOKENS) {
    if (t.length !== len) continue;
    let j = 0;
    while (j < len && mem[ptr + j] === t.charCodeAt(j)) j++;
    if (j === len) return t;
  }
  return undefined;
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
