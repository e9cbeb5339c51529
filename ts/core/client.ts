// client.ts: the outbound side of a Manager beyond the socket itself:
// name resolution through the host (conn.resolve / resolveCancel), resolve
// and connect timeouts, AbortSignal for connect(), and httpBasicAuth().
// Manager/Connection methods are one-line delegates into this file.
import { core } from "./loader";
import { connFlags, F_CONNECTING, F_RESOLVING } from "./core";
import { describe, TypeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { argTypeError, checkNumber } from "./args";
import { parseEndpoint } from "./url";
import type { Connection } from "./connection";
import type { Manager } from "./manager";
import type { Address, Network } from "../../shim/network";

/** Default of `resolveTimeoutMs` (connect() and conn.resolve()). */
export const DEFAULT_RESOLVE_TIMEOUT_MS = 10_000;

/** Defaults of ClientOptions, connect()'s (also `DEFAULTS.connect`); 0 = no limit. */
export const CONNECT_DEFAULTS = Object.freeze({ timeoutMs: 0, resolveTimeoutMs: DEFAULT_RESOLVE_TIMEOUT_MS });

/** Defaults of ResolveOptions, conn.resolve()'s (also `DEFAULTS.resolve`). */
export const RESOLVE_DEFAULTS = Object.freeze({ timeoutMs: DEFAULT_RESOLVE_TIMEOUT_MS });

/** The connect() options this module handles. */
export interface ClientOptions {
  /** Abort the connection: MG_EV_ERROR ("connect aborted: ...") then MG_EV_CLOSE, if it is still open. */
  signal?: AbortSignal;
  /** Resolving and connecting must finish within this many ms, else MG_EV_ERROR "connect timeout" + close (0 = no limit, the default). */
  timeoutMs?: number;
  /** The host name must resolve within this many ms, else MG_EV_ERROR "resolve timeout" + close (default 10000; 0 = no limit). */
  resolveTimeoutMs?: number;
}

/** Options of conn.resolve(). */
export interface ResolveOptions {
  /** Give up after this many ms: MG_EV_ERROR "resolve timeout: <host>" and close (default 10000; 0 = no limit). */
  timeoutMs?: number;
}

/** A Network that can resolve names (the Node network: dns.lookup; the memory network: its names). */
interface Resolver {
  lookup?(host: string): Promise<Address>;
}

function checkMs(op: string, name: string, v: unknown, dflt: number): number {
  return v === undefined ? dflt : checkNumber(op, `opts.${name}`, v, 0);
}

/** Validate the client options of connect() before anything is created. */
export function checkClientOptions(opts: ClientOptions): Required<Omit<ClientOptions, "signal">> & { signal?: AbortSignal } {
  const { signal } = opts;
  if (signal !== undefined && (signal === null || typeof signal !== "object" || typeof signal.aborted !== "boolean" ||
      typeof signal.addEventListener !== "function")) {
    throw argTypeError("connect", "opts.signal", "an AbortSignal", signal);
  }
  return {
    signal,
    timeoutMs: checkMs("connect", "timeoutMs", opts.timeoutMs, CONNECT_DEFAULTS.timeoutMs),
    resolveTimeoutMs: checkMs("connect", "resolveTimeoutMs", opts.resolveTimeoutMs, CONNECT_DEFAULTS.resolveTimeoutMs),
  };
}

/** Fire MG_EV_ERROR with `message` and close, if the connection is still open. */
function failConn(conn: Connection, message: string): void {
  if (conn.closed || conn.isClosing) return;
  conn.error(message);
}

/** Per-connection cleanups run when the connection closes. */
const cleanups = new WeakMap<Manager, Map<Connection, (() => void)[]>>();

function onClose(mgr: Manager, conn: Connection, fn: () => void): void {
  let m = cleanups.get(mgr);
  if (m === undefined) {
    const map = new Map<Connection, (() => void)[]>();
    cleanups.set(mgr, map);
    m = map;
    mgr._observe({
      connectionClosed: (c) => runCleanups(map, c),
      closed: () => {
        for (const c of [...map.keys()]) runCleanups(map, c);
      },
    });
  }
  const list = m.get(conn);
  if (list) list.push(fn);
  else m.set(conn, [fn]);
}

function runCleanups(map: Map<Connection, (() => void)[]>, conn: Connection | undefined): void {
  if (conn === undefined) return;
  const list = map.get(conn);
  if (!list) return;
  map.delete(conn);
  for (const fn of list) fn();
}

/** A timer that does not keep the process alive. */
function unrefTimer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const t = setTimeout(fn, ms);
  (t as { unref?: () => void }).unref?.();
  return t;
}

/** Arm the timeouts and the abort signal of a fresh client connection. */
export function watchConnect(mgr: Manager, conn: Connection, opts: ReturnType<typeof checkClientOptions>, host: string): void {
  const timers: ReturnType<typeof setTimeout>[] = [];
  const { signal } = opts;
  if (opts.resolveTimeoutMs > 0) {
    timers.push(unrefTimer(() => {
      if (!conn.closed && (connFlags(conn._ptr) & F_RESOLVING) !== 0) {
        failConn(conn, `resolve timeout: ${host} not resolved within ${opts.resolveTimeoutMs} ms`);
      }
    }, opts.resolveTimeoutMs));
  }
  if (opts.timeoutMs > 0) {
    timers.push(unrefTimer(() => {
      if (!conn.closed && (connFlags(conn._ptr) & (F_RESOLVING | F_CONNECTING)) !== 0) {
        failConn(conn, `connect timeout: not connected within ${opts.timeoutMs} ms`);
      }
    }, opts.timeoutMs));
  }
  let onAbort: (() => void) | undefined;
  if (signal !== undefined) {
    onAbort = () => failConn(conn, `connect aborted: ${abortReason(signal)}`);
    if (signal.aborted) queueMicrotask(onAbort); // after connect() returned, like any other failure
    else signal.addEventListener("abort", onAbort, { once: true });
  }
  if (timers.length === 0 && onAbort === undefined) return;
  onClose(mgr, conn, () => {
    for (const t of timers) clearTimeout(t);
    if (onAbort !== undefined) signal!.removeEventListener("abort", onAbort);
  });
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  const msg = (r as { message?: unknown } | null)?.message; // Error or DOMException (any realm)
  if (typeof msg === "string") return msg;
  return r === undefined ? "aborted" : String(r);
}

