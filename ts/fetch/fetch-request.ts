// fetch-request.ts: the Request a fetch handler receives (ts/fetch.ts).
//
// Building a real Request (URL parsing, a Headers object, a body stream, an
// AbortController) costs more than the rest of a small request. So the app
// gets a lightweight object with the Request interface, made of a snapshot
// taken while the core's message view is valid: the head as one Latin-1
// string, a copy of the body, the URL as a string. `method`, `url`,
// `headers.get/has`, `signal` and the body readers (text, json,
// arrayBuffer, bytes, blob) are answered from it; anything else builds the
// real Request once ("materialises") and delegates to it. The object is an
// instance of Request (its prototype chain goes through Request.prototype).
//
// `new Request(lightRequest)` only works when the global Request is the
// subclass installed by installGlobals() (fetch-response.ts), which unwraps
// it, as @hono/node-server does.

/**
 * The platform's own classes, captured by linkRequest() before
 * installGlobals() replaces the globals. Not at import: in Node, reading
 * `globalThis.Request` loads its fetch implementation (undici, about 6 MB of
 * RSS), which a process that never makes a fetch handler need not carry.
 */
export let NativeRequest: typeof Request;
export let NativeHeaders: typeof Headers;
let linked = false;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const decoder = new TextDecoder();
const OWS = /^[ \t]+|[ \t]+$/g;

/** Strip HTTP whitespace (SP, HTAB) only: String#trim would also eat 0xA0, a valid obs-text byte. */
export function trimOws(s: string): string {
  const n = s.length;
  if (n === 0) return s;
  const a = s.charCodeAt(0), z = s.charCodeAt(n - 1);
  return a === 0x20 || a === 0x09 || z === 0x20 || z === 0x09 ? s.replace(OWS, "") : s;
}

/** The method as a real Request spells it: the six standard ones upper-cased whatever the case. */
export function normalizeMethod(m: string): string {
  switch (m) {
    case "GET": case "POST": case "PUT": case "DELETE": case "HEAD": case "OPTIONS": case "PATCH": return m;
  }
  const u = m.toUpperCase();
  return u === "GET" || u === "POST" || u === "PUT" || u === "DELETE" || u === "HEAD" || u === "OPTIONS" ? u : m;
}

/** The request head could not be turned into a Request (answered 400). */
export class RequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RequestError";
  }
}

/** [lower-case name, value] pairs of the header lines of `head` from offset `from`. */
function parseHeaderLines(head: string, from: number): [string, string][] {
  const out: [string, string][] = [];
  let i = from;
  const end = head.length;
  while (i < end) {
    let eol = head.indexOf("\r\n", i);
    if (eol < 0) eol = end;
    if (eol === i) break; // the blank line
    const colon = head.indexOf(":", i);
    if (colon > i && colon < eol) out.push([head.slice(i, colon).toLowerCase(), trimOws(head.slice(colon + 1, eol))]);
    i = eol + 2;
  }
  return out;
}

/**
 * The value of header `lower` (a lower-case name) in `head` from `from`,
 * duplicates joined as Headers.get() joins them; null when absent. Scans
 * the string: no pairs are built for a single lookup.
 */
export function findHeader(head: string, from: number, lower: string): string | null {
  let value: string | null = null;
  const n = lower.length;
  let i = from;
  const end = head.length;
  while (i < end) {
    let eol = head.indexOf("\r\n", i);
    if (eol < 0) eol = end;
    if (eol === i) break;
    if (head.charCodeAt(i + n) === 0x3a /* : */ && eol > i + n) {
      let j = 0;
      for (; j < n; j++) {
        let ch = head.charCodeAt(i + j);
        if (ch >= 0x41 && ch <= 0x5a) ch += 32;
        if (ch !== lower.charCodeAt(j)) break;
      }
      if (j === n) {
        const v = trimOws(head.slice(i + n + 1, eol));
        value = value === null ? v : value + (lower === "cookie" ? "; " : ", ") + v;
      }
    }
    i = eol + 2;
  }
  return value;
}

/**
 * Request headers over the head string: get() and has() scan it; every
 * other member builds a real Headers object once and delegates to it
 * (after which get/has use it too, so mutations are seen).
 */
export class RequestHeaders {
  #head: string;
  #from: number;
  #native: Headers | undefined = undefined;

  constructor(head: string, from: number) {
    this.#head = head;
    this.#from = from;
  }

