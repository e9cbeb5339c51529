// static.ts: static files (serveDir/serveFile) and host-side response bodies.
//
// The core decides everything HTTP (paths, validators, ranges, heads); this
// module answers its file calls (wasm/src/fs.h) through a FileSystem and
// writes host-side bodies: a file range bigger than MG_FS_INLINE_MAX, or a
// reply() body of at least HOST_REPLY_MIN bytes, goes from the file (or the
// caller's array) straight to the socket, never through linear memory. The
// body pump sends what the socket takes, waits for `writable`, and goes on.
import { core, f64, setFsHooks, u8 } from "../core/loader";
import { connectionById } from "../core/registry";
import { latin1Bytes, readUtf8, REPLY_TYPE_LINES, scratch, type Bytes } from "../core/core";
import { ConnectionClosedError, describe, TypeError } from "../core/errors"; // Node's argument-error codes
import { formatHeaders, type HeadersInit } from "./headers";
import { HttpMessage } from "./http-message";
import { StaticCache, staticCacheOptions, type StaticCacheOptions } from "./static-cache";
import type { Connection } from "../core/connection";
import type { FileSystem } from "../../shim/fs";

/** reply() bodies of at least this many bytes stay in the host (sent by the shim after the head). */
export const HOST_REPLY_MIN = 64 * 1024;
/** Bytes a body pump reads and offers per send. */
const PUMP_CHUNK = 1024 * 1024;

const FS_READ = 1;
const FS_DIR = 4;

/** Options of `conn.serveFile()`. */
export interface ServeFileOptions {
  /** Header lines added to every answer ("Name: value\r\n" text, or name/value pairs). */
  extraHeaders?: HeadersInit;
  /** MIME type overrides by extension: `{ md: "text/plain" }` or Mongoose's `"md=text/plain,x=y/z"`. */
  mimeTypes?: string | Record<string, string>;
  /** The file system to read from (default: node:fs in Node; none in the browser). */
  fs?: FileSystem;
  /**
   * The small-file cache over the default node:fs: its limits (shared by
   * every call; the last ones given apply), or false to read each file
   * every time. Not used with `fs`.
   */
  cache?: Partial<StaticCacheOptions> | false;
}

/** Options of `conn.serveDir()`. */
export interface ServeDirOptions extends ServeFileOptions {
  /** A file sent with status 404 when nothing matches the request. */
  page404?: string;
  /** List a directory that has no index.html (default false: 403). */
  dirListing?: boolean;
}

// ---- file systems and handles -------------------------------------------------

let defaultFs: FileSystem | undefined;

/** @internal The FileSystem used when serveDir/serveFile get none (set by the Node entry). */
export function setDefaultFileSystem(fs: FileSystem | undefined): void {
  defaultFs = fs;
}

/** The file system of the serve call in progress (the core's imports are synchronous). */
let activeFs: FileSystem | undefined;
/** Its cache, when it is the default file system's and not turned off. */
let activeCache: StaticCache | undefined;
let defaultCache: StaticCache | undefined;
/** The `cache` object applied last: the same object is not checked again per request. */
let lastCacheOpts: unknown;

function cacheFor(opts: ServeFileOptions, fs: FileSystem | undefined): StaticCache | undefined {
  const o = opts.cache;
  if (o === false || opts.fs !== undefined || fs === undefined) return undefined;
  if (defaultCache?.fs !== fs) {
    defaultCache = new StaticCache(fs);
    lastCacheOpts = undefined;
  }
  if (o !== undefined && o !== lastCacheOpts) {
    defaultCache.configure(staticCacheOptions(o));
    lastCacheOpts = o;
  }
  return defaultCache;
}

/** Paths and file bytes the static file cache (over node:fs) holds now. */
export function staticCacheUsage(): { entries: number; bytes: number } {
  return defaultCache?.usage() ?? { entries: 0, bytes: 0 };
}
/** The connection of that serve call: a file system's failure is reported for it. */
let activeConn: Connection | undefined;

/**
 * A FileSystem call threw: report it (errorHandler) for the connection
 * being served; the import then answers "no such file" / "nothing read",
 * so the request gets a 404 or a cut response, never a stuck manager.
 */
