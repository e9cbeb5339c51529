// connection.ts: Connection, the user's handle on one core mg_connection.
// Flag and buffer properties read the connection header straight from linear
// memory (no call); methods copy their arguments into the core's scratch area
// and call one mgx_* export. The Manager owns the lifecycle: it creates the
// object, routes events to it and marks it closed after MG_EV_CLOSE.
import { TypeError, RangeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { core, u8 } from "./loader";
import {
  connFlags, httpReply, iobufField, REPLY_TYPE_JSON, REPLY_TYPE_UTF8, recvBuf, sendBuf, toBytes, toScratch, latin1Bytes, readCString,
  F_ACCEPTED, F_CLIENT, F_CLOSING, F_DRAINING, F_FULL, F_LISTENING, F_READABLE, F_TLS, F_UDP,
  F_WEBSOCKET, F_WRITABLE, F_REQ_PENDING, F_RESP_STARTED,
} from "./core";
import { ConnectionClosedError, describe } from "./errors";
import type { HeadersInit } from "../http/headers";
import type { Address } from "../../shim/network";
import type { Manager } from "./manager";
import type { TlsOpts } from "../tls/tls";
import type { ServeDirOptions, ServeFileOptions } from "../http/static";
import type { BodySink } from "../http/http-stream";
import { basicAuthLine, resolveCancel, resolveConn, type ResolveOptions } from "./client";
import type { MqttAckOptions, MqttPubOptions, MqttSubOptions } from "../mqtt/mqtt";
import type { MqttProperty } from "../mqtt/mqtt-message";
import type { WsMessage, WsUpgradeOptions } from "../ws/ws";
import type { HttpMessage } from "../http/http-message";
import { protocol, protocols, type ProtocolTable } from "./protocols";

import type { Handler, ShortHandler } from "./event-data";
export type { Handler };

/** How a connection came to be. */
export type ConnectionRole = "listening" | "client" | "accepted";

/** Options of Connection.recvData(). */
export interface RecvDataOptions {
  /** Copy without removing the bytes from the receive buffer (default false). */
  peek?: boolean;
}

/** One connection of a Manager: a listener, an outbound client, or an accepted socket. */
export class Connection<U = unknown> {
  /** Connection id, unique in the process and never reused. */
  readonly id: number;
  /** The manager this connection belongs to. */
  readonly manager: Manager;
  /** Free slot for user state (typed by `Handler<U>` / `Connection<U>`). */
  userdata: U = undefined as U;
  /** @internal Core pointer; 0 once closed. */
  _ptr: number;
  /** @internal Listener, client or accepted. */
  readonly _role: ConnectionRole;
  /** @internal Speaks HTTP. */
  readonly _http: boolean;
  /** @internal Own handler (else the manager's). */
  _handler: Handler | undefined;
  /** @internal Handler promises not yet settled. */
  _pendingHandlers = 0;
  /** @internal When the oldest unsettled handler promise started (performance.now()), 0 if none. */
  _busySince = 0;
  /** @internal The host error behind the next MG_EV_ERROR (code, syscall). */
  _hostError: Error | undefined = undefined;
  /** @internal Received chunks the core could not take yet (receive buffer full). */
  _backlog: Uint8Array[] = [];
  /** @internal Bytes queued in the manager's activity queue for this connection. */
  _queuedBytes = 0;
  /** @internal Whether we told the network to pause reading. */
  _paused = false;
  /** @internal Peer EOF seen while a backlog was pending. */
  _eofPending = false;
  /** @internal host_close was called for it. */
  _socketClosed = false;
  /** @internal A udp:// connection (datagrams). */
  _udp = false;
  /** @internal A listener's asynchronous bind (cluster worker, reusePort). */
  _bound: Promise<Address> | undefined;
  /** @internal Protocol bookkeeping run before the handler (MQTT client session). */
  _protoHook: Handler | undefined = undefined;
  /** @internal Bound/known addresses. */
  _local: Address | undefined;
  _remote: Address | undefined;
  /** @internal Requests delivered (MG_EV_HTTP_MSG) so far. */
  _reqSeq = 0;
  /** @internal The current request got its final response from reply()/replyJson()/the last chunk. */
  _answered = false;

  /** @internal Created by the Manager only. */
  constructor(manager: Manager, ptr: number, id: number, role: ConnectionRole, http: boolean, handler?: Handler) {
    this.manager = manager;
    this._ptr = ptr;
    this.id = id;
    this._role = role;
    this._http = http;
    this._handler = handler;
  }

  // ---- state ---------------------------------------------------------------

  /** True once MG_EV_CLOSE was delivered; methods then throw ConnectionClosedError. */
  get closed(): boolean {
    return this._ptr === 0;
  }

  /** The handler events go to: this connection's own, else the manager's. */
  get handler(): Handler | ShortHandler | undefined {
    return this._handler ?? this.manager.handler;
  }

  set handler(fn: Handler | ShortHandler | undefined) {
    this.setHandler(fn as Handler | undefined);
  }

  /** Route this connection's events to `fn` (undefined: back to the manager's handler). */
  setHandler(fn: Handler | undefined): void;
  /** setHandler() with a `(conn, ev) => ...` handler. */
  setHandler(fn: ShortHandler | undefined): void;
  setHandler(fn: Handler | ShortHandler | undefined): void {
    if (fn !== undefined && typeof fn !== "function") throw new TypeError(`handler must be a function, got ${describe(fn)}`);
    this._handler = fn as Handler | undefined;
  }

  #flags(): number {
    return this._ptr === 0 ? 0 : connFlags(this._ptr);
  }

  /** A listening socket. */
  get isListening(): boolean { return this._role === "listening"; }
  /** An outbound connection. */
  get isClient(): boolean { return this._role === "client"; }
  /** Accepted by a listener. */
  get isAccepted(): boolean { return this._role === "accepted"; }
  /** TLS is on. */
  get isTls(): boolean { return (this.#flags() & F_TLS) !== 0; }
  /** A UDP socket. */
  get isUdp(): boolean { return (this.#flags() & F_UDP) !== 0; }
  /** Upgraded to WebSocket. */
  get isWebsocket(): boolean { return (this.#flags() & F_WEBSOCKET) !== 0; }
  /** Unprocessed bytes sit in the receive buffer. */
  get isReadable(): boolean { return (this.#flags() & F_READABLE) !== 0; }
  /** Connected and the socket takes output. */
  get isWritable(): boolean { return (this.#flags() & F_WRITABLE) !== 0; }
  /** The receive buffer is at its limit (reading is paused); on a WebSocket, also: output backed up (pace wsSend). */
  get isFull(): boolean { return (this.#flags() & F_FULL) !== 0 || wsOutputFull(this._ptr); }
  /** drain() was called: no more reads, closes once output is flushed. */
  get isDraining(): boolean { return (this.#flags() & F_DRAINING) !== 0; }
  /** Closes at the next flush; also true once closed. */
  get isClosing(): boolean { return this._ptr === 0 || (this.#flags() & F_CLOSING) !== 0; }
  /** Bytes in the receive buffer (0 once closed). */
  get recvLen(): number { return this._ptr === 0 ? 0 : iobufField(this._ptr, false, 2); }
  /** Bytes waiting in the send buffer (0 once closed). */
  get sendLen(): number { return this._ptr === 0 ? 0 : iobufField(this._ptr, true, 2); }
  /** Capacity of the receive buffer. */
  get recvSize(): number { return this._ptr === 0 ? 0 : iobufField(this._ptr, false, 1); }
  /** Capacity of the send buffer. */
  get sendSize(): number { return this._ptr === 0 ? 0 : iobufField(this._ptr, true, 1); }

  /**
   * Local address (a listener's bound address, with port 0 resolved); kept
   * after close. `{ address: "", port: 0 }` when unknown.
   */
  get localAddr(): Address {
    if (!this._local && this._ptr !== 0) this._local = this.manager._network.localAddr(this.id);
    return this._local ?? UNKNOWN_ADDRESS;
  }

  /**
   * A listener's bound address, once bound: at once for an ordinary bind; in
   * a node:cluster worker or with `reusePort`, when the bind completes.
   * Rejects with the ListenError of a failed bind. TypeError on a
   * connection that is not a listener.
   */
  listening(): Promise<Address> {
    if (this._role !== "listening") return Promise.reject(new TypeError(`listening: ${this} is not a listener`));
    return this._bound ?? Promise.resolve(this.localAddr);
  }

  /** Peer address, kept after close; `{ address: "", port: 0 }` for listeners and when unknown. */
  get remoteAddr(): Address {
    if (!this._remote && this._ptr !== 0 && this._role !== "listening") this._remote = this.manager._network.remoteAddr(this.id);
    return this._remote ?? UNKNOWN_ADDRESS;
  }

  /** @internal A delivered request is not answered yet (MG_F_REQ_PENDING). */
  get _requestPending(): boolean {
    return (this.#flags() & F_REQ_PENDING) !== 0;
  }

  /** @internal A response head was written for the pending request. */
  get _responseStarted(): boolean {
    return (this.#flags() & F_RESP_STARTED) !== 0;
  }

  /** @internal Handlers still running (unsettled promises) or a request not yet answered. */
  get _busy(): boolean {
    return this._pendingHandlers > 0 || this._requestPending;
  }

  /** @internal performance.now() when the pending request was delivered, or 0. */
  get _requestStartedMs(): number {
    return this._ptr === 0 ? 0 : core().mgx_req_started(this._ptr);
  }

  /** @internal The last request of a server HTTP connection, answered or not (shutdown reports), or undefined. */
  get _lastRequest(): { uri: string; method?: string; startedMs: number } | undefined {
    if (this._ptr === 0) return undefined;
    const k = core(), p = k.mgx_last_req_uri(this._ptr);
    if (!p) return undefined;
    const m = k.mgx_last_req_method(this._ptr);
    return { uri: readCString(p, 256), ...(m ? { method: readCString(m, 9) } : {}), startedMs: k.mgx_last_req_started(this._ptr) };
  }

  /** @internal URI of the pending request (first 246 bytes), or undefined. */
  get _requestUri(): string | undefined {
    if (this._ptr === 0) return undefined;
    const p = core().mgx_req_uri(this._ptr);
    return p ? readCString(p, 256) : undefined;
  }

  // ---- methods -------------------------------------------------------------

  #live(op: string): number {
    if (this._ptr === 0) throw new ConnectionClosedError(this.id, op);
    return this._ptr;
  }

  /** Queue raw bytes for sending. Returns false if the core refused (closing, out of memory). */
  send(data: string | Uint8Array): boolean {
    const c = this.#live("send");
    if (this._udp) return udpSend(this, c, data);
    const bytes = toBytes("send", data);
    const m = this.manager;
    m._enter();
    try {
      const [p, n] = toScratch(bytes);
      return core().mgx_send(c, p, n) !== 0;
    } finally {
      m._leave(true);
    }
  }

  /**
   * Send an HTTP response: status line, `headers`, `Content-Type:
   * text/plain` unless given, Content-Length. `status` must be an integer in
   * 100..999 (RangeError); header names/values with CR, LF or NUL throw a
   * TypeError. Returns false if the core refused.
   */
  reply(status: number, body: string | Uint8Array = "", headers?: HeadersInit): boolean {
    const c = this.#live("reply");
    checkStatus(status);
    const block = formatHeaders(headers);
    const bytes = toBytes("reply body", body);
    checkNotAnswered(this, "reply", status);
    const type = typeof bytes === "string" && !hasHeader(block, "content-type") ? REPLY_TYPE_UTF8 : 0;
    return this.#reply(c, status, block, bytes, type);
  }

  /** reply() with `JSON.stringify(value)` and `Content-Type: application/json` (unless given). */
  replyJson(value: unknown, status = 200, headers?: HeadersInit): boolean {
    const c = this.#live("replyJson");
    checkStatus(status);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch (err) {
      // BigInt, cycles, a throwing toJSON: the value is the caller's mistake.
      throw new TypeError(`replyJson: value is not JSON-serializable: ${describe(value)}`, { cause: err, code: "ERR_INVALID_ARG_VALUE" });
    }
    if (json === undefined) throw new TypeError(`replyJson: value is not JSON-serializable: ${describe(value)}`, { code: "ERR_INVALID_ARG_VALUE" });
    const block = formatHeaders(headers);
    const type = hasHeader(block, "content-type") ? 0 : REPLY_TYPE_JSON;
    checkNotAnswered(this, "replyJson", status);
    return this.#reply(c, status, block, json, type);
  }

  /** `type`: REPLY_TYPE_* for a block without Content-Type (0: the core's text/plain default). */
  #reply(c: number, status: number, block: string, body: string | Uint8Array, type: number): boolean {
    const m = this.manager;
    m._enter();
    try {
      // Worst case UTF-8 size for strings is checked exactly by the core's allocation.
      const size = typeof body === "string" ? body.length : body.byteLength;
      return guardedReply(this, status, size, () => replyHost(c, status, block, body, type) ?? httpReply(c, status, block, body, type) !== 0);
    } finally {
      m._leave(true);
    }
  }

  /**
   * Start a streamed (chunked) response explicitly. Optional: httpChunk and
   * httpSse start one with status 200 when none was started.
   */
  httpStart(status: number, headers?: HeadersInit): boolean {
    const c = this.#live("httpStart");
    checkStatus(status);
    checkNotAnswered(this, "httpStart", status);
    const block = formatHeaders(headers);
    const m = this.manager;
    m._enter();
    try {
      const [hp, hn] = toScratch(latin1Bytes(block));
      return core().mgx_http_start(c, status, hp, hn) !== 0;
    } finally {
      m._leave(true);
    }
  }

  /** Send one chunk of a chunked response; an empty chunk ends it. */
  httpChunk(data: string | Uint8Array): boolean {
    const c = this.#live("httpChunk");
    const bytes = toBytes("httpChunk", data);
    const m = this.manager;
    m._enter();
    try {
      const [p, n] = toScratch(bytes);
      const ok = core().mgx_http_chunk(c, p, n) !== 0;
      if (ok && n === 0) this._answered = true;
      return ok;
    } finally {
      m._leave(true);
    }
  }

  /** Send a server-sent event (`event: <event>` / `data: <data>`) as one chunk. */
  httpSse(event: string, data: string): boolean {
    const c = this.#live("httpSse");
    if (typeof event !== "string" || /[\r\n\0]/.test(event)) throw new TypeError(`httpSse: invalid event type ${describe(event)}`);
    if (typeof data !== "string") throw new TypeError(`httpSse: data must be a string, got ${describe(data)}`);
    const m = this.manager;
    m._enter();
    try {
      const [tp, tn, dp, dn] = toScratch(event, data);
      return core().mgx_http_sse(c, tp, tn, dp, dn) !== 0;
    } finally {
      m._leave(true);
    }
  }

  /** SNTP connections (mgr.sntpConnect): send another time request; the answer is MG_EV_SNTP_TIME. */
  sntpRequest(): void {
    sntpRequest(this, this.#live("sntpRequest"));
  }

  /**
   * Answer `msg` from the web root `rootDir` as Mongoose's mg_http_serve_dir
   * does (see docs/static-files.md): index.html, validators, ranges, HEAD,
   * precompressed `.gz`, 404 (or `page404`). Returns false if the request
   * was answered already.
   */
  serveDir(msg: HttpMessage, rootDir: string, opts?: ServeDirOptions): boolean {
    return serveDir(this, msg, rootDir, opts);
  }

  /** Answer `msg` with the file at `path` (validators, ranges, HEAD, `.gz`), or 404. */
  serveFile(msg: HttpMessage, path: string, opts?: ServeFileOptions): boolean {
    return serveFile(this, msg, path, opts);
  }

  /**
   * Call from MG_EV_HTTP_HDRS to take the request body in pieces: `onData`
   * gets each de-chunked piece as it arrives (a view, valid only during
   * the call: copy or write it out), whatever the body's size (then
   * `limits.maxBodySize` bounds only what is buffered at once), and
   * MG_EV_HTTP_MSG follows with an empty body once the body is complete.
   * Without it, a body over maxBodySize is answered 413. Returns false
   * outside MG_EV_HTTP_HDRS of a server connection.
   */
  httpStreamBody(onData: BodySink): boolean {
    return streamBody(this, this.#live("httpStreamBody"), onData);
  }

  /**
   * HTTP client: write the `Authorization: Basic` header line for `user` /
   * `pass` (UTF-8) into the request being composed with send().
   */
  httpBasicAuth(user: string, pass: string): boolean {
    this.#live("httpBasicAuth");
    return this.send(basicAuthLine(user, pass));
  }

  /**
   * Resolve the host of `url` (or a bare "host[:port]") through the host resolver (dns.lookup in
   * Node): MG_EV_RESOLVE follows and `remoteAddr` reports the address, or
   * MG_EV_ERROR + close for an unknown name or after `timeoutMs` (10000).
   */
  resolve(url: string, opts?: ResolveOptions): void {
    this.#live("resolve");
    resolveConn(this, url, opts);
  }

  /** Forget a pending resolve(); no MG_EV_RESOLVE or error follows. */
  resolveCancel(): void {
    resolveCancel(this);
  }

  /** Stop reading, flush what is queued, then close. */
  drain(): void {
    this.#simple("drain", (c) => core().mgx_drain(c));
  }

  /** Close now (pending output is dropped); MG_EV_CLOSE follows at the next flush. No-op once closed. */
  close(): void {
    if (this._ptr === 0) return;
    this.#simple("close", (c) => core().mgx_close(c));
  }

  /** Fire MG_EV_ERROR with `message`, then close. */
  error(message: string): void {
    const c = this.#live("error");
    if (typeof message !== "string") throw new TypeError(`error: message must be a string, got ${describe(message)}`);
    const m = this.manager;
    m._enter();
    try {
      const [p, n] = toScratch(message);
      core().mgx_user_error(c, p, n);
    } finally {
      m._leave(true);
    }
  }

  /**
   * A copy of the first `n` received bytes (all by default, or with -1),
   * removed from the receive buffer; `{ peek: true }` leaves them there (the
   * reference's recv_data() semantics). On a closed connection: an empty
   * array, as the reference (nothing is left to read).
   */
  recvData(n = -1, opts?: RecvDataOptions): Uint8Array {
    if (this._ptr === 0) {
      checkCount("recvData", n, 0); // a bad count is still a RangeError
      return new Uint8Array(0);
    }
    const c = this.#live("recvData");
    const [buf, , len] = recvBuf(c);
    const take = Math.min(checkCount("recvData", n, len), len);
    const out = u8().slice(buf, buf + take);
    if (take > 0 && opts?.peek !== true) this.#simple("recvData", (cc) => core().mgx_recv_consume(cc, take));
    return out;
  }

  /** A copy of the first `n` bytes of pending output (all by default, or with -1); not consumed. */
  sendData(n = -1): Uint8Array {
    const c = this.#live("sendData");
    const [buf, , len] = sendBuf(c);
    const take = Math.min(checkCount("sendData", n, len), len);
    return u8().slice(buf, buf + take);
  }

  // ---- MQTT (ts/mqtt.ts) -------------------------------------------------------

  /** Publish `message` on `topic`; returns the packet id (0 for QoS 0). RangeError if over the peer's maximum packet size (broker side: the client's, from its CONNECT). */
  mqttPub(topic: string, message: string | Uint8Array, opts?: MqttPubOptions): number { return mqtt.mqttPub(this, topic, message, opts); }
  /** Subscribe to a topic filter (`+`, `#` wildcards); returns the packet id. The answer is a SUBACK (MG_EV_MQTT_CMD). */
  mqttSub(topic: string, opts?: MqttSubOptions): number { return mqtt.mqttSub(this, topic, opts, false); }
  /** Unsubscribe from a topic filter; returns the packet id. */
  mqttUnsub(topic: string, opts?: { properties?: MqttProperty[] }): number { return mqtt.mqttSub(this, topic, opts, true); }
  /** Send PINGREQ; false (no throw) once the peer is gone. */
  mqttPing(): boolean { return mqtt.mqttPing(this, false); }
  /** Send PINGRESP (broker side, answering a PINGREQ); false once the peer is gone. */
  mqttPong(): boolean { return mqtt.mqttPing(this, true); }
  /** Send DISCONNECT (MQTT 5: with `reason`, e.g. 0x8B server shutting down), then drain and close; false once the peer is gone. */
  mqttDisconnect(opts?: MqttAckOptions): boolean { return mqtt.mqttDisconnect(this, opts); }
  /** Broker side: answer CONNECT (`code` 0 accepts). The answers below drop Reason String/User Properties to fit the client's maximum packet size, else RangeError. */
  mqttConnack(code = 0, opts?: { sessionPresent?: boolean; properties?: MqttProperty[] }): boolean { return mqtt.mqttConnack(this, code, opts); }
  /** Broker side: answer SUBSCRIBE with one code (granted QoS or reason) per filter. */
  mqttSuback(id: number, codes: number[], opts?: { properties?: MqttProperty[] }): boolean { return mqtt.mqttSubackLike(this, false, id, codes, opts); }
  /** Broker side: answer UNSUBSCRIBE (codes: MQTT 5 reason per filter). */
  mqttUnsuback(id: number, codes: number[] = [0], opts?: { properties?: MqttProperty[] }): boolean { return mqtt.mqttSubackLike(this, true, id, codes, opts); }
  /** Acknowledge a QoS 1 PUBLISH. */
  mqttPuback(id: number, opts?: MqttAckOptions): boolean { return mqtt.mqttAck(this, "mqttPuback", id, opts); }
  /** First answer to a QoS 2 PUBLISH. */
  mqttPubrec(id: number, opts?: MqttAckOptions): boolean { return mqtt.mqttAck(this, "mqttPubrec", id, opts); }
  /** Answer a PUBREC (QoS 2, publisher side). */
  mqttPubrel(id: number, opts?: MqttAckOptions): boolean { return mqtt.mqttAck(this, "mqttPubrel", id, opts); }
  /** Answer a PUBREL (QoS 2, receiver side). */
  mqttPubcomp(id: number, opts?: MqttAckOptions): boolean { return mqtt.mqttAck(this, "mqttPubcomp", id, opts); }
  /** MQTT protocol level of this connection: 4 (3.1.1), 5, or 0 (not MQTT, or before a broker-side CONNECT). */
  get mqttVersion(): number { return mqtt.mqttVersion(this); }

  /** @internal The core pointer, or ConnectionClosedError naming `op`. */
  _live(op: string): number {
    return this.#live(op);
  }

  /**
   * Answer the WebSocket upgrade request `msg` (from MG_EV_HTTP_MSG): 101,
   * then MG_EV_WS_OPEN. `extraHeaders` go into the 101 (subprotocols). An
   * invalid upgrade is answered 400 (426 for another version) and closes;
   * returns false then. `opts.deflate` accepts permessage-deflate.
   */
  wsUpgrade(msg: HttpMessage, extraHeaders?: HeadersInit, opts?: WsUpgradeOptions): boolean { return wsUpgrade(this, msg, extraHeaders, opts); }

  /**
   * Send one WebSocket frame (`op`: WEBSOCKET_OP_TEXT by default). Returns
   * the bytes queued, header included; 0 once our close was sent. Pace big
   * producers on `isFull` (output backed up). `data` may be the `WsMessage`
   * being handled: its payload is then sent without a copy into JavaScript
   * (echo, broadcast).
   */
  wsSend(data: string | Uint8Array | WsMessage, op = 1): number { return wsSend(this, data, op); }

  /** Start the WebSocket close handshake with `code` and `reason` (at most 123 bytes). */
  wsClose(code = 1000, reason = ""): boolean { return wsClose(this, code, reason); }

  #simple(op: string, fn: (c: number) => void): void {
    const c = this.#live(op);
    const m = this.manager;
    m._enter();
    try {
      fn(c);
    } finally {
      m._leave(true);
    }
  }

  /**
   * Start TLS: on MG_EV_ACCEPT (server: `cert`, `key`; `ca` asks for and
   * verifies client certificates) or MG_EV_CONNECT (client: verified against
   * `ca` or Node's root store, host name checked). MG_EV_TLS_HS follows; a
   * failed handshake is MG_EV_ERROR naming the reason, then MG_EV_CLOSE.
   * On a listener: TLS for every connection it accepts from now on.
   */
  tlsInit(opts: TlsOpts): void { tlsInit(this, opts); }

  /** Drop TLS options not yet in use (listener, unconnected client); drains a running TLS session. */
  tlsFree(): void { tlsFree(this); }

  /** `Connection(id=3, accepted, http)`. */
  toString(): string {
    const parts = [`id=${this.id}`, this._role, this._udp ? "udp" : this._http ? "http" : "raw"];
    if (this._ptr === 0) parts.push("closed");
    else if (this.isDraining) parts.push("draining");
    else if (this.isClosing) parts.push("closing");
    return `Connection(${parts.join(", ")})`;
  }

  /** Node's util.inspect shows toString(). */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** What localAddr/remoteAddr report when the address is not known. */
const UNKNOWN_ADDRESS: Address = Object.freeze({ address: "", port: 0, family: "IPv4" });

function checkStatus(status: unknown): void {
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(`HTTP status must be an integer in 100..999, got ${describe(status)}`);
  }
}

/** A byte count: a non-negative integer, or -1 for `all`. */
function checkCount(op: string, n: unknown, all: number): number {
  if (n === -1) return all;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${op}: byte count must be a non-negative integer or -1 (all), got ${describe(n)}`);
  }
  return n;
}

// The protocol methods above reach their protocol through the table it
// registers (protocols.ts), so this file loads without any protocol.
type Http = ProtocolTable["http"];
type Ws = ProtocolTable["ws"];
type Mqtt = ProtocolTable["mqtt"];
const formatHeaders: Http["formatHeaders"] = (h) => protocol("http").formatHeaders(h);
const hasHeader: Http["hasHeader"] = (block, name) => protocol("http").hasHeader(block, name);
const replyHost: Http["replyHost"] = (c, status, block, body, type) => protocol("http").replyHost(c, status, block, body, type);
const serveDir: Http["serveDir"] = (conn, msg, root, opts) => protocol("http").serveDir(conn, msg, root, opts);
const serveFile: Http["serveFile"] = (conn, msg, path, opts) => protocol("http").serveFile(conn, msg, path, opts);
const checkNotAnswered: Http["checkNotAnswered"] = (conn, op, status) => protocol("http").checkNotAnswered(conn, op, status);
const guardedReply: Http["guardedReply"] = (conn, status, size, send) => protocol("http").guardedReply(conn, status, size, send);
const streamBody: Http["streamBody"] = (conn, c, onData) => protocol("http").streamBody(conn, c, onData);
const udpSend: ProtocolTable["udp"]["udpSend"] = (conn, c, data) => protocol("udp").udpSend(conn, c, data);
const sntpRequest: ProtocolTable["sntp"]["sntpRequest"] = (conn, c) => protocol("sntp").sntpRequest(conn, c);
const tlsInit: ProtocolTable["tls"]["tlsInit"] = (conn, opts) => protocol("tls").tlsInit(conn, opts);
const tlsFree: ProtocolTable["tls"]["tlsFree"] = (conn) => protocol("tls").tlsFree(conn);
const wsUpgrade: Ws["wsUpgrade"] = (conn, msg, extra, opts) => protocol("ws").wsUpgrade(conn, msg, extra, opts);
const wsSend: Ws["wsSend"] = (conn, data, op) => protocol("ws").wsSend(conn, data, op);
const wsClose: Ws["wsClose"] = (conn, code, reason) => protocol("ws").wsClose(conn, code, reason);
/** Without WebSocket loaded no connection is one: isFull is the core's flag alone. */
const wsOutputFull: Ws["wsOutputFull"] = (c) => protocols.ws !== undefined && protocols.ws.wsOutputFull(c);
/** The MQTT methods Connection delegates to (mqtt/mqtt.ts). */
const mqtt: Pick<Mqtt, "mqttPub" | "mqttSub" | "mqttPing" | "mqttDisconnect" | "mqttConnack" | "mqttSubackLike" | "mqttAck" | "mqttVersion"> = {
  mqttPub: (conn, topic, message, opts) => protocol("mqtt").mqttPub(conn, topic, message, opts),
  mqttSub: (conn, topic, opts, unsub) => protocol("mqtt").mqttSub(conn, topic, opts, unsub),
  mqttPing: (conn, pong) => protocol("mqtt").mqttPing(conn, pong),
  mqttDisconnect: (conn, opts) => protocol("mqtt").mqttDisconnect(conn, opts),
  mqttConnack: (conn, code, opts) => protocol("mqtt").mqttConnack(conn, code, opts),
  mqttSubackLike: (conn, unsub, id, codes, opts) => protocol("mqtt").mqttSubackLike(conn, unsub, id, codes, opts),
  mqttAck: (conn, op, id, opts) => protocol("mqtt").mqttAck(conn, op, id, opts),
  /** 0 (not MQTT) when MQTT is not loaded. */
  mqttVersion: (conn) => protocols.mqtt === undefined ? 0 : protocols.mqtt.mqttVersion(conn),
};
