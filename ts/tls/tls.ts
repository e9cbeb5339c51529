// tls.ts: the TLS facade (API.md "Protocols"): conn.tlsInit/tlsFree,
// the `tls` option of listen()/connect(), and mgr.setTlsContext() for
// certificate rotation. Encryption itself is the Network's (node:tls in
// shim/node-tls.ts); the core only carries MG_F_TLS and fires MG_EV_TLS_HS.
// Must not import any node: module (the browser bundle includes it).
import { core } from "../core/loader";
import { connFlags, toScratch, F_CONNECTING, F_RESOLVING, F_TLS } from "../core/core";
import { ConnectionClosedError, MongooseError, TlsNotConfiguredError, describe, TypeError, RangeError } from "../core/errors"; // Node's argument-error codes
import type { Connection } from "../core/connection";
import type { Manager } from "../core/manager";
import type { Endpoint } from "../../shim/network";
import type { Pem, TlsCredentials, TlsParams } from "../../shim/tls-params";

export type { Pem, TlsCredentials } from "../../shim/tls-params";

/**
 * TLS options of `conn.tlsInit()`, `listen(url, { tls })`, `connect(url, { tls })`
 * and `mgr.setTlsContext()`. PEM strings or bytes.
 */
export interface TlsOpts {
  /**
   * Client: the CA that verifies the server (default: Node's root store).
   * Server: ask every client for a certificate and verify it against this CA (mutual TLS).
   */
  ca?: Pem;
  /** Certificate (chain): required on a server, a client certificate on a client. */
  cert?: Pem;
  /** Private key of `cert`. */
  key?: Pem;
  /**
   * Client: the server name verified against its certificate and sent as SNI
   * (default: the URL's host). Bytes are UTF-8, as the reference's `name=b"..."`.
   */
  name?: string | Uint8Array;
  /** Client: accept any server certificate. Never the default; man-in-the-middle attacks become trivial. */
  skipVerification?: boolean;
  /** Server: more certificates on the same listener, chosen by the client's SNI name ("example.com", "*.example.com"). */
  sni?: Record<string, TlsCredentials>;
  /** The handshake must complete within this many ms, else MG_EV_ERROR (default 10000; 0 = no limit); the idle timeout does not cut it shorter. */
  handshakeTimeoutMs?: number;
}

/** Schemes that mean TLS, and the plain scheme each one wraps. */
export const TLS_SCHEMES: Readonly<Record<string, string>> = Object.freeze({
  https: "http", wss: "ws", mqtts: "mqtt", tls: "tcp", ssl: "tcp",
});

/** Whether `scheme` (without "://") says TLS, as Mongoose's mg_url_is_ssl. */
export function isTlsScheme(scheme: string): boolean {
  return Object.prototype.hasOwnProperty.call(TLS_SCHEMES, scheme);
}

/** Defaults of TlsOpts (also `DEFAULTS.tls`). */
export const TLS_DEFAULTS = Object.freeze({ handshakeTimeoutMs: 10_000 });
const HTTP_ALPN: readonly string[] = Object.freeze(["http/1.1"]);
const NO_ALPN: readonly string[] = Object.freeze([]);

/** TLS params of listeners: applied to every connection they accept. */
const listenerTls = new WeakMap<Connection, TlsParams>();
/** Client connections whose TLS starts once connected (MG_EV_CONNECT). */
const clientTls = new WeakMap<Connection, TlsOpts>();
/** A client's host from its URL: the default name to verify. */
const clientHost = new WeakMap<Connection, string>();
/** Listeners and clients whose URL says TLS, with that scheme: they never carry plaintext. */
const tlsUrl = new WeakMap<Connection, string>();
/** Accepted by a TLS-URL listener: must run TLS once its MG_EV_ACCEPT handler returned. */
const mustTls = new WeakMap<Connection, string>();

function isPem(v: unknown): v is Pem {
  return typeof v === "string" || v instanceof Uint8Array;
}

function checkPem(op: string, field: string, v: unknown): void {
  if (v !== undefined && !isPem(v)) throw new TypeError(`${op}: tls.${field} must be a PEM string or Uint8Array, got ${describe(v)}`);
}

/** Empty PEM or name (`""`, empty bytes) or null: not given, as the reference's TlsOpts() defaults (b""). */
function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === "" || (v instanceof Uint8Array && v.length === 0);
}

/**
 * The reference's spelling of TLS options, in ours: empty or null `ca`,
 * `cert`, `key`, `name` are absent, and `name` as bytes is its UTF-8 text.
 * Anything else is left for checkTlsOpts to judge.
 */