  /** The real Headers (built on first use). */
  static native(h: RequestHeaders): Headers {
    if (h.#native === undefined) {
      const native = new NativeHeaders();
      for (const [name, value] of parseHeaderLines(h.#head, h.#from)) {
        try {
          native.append(name, value);
        } catch {
          // a value Headers refuses (the core admitted it): leave it out
        }
      }
      h.#native = native;
    }
    return h.#native;
  }

  get(name: string): string | null {
    if (this.#native !== undefined) return this.#native.get(name);
    const s = String(name);
    if (!TOKEN.test(s)) throw new TypeError(`Headers.get: invalid header name ${JSON.stringify(s)}`);
    return findHeader(this.#head, this.#from, s.toLowerCase());
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }
}


/** Hooks of the adapter into a FetchRequest (not part of the Request interface). */
export interface RequestHooks {
  /** The client went away: abort `signal` with `reason`. */
  abort(reason: unknown): void;
}

/**
 * The lightweight Request. Constructed by the adapter only; `instanceof
 * Request` holds.
 */
export class FetchRequest {
  #method: string;
  #url: string;
  #head: string;
  #from: number;
  #body: Uint8Array | null;
  #headers: RequestHeaders | Headers | undefined = undefined;
  #controller: AbortController | undefined = undefined;
  #abortReason: unknown = undefined;
  #aborted = false;
  #used = false;
  #native: Request | undefined = undefined;

  /**
   * `head`: the request head as Latin-1 text; `from`: where its header lines
   * start; `body`: a copy of the body, null for GET and HEAD.
   */
  constructor(method: string, url: string, head: string, from: number, body: Uint8Array | null) {
    this.#method = method;
    this.#url = url;
    this.#head = head;
    this.#from = from;
    this.#body = body;
  }

  /** The client went away before the response was complete: abort the signal. */
  static abort(req: FetchRequest, reason: unknown): void {
    if (req.#aborted) return;
    req.#aborted = true;
    req.#abortReason = reason;
    req.#controller?.abort(reason);
  }

  /** The real Request, built once. */
  static native(req: FetchRequest): Request {
    if (req.#native === undefined) {
      const method = req.#method;
      const h = req.headers as unknown;
      const headers = h instanceof RequestHeaders ? RequestHeaders.native(h) : h as Headers;
      const init: RequestInit & { duplex?: string } = { method, headers, signal: req.signal };
      if (req.#body !== null && method !== "GET" && method !== "HEAD") {
        init.body = (req.#used ? new Uint8Array(0) : req.#body) as BodyInit;
      }
      const native = new NativeRequest(req.#url, init);
      if (req.#used && init.body !== undefined) void native.arrayBuffer().catch(() => undefined); // stays "used"
      req.#native = native;
      req.#body = null;
    }
    return req.#native;
  }

  get method(): string {
    return this.#method;
  }

  get url(): string {
    return this.#url;
  }

  get headers(): Headers {
    if (this.#headers === undefined) this.#headers = new RequestHeaders(this.#head, this.#from);
    return this.#headers as unknown as Headers;
  }

  /** Aborted when the client goes away before the response is complete. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return FetchRequest.native(this).body;
  }

  get bodyUsed(): boolean {
    return this.#native !== undefined ? this.#native.bodyUsed : this.#used;
  }

  /** The body once: from the snapshot unless the real Request exists. */
  #take(): Promise<Uint8Array> | undefined {
    if (this.#native !== undefined) return undefined;
    if (this.#used) return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
    this.#used = true;
    const m = this.#method;
    return Promise.resolve(m === "GET" || m === "HEAD" || this.#body === null ? new Uint8Array(0) : this.#body);
  }

  text(): Promise<string> {
    return this.#take()?.then((b) => decoder.decode(b)) ?? this.#native!.text();
  }

  json(): Promise<unknown> {
    return this.#take()?.then((b) => JSON.parse(decoder.decode(b)) as unknown) ?? this.#native!.json();
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#take()?.then((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer) ??
      this.#native!.arrayBuffer();
  }

  bytes(): Promise<Uint8Array> {
    return this.#take() ?? this.#native!.arrayBuffer().then((b) => new Uint8Array(b));
  }

  blob(): Promise<Blob> {
    const type = this.headers.get("content-type") ?? "";
    return this.#take()?.then((b) => new Blob([b as BlobPart], { type })) ?? this.#native!.blob();
  }

  /** `Request (lightweight) GET http://host/path` in util.inspect. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Request (tsmongoose) ${this.#method} ${this.#url}`;
  }
}

/**
 * Capture the platform's Request and Headers and put the lightweight
 * classes on top of them, once (fetchHandler() calls it first). Every other
 * Headers or Request member (clone, formData, cache, mode, ...) delegates to
 * the real object. Guarded: where the web classes are missing, fetchHandler()
 * says so.
 */
export function linkRequest(): void {
  if (linked) return;
  linked = true;
  NativeRequest = globalThis.Request;
  NativeHeaders = globalThis.Headers;
  if (typeof NativeHeaders === "function") {
    delegateAll(RequestHeaders.prototype, NativeHeaders.prototype, (self) => RequestHeaders.native(self as RequestHeaders));
    Object.setPrototypeOf(RequestHeaders.prototype, NativeHeaders.prototype);
  }
  if (typeof NativeRequest === "function") {
    delegateAll(FetchRequest.prototype, NativeRequest.prototype, (self) => FetchRequest.native(self as FetchRequest));
    Object.setPrototypeOf(FetchRequest.prototype, NativeRequest.prototype);
  }
}

/**
 * Give `target` a delegating member for every member of `source` that it
 * does not define itself: getters read from `native(this)`, methods call on
 * it.
 */
export function delegateAll(target: object, source: object, native: (self: unknown) => object): void {
  for (const key of Reflect.ownKeys(source)) {
    if (key === "constructor" || Object.prototype.hasOwnProperty.call(target, key)) continue;
    const d = Object.getOwnPropertyDescriptor(source, key)!;
    if (typeof d.get === "function") {
      Object.defineProperty(target, key, {
        configurable: true, enumerable: d.enumerable,
        get(this: unknown) {
          return Reflect.get(native(this), key);
        },
      });
    } else if (typeof d.value === "function") {
      Object.defineProperty(target, key, {
        configurable: true, enumerable: d.enumerable, writable: true,
        value(this: unknown, ...args: unknown[]) {
          const n = native(this) as Record<PropertyKey, (...a: unknown[]) => unknown>;
          return n[key as string](...args);
        },
      });
    }
  }
}
