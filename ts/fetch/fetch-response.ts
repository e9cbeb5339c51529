// fetch-response.ts: a lightweight Response, and the global Request and
// Response the fetch adapter installs (ts/fetch.ts).
//
// Apps build their answers with `new Response(body, init)`. A real Response
// turns a string body into a stream and init.headers into a Headers object,
// which the adapter would then have to read back asynchronously. The
// FetchResponse installed as globalThis.Response instead remembers
// [status, body, headers] as given when the body is null, a string, a
// Uint8Array or a ReadableStream and the init is plain; the adapter writes
// that straight to the core. `status`, `ok` and `headers` are answered from
// it (headers becomes a live Headers object on first access, and that is
// what is written, so middleware may change it); anything else builds the
// real Response once and delegates. Other bodies and inits build the real
// Response at once. `instanceof Response` holds both ways. This is the
// technique of @hono/node-server, written anew here.
import { delegateAll, FetchRequest, linkRequest, NativeHeaders, NativeRequest } from "./fetch-request";

/** The platform's own Response, captured by linkNatives() (not at import: see NativeRequest). */
export let NativeResponse: typeof Response;
let linked = false;

/** The key of the [status, body, headers] a FetchResponse keeps until it materialises. */
export const RESPONSE_CACHE: unique symbol = Symbol("tsmongoose.responseCache");

/** What a FetchResponse keeps: status, body as given, headers as given (or the live Headers). */
export type ResponseCache = [number, string | Uint8Array | ReadableStream | null, HeadersInit | undefined];

/** The content type a real Response gives a string body. */
export const TEXT_PLAIN = "text/plain;charset=UTF-8";

/** Statuses whose response never has a body (a real Response refuses one). */
function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}

/** Whether (body, init) can stay unbuilt: anything unusual goes to the real constructor. */
function cacheable(body: unknown, init: unknown): number {
  if (!(body === null || body === undefined || typeof body === "string" || body instanceof Uint8Array ||
    (typeof body === "object" && typeof (body as ReadableStream).getReader === "function" && body instanceof ReadableStream))) return 0;
  if (init === undefined) return 200;
  if (init === null || typeof init !== "object" || Object.getPrototypeOf(init) !== Object.prototype) return 0;
  const o = init as ResponseInit;
  for (const k in o) if (k !== "status" && k !== "headers" && k !== "statusText") return 0;
  if (o.statusText !== undefined) return 0;
  const status = o.status ?? 200;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 599) return 0;
  if (body !== null && body !== undefined && nullBodyStatus(status)) return 0;
  const h = o.headers;
  if (h !== undefined && (h === null || typeof h !== "object")) return 0;
  return status;
}

/** The lightweight Response (installed as globalThis.Response by the adapter). */
export class FetchResponse {
  #body: unknown;
  #init: ResponseInit | undefined;
  #native: Response | undefined;
  [RESPONSE_CACHE]?: ResponseCache;

  constructor(body?: BodyInit | null, init?: ResponseInit) {
    const status = cacheable(body, init);
    if (status !== 0) {
      this.#body = body;
      this.#init = init;
      this[RESPONSE_CACHE] = [status, (body ?? null) as ResponseCache[1], init?.headers];
    } else {
      this.#native = new NativeResponse(body, init);
    }
  }

  /** `x instanceof Response` is true for real Responses too. */
  static [Symbol.hasInstance](x: unknown): boolean {
    if (this === FetchResponse) return x instanceof NativeResponse;
    return Function.prototype[Symbol.hasInstance].call(this, x);
  }

  /** The real Response (built once; the cache is dropped so writers use it). */
  static native(res: FetchResponse): Response {
    if (res.#native === undefined) {
      const cache = res[RESPONSE_CACHE]!;
      delete res[RESPONSE_CACHE];
      const headers = cache[2] instanceof NativeHeaders ? cache[2] : res.#init?.headers;
      res.#native = new NativeResponse(res.#body as BodyInit | null, { status: cache[0], headers });
    }
    return res.#native;
  }

  get status(): number {
    return this[RESPONSE_CACHE]?.[0] ?? this.#native!.status;
  }

  get ok(): boolean {
    const s = this.status;
    return s >= 200 && s < 300;
  }

  get headers(): Headers {
    const cache = this[RESPONSE_CACHE];
    if (cache === undefined) return FetchResponse.native(this).headers;
    if (!(cache[2] instanceof NativeHeaders)) {
      const h = new NativeHeaders(cache[2]);
      if (typeof cache[1] === "string" && !h.has("content-type")) h.set("content-type", TEXT_PLAIN);
      cache[2] = h;
    }
    return cache[2] as Headers;
  }

  /** `Response (tsmongoose) 200` in util.inspect. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return `Response (tsmongoose) ${this.status}`;
  }
}

/** Capture the platform's web classes and link the lightweight ones to them, once (before any other use). */
export function linkNatives(): void {
  linkRequest();
  if (linked) return;
  linked = true;
  NativeResponse = globalThis.Response;
  if (typeof NativeResponse === "function") {
    delegateAll(FetchResponse.prototype, NativeResponse.prototype, (self) => FetchResponse.native(self as FetchResponse));
    Object.setPrototypeOf(FetchResponse.prototype, NativeResponse.prototype);
    // Response.json(), Response.redirect(), Response.error() come from the real class.
    Object.setPrototypeOf(FetchResponse, NativeResponse);
  }
}

let globalRequest: typeof Request | undefined;

/**
 * The global Request while the adapter's globals are installed: the real
 * one, except that a lightweight request passed as `input` is unwrapped, and
 * lightweight requests are instances of it. Made on first use.
 */
function makeGlobalRequest(): typeof Request {
  const ctor: typeof Request = class Request extends NativeRequest {
    constructor(input: RequestInfo | URL, init?: RequestInit) {
      super(input instanceof FetchRequest ? FetchRequest.native(input) : input, init);
    }

    static override [Symbol.hasInstance](x: unknown): boolean {
      if (this === ctor) return x instanceof NativeRequest;
      return Function.prototype[Symbol.hasInstance].call(this, x);
    }
  };
  return ctor;
}

/** The [status, body, headers] of a lightweight response still unbuilt, else undefined. */
export function responseCache(res: unknown): ResponseCache | undefined {
  return res instanceof FetchResponse ? res[RESPONSE_CACHE] : undefined;
}

/**
 * Make `Response` and `Request` the lightweight ones, process- (or page-)
 * wide, as @hono/node-server does. Idempotent.
 */
export function installGlobals(): void {
  linkNatives();
  const g = globalThis as unknown as Record<string, unknown>;
  globalRequest ??= makeGlobalRequest();
  if (g.Response !== FetchResponse) Object.defineProperty(globalThis, "Response", { value: FetchResponse, writable: true, configurable: true });
  if (g.Request !== globalRequest) Object.defineProperty(globalThis, "Request", { value: globalRequest, writable: true, configurable: true });
}