function fsFailed(err: unknown, conn = activeConn): void {
  if (conn !== undefined) conn.manager._reportError(err, conn);
  else console.error("tsmongoose: file system call failed:", err);
}

type Handle =
  | { fs: FileSystem; fd: number; bytes?: undefined }
  | { bytes: Uint8Array; fs?: undefined; fd?: undefined };

const handles = new Map<number, Handle>();
let nextHandle = 1;

function addHandle(h: Handle): number {
  let id = nextHandle;
  while (handles.has(id) || id === 0) id = (id + 1) >>> 0;
  nextHandle = (id + 1) >>> 0 || 1;
  handles.set(id, h);
  return id;
}

function closeHandle(id: number, conn?: Connection): void {
  const h = handles.get(id);
  if (h === undefined) return;
  handles.delete(id);
  if (h.fs === undefined) return;
  try {
    h.fs.close(h.fd);
  } catch (err) {
    fsFailed(err, conn ?? activeConn);
  }
}

/** @internal Handles open now (tests: nothing leaks). */
export function openHandles(): number {
  return handles.size;
}

const encoder = new TextEncoder();

/** Bytes of handle `id` at [pos, pos + len): a view where possible, else read into `buf`. */
function readHandle(h: Handle, pos: number, len: number, buf: Uint8Array): Uint8Array {
  if (h.bytes !== undefined) return h.bytes.subarray(pos, pos + len);
  const view = h.fs.view?.(h.fd, pos, len);
  if (view !== undefined) return view;
  const n = h.fs.read(h.fd, buf.subarray(0, len), pos);
  return buf.subarray(0, n);
}

// ---- body pumps -------------------------------------------------------------------

let pumpBuf: Uint8Array | undefined;

/** One host-side body being written to a connection. */
class BodyPump {
  constructor(readonly conn: Connection, readonly handle: number, public pos: number, readonly end: number) {}

  /** Send until the socket is full or the body is out; a failing read cuts the body (closes). */
  run(): void {
    try {
      this.#pump();
    } catch (err) {
      this.conn.manager._reportError(err, this.conn);
      if (pumps.get(this.conn.id) === this) this.#done(false);
    }
  }

  #pump(): void {
    const net = this.conn.manager._network;
    const id = this.conn.id;
    const h = handles.get(this.handle);
    if (h === undefined) return this.#done(false);
    pumpBuf ??= new Uint8Array(PUMP_CHUNK);
    while (this.pos < this.end) {
      const want = Math.min(PUMP_CHUNK, this.end - this.pos);
      if (h.fs !== undefined && h.fs.view === undefined && net.sendWith !== undefined) {
        // The file is read straight into the socket's write buffer.
        const pos = this.pos;
        let n: number;
        let reading = false;
        try {
          n = net.sendWith(id, want, (buf) => {
            reading = true;
            const got = h.fs.read(h.fd, buf, pos);
            reading = false;
            return got;
          });
        } catch (err) {
          if (reading) throw err; // the file system's: run() reports it and cuts the body
          return this.#netFailed(err);
        }
        if (n < 0) return this.#done(false);
        if (n === 0) return; // full: `writable` resumes us
        this.pos += n;
        if (!this.#sent(n)) return;
        continue;
      }
      // Bytes already in memory go in one send: the transport copies them
      // once (as it would from linear memory) and the kernel drains them
      // without waiting for this event loop, busy or not.
      const inMemory = h.bytes !== undefined || h.fs.view !== undefined;
      const chunk = readHandle(h, this.pos, inMemory ? this.end - this.pos : want, pumpBuf);
      if (chunk.length === 0) return this.#done(false); // the file shrank: the length was promised
      let n: number;
      try {
        // Bytes in memory (the caller's array, a packed file) are written without a copy.
        n = inMemory && net.sendKept !== undefined ? net.sendKept(id, chunk) : net.send(id, chunk);
      } catch (err) {
        return this.#netFailed(err); // the networks drop bytes for a gone socket: this is a failure
      }
      n = Math.min(n, chunk.length);
      this.pos += n;
      if (n > 0 && !this.#sent(n)) return; // closing: host_close cancels us
      if (n < chunk.length) return; // full: `writable` resumes us (positional reads: nothing kept)
    }
    this.#done(true);
  }

  /** The network failed the write: the connection's error (MG_EV_ERROR, then close). */
  #netFailed(err: unknown): void {
    pumps.delete(this.conn.id);
    closeHandle(this.handle, this.conn);
    this.conn.manager._networkEvents.error(this.conn.id, err instanceof Error ? err : new Error(String(err)));
  }