// ---- conn.resolve(url) --------------------------------------------------------

interface Pending { token: object; timer?: ReturnType<typeof setTimeout> }
const pendingResolves = new WeakMap<Connection, Pending>();

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

function literal(host: string): Address | undefined {
  if (IPV4.test(host)) return { address: host, port: 0, family: "IPv4" };
  if (host.includes(":")) return { address: host, port: 0, family: "IPv6" };
  return undefined;
}

/**
 * What resolve() looks up: a URL, or (as the reference takes) a bare host
 * name or address, "localhost", "example.com:80", "::1", "[::1]:80".
 */
function resolveTarget(url: string): { host: string; port: number } {
  if (typeof url !== "string" || url.includes("://")) return parseEndpoint(url);
  const bare = /^(?:\[([^\]]+)\]|([^:/?#@\s]+))(?::(\d{1,5}))?$/.exec(url);
  if (bare !== null) return parseEndpoint(`tcp://${bare[1] !== undefined ? `[${bare[1]}]` : bare[2]}:${bare[3] ?? 0}`);
  if (url.includes(":") && !/[\s/?#@]/.test(url)) return parseEndpoint(`tcp://[${url}]:0`); // an IPv6 address
  return parseEndpoint(url); // throws, naming it
}

/**
 * conn.resolve(url): look the URL's host up through the manager's network
 * (dns.lookup in Node) and deliver MG_EV_RESOLVE; `conn.remoteAddr` then
 * reports the address (with the URL's port). An unknown name or a timeout
 * is MG_EV_ERROR + close, as in the reference. A second call replaces the first.
 */
export function resolveConn(conn: Connection, url: string, opts: ResolveOptions = {}): void {
  if (opts === null || typeof opts !== "object") throw new TypeError(`resolve: options must be an object, got ${describe(opts)}`);
  const ep = resolveTarget(url);
  const timeoutMs = checkMs("resolve", "timeoutMs", opts.timeoutMs, RESOLVE_DEFAULTS.timeoutMs);
  resolveCancel(conn);
  const token = {};
  const pending: Pending = { token };
  pendingResolves.set(conn, pending);
  const done = (addr: Address | undefined, err?: unknown): void => {
    if (pendingResolves.get(conn)?.token !== token) return; // cancelled or replaced
    resolveCancel(conn);
    if (conn.closed) return;
    if (addr === undefined) {
      const code = (err as { code?: unknown } | undefined)?.code;
      failConn(conn, `resolve ${ep.host}: ${typeof code === "string" ? code : err instanceof Error ? err.message : "failed"}`);
      return;
    }
    conn._remote = { ...addr, port: ep.port };
    const m = conn.manager;
    m._enter();
    try {
      core().mgx_resolved(conn._ptr);
    } finally {
      m._leave(true);
    }
  };
  if (timeoutMs > 0) {
    pending.timer = unrefTimer(() => {
      if (pendingResolves.get(conn)?.token !== token) return;
      resolveCancel(conn);
      failConn(conn, `resolve timeout: ${ep.host} not resolved within ${timeoutMs} ms`);
    }, timeoutMs);
  }
  const lit = literal(ep.host);
  const network = conn.manager._network as Network & Resolver;
  if (lit !== undefined || typeof network.lookup !== "function") {
    queueMicrotask(() => done(lit, lit ? undefined : new Error(`network "${network.name}" cannot resolve names`)));
    return;
  }
  let looked: Promise<Address>;
  try {
    looked = network.lookup(ep.host);
  } catch (err) {
    queueMicrotask(() => done(undefined, err)); // a resolver that throws fails this connection, as one that rejects
    return;
  }
  looked.then((a) => done(a), (err: unknown) => done(undefined, err));
}

/** conn.resolveCancel(): forget a pending conn.resolve(); no event follows. */
export function resolveCancel(conn: Connection): void {
  const p = pendingResolves.get(conn);
  if (p === undefined) return;
  pendingResolves.delete(conn);
  if (p.timer !== undefined) clearTimeout(p.timer);
}

// ---- HTTP client helpers --------------------------------------------------------

const encoder = new TextEncoder();

/** Base64 of UTF-8 bytes, without Buffer (the browser build shares this file). */
function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The `Authorization: Basic ...` header line (CRLF-terminated) for user/pass. */
export function basicAuthLine(user: string, pass: string): string {
  if (typeof user !== "string") throw new TypeError(`httpBasicAuth: user must be a string, got ${describe(user)}`);
  if (typeof pass !== "string") throw new TypeError(`httpBasicAuth: pass must be a string, got ${describe(pass)}`);
  if (user.includes(":")) throw new TypeError(`httpBasicAuth: user must not contain ":", got ${JSON.stringify(user)}`);
  return `Authorization: Basic ${base64(encoder.encode(`${user}:${pass}`))}\r\n`;
}
