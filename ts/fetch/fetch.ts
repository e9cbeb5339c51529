// fetch.ts: web-standard handlers on the core. fetchHandler(fetch) turns a
// `(request: Request) => Response | Promise<Response>` function (Hono's
// app.fetch, itty-router, ...) into a Manager handler; serve() is the
// one-call server around it (ts/fetch-serve.ts). docs/fetch.md is the guide.
//
// Per MG_EV_HTTP_MSG: a lightweight Request is made from a snapshot of the
// message (fetch-request.ts), `fetch` is called, and its Response is written
// back with the core's reply (string, bytes, null bodies: Content-Length)
// or, for a ReadableStream body, httpStart + one httpChunk per chunk. A
// stream is read only while the connection's send buffer is below the high
// water mark; above it, the next read waits for MG_EV_WRITE (the socket
// took bytes) or MG_EV_CLOSE. A synchronous Response with a simple body is
// written before the handler returns and nothing is tracked; otherwise the
// handler returns a promise that settles when the response is complete,
// which the Manager counts as in flight (shutdown waits for it and names
// it when it forces). A fetch that throws or rejects gets 500 (or what
// opts.onError returns) and the error goes to the manager's errorHandler.
import { core, u8 } from "../core/loader";
import { connFlags, httpReply, latin1Bytes, scratch } from "../core/core";
import { MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_POLL, MG_EV_WRITE } from "../core/constants";
import { describe } from "../core/errors";
import { argTypeError, checkBoolean, checkFunction, checkNumber, checkObject } from "../core/args";
import { FetchRequest, NativeHeaders, RequestError, trimOws } from "./fetch-request";
import { HOST, newRequest } from "./fetch-url";
import { NativeResponse, TEXT_PLAIN, installGlobals, linkNatives, responseCache } from "./fetch-response";
import type { Connection, Handler } from "../core/connection";
import type { HttpMessage } from "../http/http-message";

/** The second argument `fetch` gets: the connection the request came on. */
export interface FetchEnv {
  /** The connection (remoteAddr, localAddr, id...). Do not answer on it yourself. */
  conn: Connection;
}

/**
 * The third argument `fetch` gets (Hono's `c.executionCtx`): promises given
 * to waitUntil() before the response is complete keep the request in flight
 * until they settle, so graceful shutdown waits for them too.
 */
export interface FetchContext {
  /** Count `promise` as part of this request; a rejection goes to the errorHandler. */
  waitUntil(promise: Promise<unknown>): void;
  /** Accepted for compatibility; there is no origin to pass through to. */
  passThroughOnException(): void;
  /** Free slot, as in Cloudflare's ExecutionContext. */
  props: Record<string, unknown>;
}

/** A web-standard fetch function: Hono's `app.fetch`, itty-router's `router.fetch`, ... */
export type FetchFunction = (request: Request, env: FetchEnv, ctx: FetchContext) => Response | Promise<Response>;

/** FetchContext of one request. */
class Context implements FetchContext {
  readonly #conn: Connection;
  #waits: Promise<unknown>[] | undefined = undefined;
  #props: Record<string, unknown> | undefined = undefined;

  constructor(conn: Connection) {
    this.#conn = conn;
  }