  /** MG_EV_WRITE for `n` bytes; false when the connection is closing. */
  #sent(n: number): boolean {
    const c = this.conn._ptr;
    if (c === 0 || pumps.get(this.conn.id) !== this) return false;
    const m = this.conn.manager;
    m._enter();
    try {
      return statics().mgx_body_sent(c, n) !== 0 && pumps.get(this.conn.id) === this;
    } finally {
      m._leave(true);
    }
  }

  #done(ok: boolean): void {
    pumps.delete(this.conn.id);
    closeHandle(this.handle, this.conn);
    const c = this.conn._ptr;
    if (c === 0) return;
    const m = this.conn.manager;
    m._enter();
    try {
      if (ok) statics().mgx_body_done(c);
      else core().mgx_close(c);
    } finally {
      m._leave(true);
    }
  }
}

const pumps = new Map<number, BodyPump>();

/** @internal `writable` for connection `id`: true if a body pump took it. */
export function bodyWritable(id: number): boolean {
  const p = pumps.get(id);
  if (p === undefined) return false;
  p.run();
  return true;
}

/** @internal The connection is closing: drop its body pump (and the handle). */
export function cancelBody(id: number): void {
  const p = pumps.get(id);
  if (p === undefined) return;
  pumps.delete(id);
  closeHandle(p.handle, p.conn);
}

// ---- the core's file imports ----------------------------------------------------

/**
 * Paths decoded lately: the core names the same few (the root, a file) in
 * several calls per request and request after request. Comparing the bytes
 * (from the end, where names differ) is cheaper than decoding them, and the
 * same string keeps its hash for the map lookups behind stat and within.
 */
const PATH_MEMO = 8;
const PATH_MEMO_MAX = 256;
const memoBytes: Uint8Array[] = [];
const memoStrings: string[] = [];
let memoNext = 0;

function pathAt(p: number, l: number): string {
  const mem = u8();
  next: for (let i = 0; i < memoBytes.length; i++) {
    const b = memoBytes[i];
    if (b.length !== l) continue;
    for (let k = l - 1; k >= 0; k--) if (b[k] !== mem[p + k]) continue next;
    return memoStrings[i];
  }
  const s = readUtf8(p, l);
  if (l <= PATH_MEMO_MAX) {
    memoBytes[memoNext] = mem.slice(p, p + l);
    memoStrings[memoNext] = s;
    memoNext = (memoNext + 1) % PATH_MEMO;
  }
  return s;
}

setFsHooks({
  stat(p, l, out) {
    const fs = activeFs;
    if (fs === undefined) return 0;
    let st: ReturnType<FileSystem["stat"]>;
    try {
      const path = pathAt(p, l);
      st = activeCache !== undefined ? activeCache.stat(path) : fs.stat(path);
    } catch (err) {
      fsFailed(err);
      return 0;
    }
    if (st === undefined) return 0;
    const v = f64();
    v[out >>> 3] = st.size;
    v[(out >>> 3) + 1] = st.mtime;
    return st.isDirectory ? FS_DIR : FS_READ;
  },
  open(p, l, flags) {
    const fs = activeFs;
    if (fs === undefined) return 0;
    const path = pathAt(p, l);
    try {
      if (flags & FS_DIR) {
        const names = fs.list(path);
        if (names === undefined) return 0;
        return addHandle({ bytes: encoder.encode(names.filter((n) => !n.includes("\n")).map((n) => `${n}\n`).join("")) });
      }
      const kept = activeCache?.bytes(path);
      if (kept !== undefined) return addHandle({ bytes: kept });
      const fd = fs.open(path);
      return fd === undefined ? 0 : addHandle({ fs, fd });
    } catch (err) {
      fsFailed(err);
      return 0;
    }
  },
  read(id, offset, buf, len) {
    const h = handles.get(id);
    if (h === undefined) return 0;
    if (h.bytes !== undefined) {
      // A kept file is usually read whole: copy it without making views.
      const b = h.bytes;
      const part = offset === 0 && len >= b.length ? b : b.subarray(offset, offset + len);
      u8().set(part, buf);
      return part.length;
    }
    const dest = u8().subarray(buf, buf + len);
    try {
      return h.fs.read(h.fd, dest, offset);
    } catch (err) {
      fsFailed(err);
      return 0; // the core cuts the response short and closes the connection
    }
  },
  close(id) {
    closeHandle(id);
  },
  within(r, rl, p, pl) {
    const fs = activeFs;
    try {
      return fs !== undefined && fs.within(pathAt(r, rl), pathAt(p, pl)) ? 1 : 0;
    } catch (err) {
      fsFailed(err);
      return 0;
    }
  },
  body(id, handle, offset, len) {
    const conn = connectionById(id);
    if (conn === undefined || handles.get(handle) === undefined) {
      closeHandle(handle);
      return;
    }
    const pump = new BodyPump(conn, handle, offset, offset + len);
    pumps.set(id, pump);
    pump.run();
  },
});