function normalize(o: TlsOpts): TlsOpts {
  const fields = ["ca", "cert", "key", "name"] as const;
  if (!fields.some((f) => f in o && isUnset(o[f])) && !(o.name instanceof Uint8Array)) return o;
  const n: Record<string, unknown> = { ...o };
  for (const f of fields) if (isUnset(n[f])) delete n[f];
  if (n.name instanceof Uint8Array) n.name = new TextDecoder("utf-8", { fatal: false }).decode(n.name);
  return n as TlsOpts;
}

/** Validate user TLS options; throws TypeError/RangeError naming the bad value. */
export function checkTlsOpts(op: string, opts: unknown): TlsOpts {
  if (opts === null || typeof opts !== "object" || Array.isArray(opts)) {
    throw new TypeError(`${op}: TLS options must be an object, got ${describe(opts)}`);
  }
  const o = normalize(opts as TlsOpts);
  for (const f of ["ca", "cert", "key"] as const) checkPem(op, f, o[f]);
  if ((o.cert === undefined) !== (o.key === undefined)) {
    throw new TypeError(`${op}: tls.cert and tls.key go together (got ${o.cert === undefined ? "key" : "cert"} only)`);
  }
  if (o.name !== undefined && (typeof o.name !== "string" || o.name === "")) {
    throw new TypeError(`${op}: tls.name must be a string or UTF-8 bytes, got ${describe(o.name)}`);
  }
  if (o.skipVerification !== undefined && typeof o.skipVerification !== "boolean") {
    throw new TypeError(`${op}: tls.skipVerification must be a boolean, got ${describe(o.skipVerification)}`);
  }
  if (o.handshakeTimeoutMs !== undefined &&
      (typeof o.handshakeTimeoutMs !== "number" || !Number.isInteger(o.handshakeTimeoutMs) || o.handshakeTimeoutMs < 0)) {
    throw new RangeError(`${op}: tls.handshakeTimeoutMs must be an integer >= 0, got ${describe(o.handshakeTimeoutMs)}`);
  }
  if (o.sni !== undefined) {
    if (o.sni === null || typeof o.sni !== "object") throw new TypeError(`${op}: tls.sni must be an object, got ${describe(o.sni)}`);
    for (const [name, creds] of Object.entries(o.sni)) {
      if (!/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(name)) {
        throw new TypeError(`${op}: tls.sni key ${describe(name)} is not a host name ("example.com" or "*.example.com")`);
      }
      if (creds === null || typeof creds !== "object" || !isPem(creds.cert) || !isPem(creds.key)) {
        throw new TypeError(`${op}: tls.sni[${JSON.stringify(name)}] needs cert and key (PEM), got ${describe(creds)}`);
      }
      checkPem(op, `sni[${JSON.stringify(name)}].ca`, creds.ca);
    }
  }
  return o;
}

/** The frozen params a Network gets. `server`: accepted side; `name`: client default. */
function toParams(op: string, o: TlsOpts, server: boolean, http: boolean, host?: string): TlsParams {
  if (server && o.cert === undefined) throw new TypeError(`${op}: a TLS server needs tls.cert and tls.key. Received ${describe(o)}`, { code: "ERR_INVALID_ARG_VALUE" });
  const sni = o.sni === undefined ? undefined :
    new Map(Object.entries(o.sni).map(([k, v]) => [k.toLowerCase(), Object.freeze({ cert: v.cert, key: v.key, ca: v.ca })]));
  return Object.freeze({
    server, ca: o.ca, cert: o.cert, key: o.key,
    name: server ? undefined : (o.name as string | undefined) ?? host,
    skipVerification: !server && o.skipVerification === true,
    sni: server ? sni : undefined,
    alpn: http ? HTTP_ALPN : NO_ALPN,
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? TLS_DEFAULTS.handshakeTimeoutMs,
  });
}

function networkOf(op: string, mgr: Manager): Required<Pick<NonNullable<Manager["_network"]>, "tlsInit" | "tlsPrepare">> {
  const net = mgr._network;
  if (typeof net.tlsInit !== "function" || typeof net.tlsPrepare !== "function") {
    throw new MongooseError("ERR_TLS_UNSUPPORTED", `${op}: the ${net.name} network has no TLS`);
  }
  return net as never;
}

/** Start TLS on a connected (or just accepted) connection now. */
function start(conn: Connection, params: TlsParams): void {
  const net = networkOf("tlsInit", conn.manager);
  net.tlsInit(conn.id, params, conn.manager._takeQueuedInput(conn));
  core().mgx_tls_set(conn._ptr, 1);
}