  waitUntil(promise: Promise<unknown>): void {
    const conn = this.#conn;
    (this.#waits ??= []).push(Promise.resolve(promise).then(undefined, (err: unknown) => conn.manager._reportError(err, conn)));
  }

  passThroughOnException(): void {
    // nothing to pass through to
  }

  get props(): Record<string, unknown> {
    return (this.#props ??= {});
  }

  /** Resolves once every waitUntil() promise (including ones added meanwhile) settled; undefined if none. */
  static drained(ctx: Context): Promise<void> | undefined {
    if (ctx.#waits === undefined) return undefined;
    const loop = async (): Promise<void> => {
      for (let seen = 0; seen < ctx.#waits!.length;) {
        const batch = ctx.#waits!.slice(seen);
        seen += batch.length;
        await Promise.all(batch);
      }
    };
    return loop();
  }
}

/** Defaults of FetchHandlerOptions (also `DEFAULTS.fetchHandler`). */
export const FETCH_HANDLER_DEFAULTS = Object.freeze({ overrideGlobalObjects: true, highWaterMark: 65536 });

/** Options of fetchHandler() (and serve()). */
export interface FetchHandlerOptions {
  /**
   * Answer for a `fetch` that throws or rejects (or returns no Response):
   * return a Response, or nothing for the default 500. Errors it throws
   * get the default 500 too. Default: report the error to the manager's
   * errorHandler and answer 500.
   */
  onError?: (error: unknown, request: Request) => Response | void | Promise<Response | void>;
  /** Host for the URL of a request that has no Host header (HTTP/1.0). Default: the listener's address. */
  hostname?: string;
  /**
   * Install the lightweight Response and Request as the globals (default
   * true), as @hono/node-server does. Real Responses work either way;
   * lightweight ones skip building a body stream and a Headers object.
   */
  overrideGlobalObjects?: boolean;
  /**
   * Bytes waiting in a connection's send buffer above which a streamed body
   * is not read further until the socket takes some (default 65536).
   */
  highWaterMark?: number;
}

const MG_F_EOF = 1 << 22; // net.h: the peer closed its side
const EMPTY = new Uint8Array(0);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** One request whose response is still being produced (async fetch, or a stream). */
class Exchange {
  readonly conn: Connection;
  readonly req: FetchRequest;
  /** The client went away (close, or EOF before the response was complete). */
  gone = false;
  /** Cancels the body stream being written, if any. */
  cancel: ((reason: unknown) => void) | undefined = undefined;
  #wake: (() => void) | undefined = undefined;

  constructor(conn: Connection, req: FetchRequest) {
    this.conn = conn;
    this.req = req;
  }

  /** Resolves at the next MG_EV_WRITE or when the client is gone. */
  writable(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** MG_EV_WRITE. */
  wrote(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  /**
   * MG_EV_CLOSE, or the peer's EOF while the response is incomplete: abort
   * the signal; a body being streamed is cancelled and the connection
   * closed (a half-sent response cannot be finished).
   */
  leave(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    const err = new Error(reason);
    err.name = "AbortError";
    FetchRequest.abort(this.req, err);
    if (this.cancel !== undefined) {
      this.cancel(err);
      if (!this.conn.closed) this.conn.close();
    }
    this.wrote();
  }
}

/** Why a write did not happen: the connection is gone or the core refused. */
function live(conn: Connection): boolean {
  return !conn.closed;
}

/**
 * reply() with a header block already validated and formatted: one core
 * entry, no re-validation. False when the connection is closed or the core
 * refused (a second answer, a 408 already sent).
 */
function replyRaw(conn: Connection, status: number, block: string, body: string | Uint8Array): boolean {
  if (conn.closed) return false;
  const m = conn.manager;
  m._enter();
  try {
    return httpReply(conn._ptr, status, block, body) !== 0;
  } finally {
    m._leave(true);
  }
}

/** httpStart() with a formatted block. */
function startRaw(conn: Connection, status: number, block: string): boolean {
  if (conn.closed) return false;
  const m = conn.manager;
  m._enter();
  try {
    const bytes = latin1Bytes(block);
    const p = scratch(bytes.length || 1);
    u8().set(bytes, p);
    return core().mgx_http_start(conn._ptr, status, p, bytes.length) !== 0;
  } finally {
    m._leave(true);
  }
}

function headerLine(name: string, value: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`Response header name ${describe(name)} is not a token`);
  const v = trimOws(value);
  if (!VALUE.test(v)) throw new TypeError(`Response header ${name}: invalid value ${describe(value)}`);
  return `${name}: ${v}\r\n`;
}

/**
 * The "Name: value\r\n" block of response headers given as a Headers
 * object, a record or pairs (Set-Cookie lines stay apart: Headers iterates
 * them one by one). `textBody`: add the Content-Type a real Response gives
 * a string body when none is set. Throws a TypeError naming a bad header.
 */
function headerBlock(headers: HeadersInit | undefined, textBody: boolean): string {
  let block = "";
  let hasType = false;
  if (headers !== undefined && headers !== null) {
    if (headers instanceof NativeHeaders || Array.isArray(headers) || typeof (headers as unknown as Iterable<unknown>)[Symbol.iterator] === "function") {
      for (const [name, value] of headers as Iterable<[string, string]>) {
        if (name.length === 12 && name.toLowerCase() === "content-type") hasType = true;
        block += headerLine(String(name), String(value));
      }
    } else {
      const rec = headers as Record<string, unknown>;
      for (const name in rec) {
        if (name.length === 12 && name.toLowerCase() === "content-type") hasType = true;
        block += headerLine(name, String(rec[name]));
      }
    }
  }
  if (textBody && !hasType) block += `Content-Type: ${TEXT_PLAIN}\r\n`;
  return block;
}

/** Whether `x` looks like a ReadableStream (any realm). */
function isStream(x: unknown): x is ReadableStream {
  return typeof x === "object" && x !== null && typeof (x as ReadableStream).getReader === "function";
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === "object" && x !== null && typeof (x as PromiseLike<unknown>).then === "function";
}

/** Resolves with `TICK` after a few microtask turns: how long a read of a ready chunk takes. */
const TICK = Symbol("tick");
function ticks(): Promise<typeof TICK> {
  return Promise.resolve().then(() => undefined).then(() => undefined).then(() => TICK);
}

function checkOptions(fetch: unknown, opts: unknown): FetchHandlerOptions {
  linkNatives();
  if (typeof NativeResponse !== "function" || typeof NativeHeaders !== "function") {
    throw new TypeError("fetchHandler needs the web Request, Response and Headers classes (Node >= 20 or a browser)");
  }
  const op = "fetchHandler";
  checkFunction(op, "fetch", fetch);
  if (opts === undefined) return {};
  checkObject(op, "opts", opts);
  const o = opts as FetchHandlerOptions;
  if (o.onError !== undefined) checkFunction(op, "opts.onError", o.onError);
  if (o.hostname !== undefined && (typeof o.hostname !== "string" || !HOST.test(o.hostname))) {
    throw argTypeError(op, "opts.hostname", "a host[:port] string", o.hostname);
  }
  checkBoolean(op, "opts.overrideGlobalObjects", o.overrideGlobalObjects);
  if (o.highWaterMark !== undefined) checkNumber(op, "opts.highWaterMark", o.highWaterMark, 0, Number.MAX_SAFE_INTEGER, true);
  return o;
}

/**
 * A Manager handler that serves HTTP requests with `fetch`, a web-standard
 * `(request) => Response | Promise<Response>` function such as Hono's
 * `app.fetch`. Use it as the manager's or a listener's handler:
 * `mgr.listen("http://0.0.0.0:3000", { handler: fetchHandler(app.fetch) })`.
 * Events other than MG_EV_HTTP_MSG on accepted connections are ignored
 * (MG_EV_WRITE, MG_EV_POLL and MG_EV_CLOSE drive streamed responses).
 */
export function fetchHandler(fetch: FetchFunction, opts?: FetchHandlerOptions): Handler {
  const o = checkOptions(fetch, opts);
  if (o.overrideGlobalObjects ?? FETCH_HANDLER_DEFAULTS.overrideGlobalObjects) installGlobals();
  const onError = o.onError;
  const hostname = o.hostname;
  const hwm = o.highWaterMark ?? FETCH_HANDLER_DEFAULTS.highWaterMark;
  /** Exchanges in progress by connection id (the core delivers one request at a time per connection). */
  const pending = new Map<number, Exchange>();

  /** The default answer to a failed fetch. */
  function fail500(conn: Connection): void {
    replyRaw(conn, 500, "Content-Type: text/plain\r\n", "500 Internal Server Error\n");
  }

  /**
   * A fetch failed (threw, rejected, no Response): onError's Response, else
   * 500. `useOnError` false: straight to 500 (onError's own answer failed).
   */
  function failed(conn: Connection, req: FetchRequest, ex: Exchange | undefined, err: unknown, useOnError = true): void | Promise<void> {
    if (onError === undefined || !useOnError) {
      conn.manager._reportError(err, conn);
      fail500(conn);
      return;
    }
    let r: unknown;
    try {
      r = onError(err, req as unknown as Request);
    } catch (err2) {
      conn.manager._reportError(err2, conn);
      fail500(conn);
      return;
    }
    const use = (res: unknown): void | Promise<void> => {
      if (res === undefined || res === null) {
        fail500(conn);
        return;
      }
      if (!(res instanceof NativeResponse)) {
        conn.manager._reportError(new TypeError(`fetchHandler: onError returned ${describe(res)}, not a Response`), conn);
        fail500(conn);
        return;
      }
      return respond(conn, req, ex, res, false);
    };
    if (isThenable(r)) {
      return Promise.resolve(r).then(use, (err2: unknown) => {
        conn.manager._reportError(err2, conn);
        fail500(conn);
      });
    }
    return use(r);
  }

  /**
   * Write `res`; returns a promise while a body is still being read.
   * `useOnError`: whether a failure may still ask onError.
   */
  function respond(conn: Connection, req: FetchRequest, ex: Exchange | undefined, res: unknown, useOnError = true): void | Promise<void> {
    if (!(res instanceof NativeResponse)) {
      return failed(conn, req, ex, new TypeError(`fetch returned ${describe(res)}, not a Response`), useOnError);
    }
    if (conn.closed) {
      cancelBody(res);
      return;
    }
    const cache = responseCache(res);
    let status: number, block: string, body: unknown;
    try {
      if (cache !== undefined) {
        [status, body] = cache;
        block = headerBlock(cache[2], typeof body === "string");
      } else {
        status = res.status;
        block = headerBlock(res.headers, false);
        body = res.body;
      }
    } catch (err) {
      cancelBody(res);
      return failed(conn, req, ex, err, useOnError);
    }
    if (!(status >= 200)) {
      // Response.error() (status 0): a network error has no HTTP form here.
      cancelBody(res);
      return failed(conn, req, ex, new TypeError(`Response status ${status} cannot be sent`), useOnError);
    }
    if (body === null || body === undefined) {
      replyRaw(conn, status, block, EMPTY);
    } else if (typeof body === "string" || body instanceof Uint8Array) {
      replyRaw(conn, status, block, body);
    } else if (isStream(body)) {
      return stream(conn, req, ex, status, block, body, useOnError);
    } else {
      return failed(conn, req, ex, new TypeError(`Response body ${describe(body)} is not supported`), useOnError);
    }
  }

  /**
   * Write a ReadableStream body. Chunks available right away are collected
   * first: a body that ends among them goes out as one reply with
   * Content-Length, the rest is streamed chunked with backpressure.
   */
  async function stream(conn: Connection, req: FetchRequest, ex: Exchange | undefined, status: number,
    block: string, body: ReadableStream, useOnError: boolean): Promise<void> {
    if (ex === undefined) {
      ex = new Exchange(conn, req);
      pending.set(conn.id, ex);
    }
    const x = ex;
    let reader: ReadableStreamDefaultReader<unknown>;
    try {
      reader = body.getReader();
    } catch (err) {
      return failed(conn, req, x, err, useOnError) ?? undefined;
    }
    x.cancel = (reason) => {
      reader.cancel(reason).catch(() => undefined);
    };
    if (req.method === "HEAD") {
      // No body goes out: do not run the app's stream at all.
      x.cancel(undefined);
      if (startRaw(conn, status, block) && live(conn)) conn.httpChunk("");
      return;
    }
    const first: Uint8Array[] = [];
    let started = false;
    try {
      let next: Promise<ReadableStreamReadResult<unknown>> | undefined = reader.read();
      for (let i = 0; i < 4; i++) {
        const r = await Promise.race([next, ticks()]);
        if (r === TICK) break;
        next = undefined;
        if (r.done) {
          if (!x.gone) replyRaw(conn, status, block, concat(first));
          return;
        }
        first.push(chunkBytes(r.value));
        next = reader.read();
      }
      if (x.gone) return;
      if (!startRaw(conn, status, block)) {
        x.cancel(undefined);
        return;
      }
      started = true;
      for (const c of first) if (c.length > 0) conn.httpChunk(c);
      for (;;) {
        if (x.gone) return;
        if (conn.sendLen > hwm) {
          await x.writable();
          continue;
        }
        const r = await (next ?? reader.read());
        next = undefined;
        if (x.gone || conn.closed) return;
        if (r.done) break;
        const c = chunkBytes(r.value);
        if (c.length > 0) conn.httpChunk(c);
      }
      conn.httpChunk("");
    } catch (err) {
      if (x.gone || conn.closed) return;
      x.cancel(err);
      if (!started) return failed(conn, req, x, err, useOnError) ?? undefined;
      // Part of the body is out: a truncated chunked body (no last chunk)
      // tells the client it is incomplete.
      conn.manager._reportError(err, conn);
      conn.close();
    }
  }

  /** MG_EV_HTTP_MSG on an accepted connection. */
  function onRequest(conn: Connection, hm: HttpMessage): void | Promise<void> {
    let req: FetchRequest;
    try {
      req = newRequest(conn, hm, hostname);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      replyRaw(conn, 400, "Content-Type: text/plain\r\n", `400 Bad Request: ${err.message}\n`);
      return;
    }
    const ctx = new Context(conn);
    let res: unknown;
    try {
      res = fetch(req as unknown as Request, { conn }, ctx);
    } catch (err) {
      const r = failed(conn, req, undefined, err);
      return r === undefined ? Context.drained(ctx) : settle(conn, req, undefined, r, ctx);
    }
    if (!isThenable(res)) {
      const r = respond(conn, req, undefined, res);
      return r === undefined ? Context.drained(ctx) : settle(conn, req, undefined, r, ctx);
    }
    const ex = new Exchange(conn, req);
    pending.set(conn.id, ex);
    const p = Promise.resolve(res).then(
      (value) => (ex.gone ? cancelBody(value) : respond(conn, req, ex, value)),
      (err: unknown) => (ex.gone ? undefined : failed(conn, req, ex, err)),
    );
    return settle(conn, req, ex, p, ctx);
  }

  /**
   * The promise the Manager tracks: settles (never rejects) when the
   * exchange is over and the waitUntil() promises have settled.
   */
  function settle(conn: Connection, req: FetchRequest, ex: Exchange | undefined, p: Promise<void>, ctx: Context): Promise<void> {
    return p.then(undefined, (err: unknown) => {
      conn.manager._reportError(err, conn);
      if (!conn.closed) conn.close();
    }).finally(() => {
      const cur = pending.get(conn.id);
      if (cur !== undefined && cur.req === req) pending.delete(conn.id);
      void ex;
    }).then(() => Context.drained(ctx));
  }

  return function fetchAdapter(conn: Connection, ev: number, data: unknown): void | Promise<void> {
    if (ev === MG_EV_HTTP_MSG) {
      if (conn.isClient) return;
      return onRequest(conn, data as HttpMessage);
    }
    if (pending.size === 0) return;
    if (ev === MG_EV_WRITE) {
      pending.get(conn.id)?.wrote();
    } else if (ev === MG_EV_POLL) {
      const ex = pending.get(conn.id);
      if (ex !== undefined && !conn.closed && (connFlags(conn._ptr) & MG_F_EOF) !== 0) ex.leave("client closed the connection");
    } else if (ev === MG_EV_CLOSE) {
      const ex = pending.get(conn.id);
      if (ex !== undefined) {
        pending.delete(conn.id);
        ex.leave("connection closed");
      }
    }
  };
}

/** Chunks of a body stream: bytes (or strings, which some streams yield). */
function chunkBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return new TextEncoder().encode(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new TypeError(`Response body stream yielded ${describe(v)}, not bytes`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Release a Response nobody will send (client gone). */
function cancelBody(res: unknown): void {
  try {
    const cache = responseCache(res);
    const body = cache !== undefined ? cache[1] : res instanceof NativeResponse ? res.body : null;
    if (isStream(body) && !body.locked) body.cancel().catch(() => undefined);
  } catch {
    // nothing to release
  }
}