// ---- the exports of http_static.h ---------------------------------------------------

interface StaticExports {
  mgx_http_serve_dir(c: number, hm: number, root: number, rootLen: number, extra: number, extraLen: number,
    mime: number, mimeLen: number, page404: number, page404Len: number, flags: number): number;
  mgx_http_serve_file(c: number, hm: number, path: number, pathLen: number, extra: number, extraLen: number,
    mime: number, mimeLen: number): number;
  mgx_http_reply_host(c: number, status: number, headers: number, headersLen: number, len: number, fd: number): number;
  mgx_body_sent(c: number, n: number): number;
  mgx_body_done(c: number): void;
}

function statics(): StaticExports {
  return core() as unknown as StaticExports;
}

/** Copy byte strings into scratch back to back: [ptr, len] pairs. */
function toScratchN(parts: Uint8Array[]): number[] {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const base = scratch(total);
  const mem = u8();
  const out: number[] = [];
  let at = base;
  for (const p of parts) {
    mem.set(p, at);
    out.push(at, p.length);
    at += p.length;
  }
  return out;
}

/** The last path checked and its bytes: a web root is the same string request after request. */
let lastPath = "";
let lastPathBytes = new Uint8Array(0);
const EMPTY = new Uint8Array(0);

function checkPath(what: string, path: unknown): Uint8Array {
  if (path === lastPath && path !== "") return lastPathBytes;
  if (typeof path !== "string" || path === "" || path.includes("\0")) {
    throw new TypeError(`${what} must be a non-empty string without NUL, got ${describe(path)}`);
  }
  lastPath = path;
  lastPathBytes = encoder.encode(path);
  return lastPathBytes;
}

function extraBlock(h: HeadersInit | undefined): Uint8Array {
  return h === undefined ? EMPTY : latin1Bytes(formatHeaders(h));
}

function mimeBlock(m: unknown): Uint8Array {
  if (m === undefined) return EMPTY;
  if (typeof m === "string") {
    if (/[\r\n\0]/.test(m)) throw new TypeError(`mimeTypes: invalid text ${describe(m)}`);
    return latin1Bytes(m);
  }
  if (typeof m !== "object" || m === null) throw new TypeError(`mimeTypes must be a string or an object, got ${describe(m)}`);
  const items: string[] = [];
  for (const [ext, type] of Object.entries(m)) {
    if (typeof type !== "string" || /[,=\r\n\0]/.test(ext + type) || ext === "" || type === "") {
      throw new TypeError(`mimeTypes: invalid entry ${describe(ext)}: ${describe(type)}`);
    }
    items.push(`${ext.replace(/^\./, "")}=${type}`);
  }
  return encoder.encode(items.join(","));
}

function checkFs(fs: unknown): FileSystem | undefined {
  if (fs === undefined) return defaultFs;
  const f = fs as FileSystem;
  if (typeof fs !== "object" || fs === null || typeof f.stat !== "function" || typeof f.open !== "function" ||
      typeof f.read !== "function" || typeof f.close !== "function" || typeof f.list !== "function" ||
      typeof f.within !== "function") {
    throw new TypeError(`fs must implement stat, open, read, close, list and within, got ${describe(fs)}`);
  }
  return f;
}