/**
 * conn.tlsInit(opts). Accepted connection (usually on MG_EV_ACCEPT) or
 * connected client (on MG_EV_CONNECT): TLS starts now. A client not yet
 * connected: it starts once connected. A listener: its accepted connections
 * get TLS from now on (as listen(url, { tls })).
 */
export function tlsInit(conn: Connection, opts: TlsOpts): void {
  if (conn._ptr === 0) throw new ConnectionClosedError(conn.id, "tlsInit");
  const o = checkTlsOpts("tlsInit", opts);
  const mgr = conn.manager;
  if (conn.isListening) {
    // The reference accepts tlsInit(TlsOpts()) on a listener and goes on; a
    // listener without cert and key has nothing to serve TLS with, so nothing changes.
    if (o.cert !== undefined || o.sni !== undefined) setListenerTls(conn, o);
    else networkOf("tlsInit", mgr);
    return;
  }
  const flags = connFlags(conn._ptr);
  if ((flags & F_TLS) !== 0) throw new MongooseError("ERR_TLS_STARTED", `tlsInit: TLS already runs on connection ${conn.id}`);
  if (conn.isClient && (flags & (F_RESOLVING | F_CONNECTING)) !== 0) {
    networkOf("tlsInit", mgr);
    clientTls.set(conn, o);
    return;
  }
  clientTls.delete(conn);
  const params = toParams("tlsInit", o, conn.isAccepted, conn._http, clientHost.get(conn));
  networkOf("tlsInit", mgr).tlsPrepare(params);
  mgr._enter();
  try {
    start(conn, params);
  } finally {
    mgr._leave(true);
  }
}

/**
 * conn.tlsFree(): a listener stops starting TLS on what it accepts; a client
 * whose TLS has not started yet will not start it. A running TLS session
 * cannot fall back to plaintext: the connection drains (close_notify, FIN).
 */
export function tlsFree(conn: Connection): void {
  if (conn._ptr === 0) throw new ConnectionClosedError(conn.id, "tlsFree");
  listenerTls.delete(conn);
  clientTls.delete(conn);
  if ((connFlags(conn._ptr) & F_TLS) !== 0) conn.drain();
}

/** Set (or replace) the TLS params a listener gives the connections it accepts. */
function setListenerTls(listener: Connection, o: TlsOpts): void {
  const params = toParams("tlsInit", o, true, listener._http);
  networkOf("tlsInit", listener.manager).tlsPrepare(params); // bad PEM throws here, the old one stays
  listenerTls.set(listener, params);
}

/**
 * mgr.setTlsContext(opts, listener?): new certificate, key (and CA) for the
 * connections accepted from now on by `listener`, or by every TLS listener
 * of the manager. Established connections keep theirs. The new credentials
 * are checked first: if they are unusable this throws and nothing changes.
 * Returns how many listeners were updated.
 */
export function setTlsContext(mgr: Manager, opts: TlsOpts, listener?: Connection): number {
  const o = checkTlsOpts("setTlsContext", opts);
  if (listener !== undefined) {
    if (listener === null || typeof listener !== "object" || listener.manager !== mgr || !listener.isListening) {
      throw new TypeError(`setTlsContext: listener must be a listening connection of this manager, got ${describe(listener)}`);
    }
    if (listener._ptr === 0) throw new ConnectionClosedError(listener.id, "setTlsContext");
  }
  const targets = listener !== undefined ? [listener] : mgr.connections.filter((c) => listenerTls.has(c));
  if (targets.length === 0) return 0;
  // One params object per ALPN flavour, prepared (checked) before any listener changes.
  const byHttp = new Map<boolean, TlsParams>();
  for (const l of targets) {
    if (!byHttp.has(l._http)) {
      const params = toParams("setTlsContext", o, true, l._http);
      networkOf("setTlsContext", mgr).tlsPrepare(params);
      byHttp.set(l._http, params);
    }
  }
  for (const l of targets) listenerTls.set(l, byHttp.get(l._http) as TlsParams);
  return targets.length;
}

/** listen(url, { tls }): check before binding, so a failure binds nothing. */
export function checkListenTls(mgr: Manager, ep: Endpoint, tls: TlsOpts | undefined, http: boolean): TlsParams | undefined {
  if (tls === undefined) return undefined;
  const params = toParams("listen", checkTlsOpts("listen", tls), true, http);
  networkOf("listen", mgr).tlsPrepare(params);
  void ep;
  return params;
}

/**
 * listen(url) with a TLS scheme and no `tls`: only a handler calling
 * conn.tlsInit() on MG_EV_ACCEPT can start TLS. Without any handler, or on a
 * network without TLS, nothing ever could: say so now, before binding.
 */