function messagePtr(op: string, msg: unknown): number {
  if (!(msg instanceof HttpMessage)) throw new TypeError(`${op}: msg must be the HttpMessage of the request, got ${describe(msg)}`);
  return msg._pointer; // throws MessageExpiredError once the handler returned
}

function live(conn: Connection, op: string): number {
  if (conn._ptr === 0) throw new ConnectionClosedError(conn.id, op);
  return conn._ptr;
}

function withFs<T>(conn: Connection, fs: FileSystem | undefined, cache: StaticCache | undefined, fn: () => T): T {
  const m = conn.manager;
  const prev = activeFs;
  const prevCache = activeCache;
  const prevConn = activeConn;
  activeFs = fs;
  activeCache = cache;
  activeConn = conn;
  m._enter();
  try {
    return fn();
  } finally {
    activeFs = prev;
    activeCache = prevCache;
    activeConn = prevConn;
    m._leave(true);
  }
}

/** The request is answered (the one-response-per-request guard of request-guard.ts). */
function answered(conn: Connection, ok: boolean): boolean {
  if (ok) (conn as unknown as { _answered: boolean })._answered = true;
  return ok;
}

/** conn.serveDir(): see Connection.serveDir. */
export function serveDir(conn: Connection, msg: HttpMessage, rootDir: string, opts: ServeDirOptions = {}): boolean {
  const c = live(conn, "serveDir");
  const hm = messagePtr("serveDir", msg);
  if (typeof opts !== "object" || opts === null) throw new TypeError(`serveDir: options must be an object, got ${describe(opts)}`);
  const root = checkPath("serveDir: rootDir", rootDir);
  const extra = extraBlock(opts.extraHeaders);
  const mime = mimeBlock(opts.mimeTypes);
  const page404 = opts.page404 === undefined ? EMPTY : checkPath("serveDir: page404", opts.page404);
  const fs = checkFs(opts.fs);
  return answered(conn, withFs(conn, fs, cacheFor(opts, fs), () => {
    const [rp, rn, ep, en, mp, mn, pp, pn] = toScratchN([root, extra, mime, page404]);
    return statics().mgx_http_serve_dir(c, hm, rp, rn, ep, en, mp, mn, pp, pn, opts.dirListing ? 1 : 0) !== 0;
  }));
}

/** conn.serveFile(): see Connection.serveFile. */
export function serveFile(conn: Connection, msg: HttpMessage, path: string, opts: ServeFileOptions = {}): boolean {
  const c = live(conn, "serveFile");
  const hm = messagePtr("serveFile", msg);
  if (typeof opts !== "object" || opts === null) throw new TypeError(`serveFile: options must be an object, got ${describe(opts)}`);
  const p = checkPath("serveFile: path", path);
  const extra = extraBlock(opts.extraHeaders);
  const mime = mimeBlock(opts.mimeTypes);
  const fs = checkFs(opts.fs);
  return answered(conn, withFs(conn, fs, cacheFor(opts, fs), () => {
    const [pp, pn, ep, en, mp, mn] = toScratchN([p, extra, mime]);
    return statics().mgx_http_serve_file(c, hm, pp, pn, ep, en, mp, mn) !== 0;
  }));
}

/**
 * @internal reply() with a body the host keeps: the core formats the head,
 * the pump writes `body` after it. Returns undefined when the body is small
 * (the caller copies it through linear memory as usual).
 */
export function replyHost(c: number, status: number, block: string, body: Bytes, type = 0): boolean | undefined {
  if (typeof body === "string") {
    if (body.length < HOST_REPLY_MIN) return undefined; // chars <= UTF-8 bytes
    body = encoder.encode(body);
  }
  if (body.byteLength < HOST_REPLY_MIN) return undefined;
  const handle = addHandle({ bytes: body });
  const [hp, hn] = toScratchN([latin1Bytes(REPLY_TYPE_LINES[type] + block)]);
  // The core consumes the handle in every case (sent, dropped for HEAD, or refused).
  return statics().mgx_http_reply_host(c, status, hp, hn, body.byteLength, handle) !== 0;
}