export function checkTlsUrlListen(mgr: Manager, url: string, ep: Endpoint, tls: unknown, hasHandler: boolean): void {
  if (tls !== undefined || !isTlsScheme(ep.scheme)) return;
  networkOf("listen", mgr);
  if (!hasHandler) {
    throw new TlsNotConfiguredError(`listen ${url}: the URL says TLS but nothing can start it: pass { tls: { cert, key } } ` +
      "to listen(), or a handler that calls conn.tlsInit({ cert, key }) on MG_EV_ACCEPT");
  }
}

/** After listen() bound: its accepted connections get TLS; a TLS `scheme` makes it mandatory. */
export function setListenerParams(listener: Connection, params: TlsParams | undefined, scheme: string): void {
  if (params !== undefined) listenerTls.set(listener, params);
  if (isTlsScheme(scheme)) tlsUrl.set(listener, scheme);
}

/**
 * connect(url, { tls }): TLS starts at MG_EV_CONNECT with `tls` (or the
 * defaults for a TLS scheme). Checked before connecting.
 */
export function checkConnectTls(mgr: Manager, ep: Endpoint, tls: TlsOpts | undefined): TlsOpts | undefined {
  if (tls === undefined && !isTlsScheme(ep.scheme)) return undefined;
  const o = checkTlsOpts("connect", tls ?? {});
  networkOf("connect", mgr);
  return o;
}

/** Remember a new client's host and pending TLS. */
export function setClientTls(conn: Connection, ep: Endpoint, o: TlsOpts | undefined): void {
  clientHost.set(conn, ep.host);
  if (o !== undefined) clientTls.set(conn, o);
  if (isTlsScheme(ep.scheme)) tlsUrl.set(conn, ep.scheme);
}

/**
 * Close a connection whose URL says TLS but that has none: MG_EV_ERROR (its
 * cause `err`), then close. Input not yet given to the core is dropped, and
 * output the handler queued never leaves (a closing connection sends nothing).
 */
function refusePlaintext(conn: Connection, err: TlsNotConfiguredError): void {
  const mgr = conn.manager;
  mgr._takeQueuedInput(conn);
  conn._hostError = err;
  mgr._enter();
  try {
    const [p, n] = toScratch(err.message);
    core().mgx_error(conn._ptr, p, n);
  } finally {
    mgr._leave(true);
  }
}

/** Engine hook: a listener accepted `conn` (before MG_EV_OPEN/ACCEPT). */
export function tlsOnAccept(listener: Connection, conn: Connection): void {
  const scheme = tlsUrl.get(listener);
  if (scheme !== undefined) mustTls.set(conn, scheme);
  const params = listenerTls.get(listener);
  if (params !== undefined) start(conn, params);
}

/**
 * Engine hook: after MG_EV_OPEN/MG_EV_ACCEPT of an accepted connection. A
 * TLS-URL listener's connection without TLS by now (no `tls`, no tlsInit in
 * the handler) is closed before a byte is read or written.
 */
export function tlsOnAccepted(conn: Connection): void {
  const scheme = mustTls.get(conn);
  if (scheme === undefined) return;
  mustTls.delete(conn);
  if (conn._ptr === 0 || conn.isClosing || (connFlags(conn._ptr) & F_TLS) !== 0) return;
  // The core's error text holds 199 bytes: keep the fix in it.
  refusePlaintext(conn, new TlsNotConfiguredError(`TLS not configured on ${scheme}:// listener (connection ${conn.id}): ` +
    "pass { tls: { cert, key } } to listen() or call conn.tlsInit({ cert, key }) on MG_EV_ACCEPT"));
}

/**
 * Engine hook: after MG_EV_CONNECT, unless the handler started TLS itself.
 * A TLS URL whose TLS was dropped (tlsFree) closes before any output leaves.
 */
export function tlsOnConnect(conn: Connection): void {
  if (conn._ptr === 0) return;
  const o = clientTls.get(conn);
  clientTls.delete(conn);
  if ((connFlags(conn._ptr) & F_TLS) !== 0 || conn.isClosing) return;
  if (o === undefined) {
    const scheme = tlsUrl.get(conn);
    if (scheme !== undefined) {
      refusePlaintext(conn, new TlsNotConfiguredError(`TLS not configured on ${scheme}:// connection ${conn.id} ` +
        "after MG_EV_CONNECT (tlsFree()?): keep connect()'s TLS or call conn.tlsInit(...) on MG_EV_CONNECT"));
    }
    return;
  }
  try {
    const params = toParams("connect", o, false, conn._http, clientHost.get(conn));
    conn.manager._network.tlsPrepare?.(params);
    start(conn, params);
  } catch (err) {
    conn.error(err instanceof Error ? err.message : String(err));
  }
}
