// manager.ts: Manager, the public entry point: one event loop over a Network,
// its connections and timers (API.md "Manager"). The queue/dispatch/driving
// machinery lives in engine.ts.
import { TypeError, RangeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { core, init } from "./loader";
import { connId, toScratch, KIND_CLIENT, KIND_LISTENER, PROTO_HTTP, PROTO_RAW, TIMER_REPEAT, TIMER_RUN_NOW } from "./core";
import { Connection, type ConnectionRole, type Handler } from "./connection";
import { Engine, type ErrorHandler } from "./engine";
import { Timer, type TimerCallback } from "./timer";
import { ManagerClosedError, MongooseError, describe } from "./errors";
import { resolveLimits, type Limits } from "./limits";
import { defaultHttp, parseEndpoint } from "./url";
import { getPlatform } from "./platform";
import { connectionsById, timersById } from "./registry";
import { managerExtensions, type WakeupHandle } from "./extensions";
import { addShutdownHook, isShuttingDown, noteClose, shutdownManager, type ShutdownHook, type ShutdownOptions, type ShutdownReport } from "../lifecycle/shutdown";
import { runManager, type RunOptions } from "../lifecycle/run";
import type { TlsOpts } from "../tls/tls";
import type { Address, Network } from "../../shim/network";
import { checkPollOptions, pollWithSignal, type PollOptions } from "../lifecycle/abort";
import type { ShortHandler, WithShortHandler } from "./event-data";
import { checkClientOptions, watchConnect, type ClientOptions } from "./client";
import type { MqttConnectOptions, MqttListenOptions } from "../mqtt/mqtt";
import type { WsConnectOptions } from "../ws/ws";
import type * as Sntp from "../dgram/sntp";
import type { SntpOptions } from "../dgram/sntp";
import { protocol, protocols, type ProtocolTable } from "./protocols";

/** Options of `new Manager(handler, opts)`. */
export interface ManagerOptions {
  /** Receives errors thrown (or promises rejected) by handlers and timer callbacks. */
  errorHandler?: ErrorHandler;
  /** Allow wakeups: Manager.wakeup() and, from other threads, wakeupHandle() (without it wakeup() returns false). */
  enableWakeup?: boolean;
  /** The socket layer; default: the platform's (node:net in Node). */
  network?: Network;
  /** Resource limits; missing fields keep the defaults (DEFAULT_LIMITS). */
  limits?: Partial<Limits>;
}

/** Options of listen() and connect() (the ClientOptions fields apply to connect() only). */
export interface ConnectOptions extends ClientOptions {
  /** Handler for this connection (a listener's is inherited by what it accepts). */
  handler?: Handler;
  /** Speak HTTP; default true for http:// and false for tcp://. */
  http?: boolean;
  /**
   * TLS: listen: tlsInit(tls) on every accepted connection (https://...);
   * connect: tlsInit(tls) at MG_EV_CONNECT, default {} for https://, wss://,
   * mqtts://, tls:// (the handler may call tlsInit itself instead).
   */
  tls?: TlsOpts;
  /**
   * listen() only: bind with SO_REUSEPORT so independent processes share the
   * port (Node 22.12+/23.1+ on Linux, FreeBSD, macOS; elsewhere listen()
   * throws ERR_REUSEPORT_UNSUPPORTED). The bind is then asynchronous: await
   * `listener.listening()`.
   */
  reusePort?: boolean;
  /**
   * listen() only, in a node:cluster worker: bind a socket of this worker's
   * own instead of sharing the primary's (as net.Server's `exclusive`).
   */
  exclusive?: boolean;
}

/** Options of timerAdd(). */
export interface TimerOptions {
  /** Fire every `ms` until cancelled (default: once). */
  repeat?: boolean;
  /** First call at the next poll instead of after `ms`. */
  runNow?: boolean;
}

/**
 * An event manager: owns listeners, connections and timers, and delivers
 * their events to handlers `(conn, ev, data)`. Drive it with
 * `while (!stop) await mgr.poll(100)` (socket activity is processed as it
 * arrives while a poll is pending), or let run()/AsyncManager drive it.
 */
export class Manager extends Engine {
  /** Whether wakeup from other threads was requested. */
  readonly enableWakeup: boolean;
  /** The limits in force. */
  readonly limits: Readonly<Limits>;

  /** Create a manager; in the browser call `await init()` first (or use Manager.create). */
  constructor(handler?: Handler, opts?: ManagerOptions);
  /** Create a manager with a `(conn, ev) => ...` handler. */
  constructor(handler?: ShortHandler, opts?: ManagerOptions);
  constructor(handler?: Handler | ShortHandler, opts: ManagerOptions = {}) {
    if (handler !== undefined && handler !== null && typeof handler !== "function") {
      throw new TypeError(`Manager: handler must be a function, got ${describe(handler)}`);
    }
    if (opts === null || typeof opts !== "object") throw new TypeError(`Manager: options must be an object, got ${describe(opts)}`);
    if (opts.errorHandler !== undefined && typeof opts.errorHandler !== "function") {
      throw new TypeError(`Manager: errorHandler must be a function, got ${describe(opts.errorHandler)}`);
    }
    const limits = resolveLimits(opts.limits);
    let network = opts.network;
    if (network === undefined) {
      const platform = getPlatform();
      if (!platform) throw new TypeError("Manager: no default network on this platform: pass opts.network");
      network = platform.defaultNetwork();
    } else if (network === null || typeof network !== "object" || typeof network.listen !== "function") {
      throw new TypeError(`Manager: network must implement the Network interface, got ${describe(network)}`);
    }
    const k = core();
    const ptr = k.mgx_mgr_new();
    if (!ptr) throw new MongooseError("ERR_NO_MEMORY", "Manager: the core could not allocate a manager");
    k.mgx_set_limits(ptr, limits.maxHeaderSize, limits.maxHeaders, limits.maxBodySize, limits.recvBufferSize,
      limits.maxConnections, limits.idleTimeoutMs, limits.headerTimeoutMs, limits.requestTimeoutMs);
    wsSetLimit(ptr, limits.maxWsMessageSize);
    strictHttp(ptr);
    super(ptr, network, (handler ?? undefined) as Handler | undefined, opts.errorHandler, limits.recvBufferSize);
    this.enableWakeup = opts.enableWakeup === true;
    this.limits = Object.freeze(limits);
  }

  /** Load the WASM core if needed (`init()`), then construct. */
  static async create(handler?: Handler, opts?: ManagerOptions): Promise<Manager>;
  /** Manager.create with a `(conn, ev) => ...` handler. */
  static async create(handler?: ShortHandler, opts?: ManagerOptions): Promise<Manager>;
  static async create(handler?: Handler | ShortHandler, opts?: ManagerOptions): Promise<Manager> {
    await init();
    return new Manager(handler as Handler, opts);
  }

  /** Live connections (listeners included), oldest first; a fresh array. */
  get connections(): readonly Connection[] {
    return [...this._conns.values()];
  }

  #check(op: string): void {
    if (this.closed) throw new ManagerClosedError(op);
  }

  /** @internal */
  override _newConnection(ptr: number, role: ConnectionRole, http: boolean, handler: Handler | undefined): Connection {
    const conn = new Connection(this, ptr, connId(ptr), role, http, handler);
    connectionsById.set(conn.id, conn);
    this._conns.set(conn.id, conn);
    return conn;
  }

  /**
   * Listen on `url` ("http://127.0.0.1:0", "tcp://[::1]:9000"...; "ws://"
   * and "wss://" listen for HTTP, "mqtt://" and "mqtts://" are mqttListen()). Binds
   * synchronously: `listener.localAddr.port` is the real port on return. A
   * bind failure throws ListenError (`errno` EADDRINUSE...); MG_EV_OPEN is
   * delivered before this returns. In a node:cluster worker (the port is
   * the primary's, shared as net.Server shares it) and with `reusePort` the
   * bind completes later: `await listener.listening()` for the address; a
   * failure then rejects it and closes the listener with MG_EV_ERROR.
   */
  listen(url: string, opts?: ConnectOptions): Connection;
  /** listen() with a `(conn, ev) => ...` handler. */
  listen(url: string, opts?: WithShortHandler<ConnectOptions>): Connection;
  listen(url: string, opts: ConnectOptions | WithShortHandler<ConnectOptions> = {}): Connection {
    this.#check("listen");
    // The scheme names the protocol, as in the reference: ws:// and wss://
    // listen for HTTP (the upgrade is HTTP), mqtt:// and mqtts:// are mqttListen().
    const scheme = typeof url === "string" ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1].toLowerCase() : undefined;
    if (scheme === "mqtt" || scheme === "mqtts") {
      checkConnectOptions("listen", opts as ConnectOptions, scheme);
      return mqttListen(this, url, { handler: (opts as ConnectOptions).handler, tls: (opts as ConnectOptions).tls });
    }
    const ws = scheme === "ws" || scheme === "wss";
    const ep = parseEndpoint(ws ? `http${scheme.slice(2)}${url.slice(scheme.length)}` : url);
    const { handler, http } = checkConnectOptions("listen", opts as ConnectOptions, ep.scheme);
    const { reusePort, exclusive } = checkListenOptions(opts as ConnectOptions);
    if (ep.scheme === "udp") return udpListen(this, url, ep, handler as Handler | undefined);
    checkTlsUrlListen(this, url, ep, (opts as ConnectOptions).tls, (handler ?? this.handler) !== undefined);
    const tls = checkListenTls(this, ep, (opts as ConnectOptions).tls, http);
    const k = core();
    this._enter();
    try {
      const ptr = k.mgx_conn_new(this._ptr, KIND_LISTENER, http ? PROTO_HTTP : PROTO_RAW, 0);
      if (!ptr) throw new MongooseError("ERR_NO_MEMORY", `listen ${url}: the core could not allocate a connection`);
      const conn = this._newConnection(ptr, "listening", http, handler);
      let bound: Address | Promise<Address>;
      try {
        bound = this._network.listen(conn.id, ep, this._networkEvents,
          reusePort || exclusive ? { reusePort, exclusive } : undefined);
        setListenerParams(conn, tls, ws ? scheme : ep.scheme); // errors name the URL's own scheme
      } catch (err) {
        this.#discard(conn);
        throw err;
      }
      if (isPromise(bound)) this.#bindLater(conn, bound);
      else conn._local = bound;
      k.mgx_open(ptr);
      return conn;
    } finally {
      this._leave(true);
    }
  }

  /** An asynchronous bind: the address once bound, or MG_EV_ERROR + close on failure. */
  #bindLater(conn: Connection, bound: Promise<Address>): void {
    conn._bound = bound.then((address) => {
      if (conn._ptr !== 0) conn._local = address;
      return address;
    }, (err: unknown) => {
      if (conn._ptr !== 0 && !this.closed) {
        this._enter();
        try {
          const [p, n] = toScratch(err instanceof Error ? err.message : String(err));
          core().mgx_error(conn._ptr, p, n);
        } finally {
          this._leave(true);
        }
      }
      throw err;
    });
    conn._bound.catch(() => undefined); // observed through listening() or MG_EV_ERROR
  }

  /**
   * Connect to `url` ("http://host:port", "tcp://..."). Returns at once;
   * MG_EV_OPEN is delivered before this returns, then MG_EV_RESOLVE and
   * MG_EV_CONNECT as the socket progresses, or MG_EV_ERROR + MG_EV_CLOSE.
   */
  connect(url: string, opts?: ConnectOptions): Connection;
  /** connect() with a `(conn, ev) => ...` handler. */
  connect(url: string, opts?: WithShortHandler<ConnectOptions>): Connection;
  connect(url: string, opts: ConnectOptions | WithShortHandler<ConnectOptions> = {}): Connection {
    this.#check("connect");
    const ep = parseEndpoint(url);
    const { handler, http } = checkConnectOptions("connect", opts as ConnectOptions, ep.scheme);
    const client = checkClientOptions(opts as ConnectOptions);
    if (ep.scheme === "udp") return udpConnect(this, ep, handler as Handler | undefined);
    const tls = checkConnectTls(this, ep, (opts as ConnectOptions).tls);
    const k = core();
    this._enter();
    try {
      const ptr = k.mgx_conn_new(this._ptr, KIND_CLIENT, http ? PROTO_HTTP : PROTO_RAW, 0);
      if (!ptr) throw new MongooseError("ERR_NO_MEMORY", `connect ${url}: the core could not allocate a connection`);
      const conn = this._newConnection(ptr, "client", http, handler);
      setClientTls(conn, ep, tls);
      k.mgx_open(ptr);
      if (conn._ptr !== 0) watchConnect(this, conn, client, ep.host);
      if (conn._ptr !== 0) {
        try {
          this._network.connect(conn.id, ep, this._networkEvents);
        } catch (err) {
          const [p, n] = toScratch(err instanceof Error ? err.message : String(err));
          k.mgx_error(ptr, p, n);
        }
      }
      return conn;
    } finally {
      this._leave(true);
    }
  }

  /**
   * MQTT client: connect to "mqtt://host[:port]" and send CONNECT. CONNACK
   * brings MG_EV_MQTT_OPEN (data: the code) or MG_EV_ERROR naming the reason,
   * then close; PUBLISH packets arrive as MG_EV_MQTT_MSG, every packet as
   * MG_EV_MQTT_CMD (an MqttMessage).
   */
  mqttConnect(url: string, opts?: MqttConnectOptions): Connection {
    this.#check("mqttConnect");
    return mqttConnect(this, url, opts);
  }

  /** MQTT broker side: listen on "mqtt://host:port"; every packet of every client arrives as MG_EV_MQTT_CMD. */
  mqttListen(url: string, opts?: MqttListenOptions): Connection {
    this.#check("mqttListen");
    return mqttListen(this, url, opts);
  }

  /**
   * Open a WebSocket client connection to `url` ("ws://host:port/path"):
   * the upgrade request (with `opts.headers`) goes out on connect; the
   * answer is checked, then MG_EV_WS_OPEN (data: the 101 response), or
   * MG_EV_ERROR + MG_EV_CLOSE. Frames are masked with fresh random keys.
   */
  wsConnect(url: string, opts?: WsConnectOptions): Connection {
    this.#check("wsConnect");
    return wsConnect(this, url, opts);
  }

  /**
   * An SNTP client (udp://, default time.google.com:123): a request goes out
   * once connected, each reply fires MG_EV_SNTP_TIME (data: milliseconds since
   * the epoch) or MG_EV_ERROR; `conn.sntpRequest()` asks again.
   */
  sntpConnect(url: string = SNTP_DEFAULT_URL, opts: SntpOptions = {}): Connection {
    this.#check("sntpConnect");
    return sntpConnect(this, url, opts);
  }

  /** @internal Free a connection whose setup failed, without delivering any event. */
  _discardConnection(conn: Connection): void {
    this.#discard(conn);
  }

  /** Free a connection whose setup failed, without delivering any event. */
  #discard(conn: Connection): void {
    connectionsById.delete(conn.id);
    this._conns.delete(conn.id);
    const ptr = conn._ptr;
    conn._ptr = 0;
    conn._socketClosed = true;
    core().mgx_close(ptr);
    core().mgx_flush(this._ptr);
  }

  /**
   * Process queued socket activity, run due timers, fire MG_EV_POLL on every
   * connection, enforce timeouts and flush. Waits up to `timeoutMs` for
   * socket activity or the next timer first when nothing is pending (0: one
   * event-loop turn). Resolves with the number of events delivered.
   */
  poll(timeoutMs = 0, opts?: PollOptions): Promise<number> {
    this.#check("poll");
    if (typeof timeoutMs !== "number" || !(timeoutMs >= 0) || timeoutMs === Infinity) {
      throw new RangeError(`poll: timeoutMs must be a finite number >= 0, got ${describe(timeoutMs)}`);
    }
    checkPollOptions(opts); // arguments first, then the state they are used in
    if (this._depth > 0) {
      // The core is delivering an event right now: the step this poll asks
      // for cannot run inside it (the reference's "not reentrant" error).
      throw new MongooseError("ERR_POLL_REENTRANT", "poll: called from inside a handler or timer callback; return from it and let the loop poll");
    }
    return pollWithSignal(this, timeoutMs, opts, (ms) => this._poll(ms));
  }

  /**
   * Call `callback` after `ms` (every `ms` with `repeat`). Timers fire while
   * the manager is driven (a pending poll, run(), AsyncManager); otherwise
   * at the next poll. Errors go to the errorHandler.
   */
  timerAdd(ms: number, callback: TimerCallback, opts: TimerOptions = {}): Timer {
    this.#check("timerAdd");
    if (typeof ms !== "number" || !(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError(`timerAdd: ms must be a finite number >= 0, got ${describe(ms)}`);
    }
    if (typeof callback !== "function") throw new TypeError(`timerAdd: callback must be a function, got ${describe(callback)}`);
    if (opts === null || typeof opts !== "object") throw new TypeError(`timerAdd: options must be an object, got ${describe(opts)}`);
    const repeat = opts.repeat === true;
    const id = core().mgx_timer_add(this._ptr, ms, (repeat ? TIMER_REPEAT : 0) | (opts.runNow ? TIMER_RUN_NOW : 0));
    if (!id) throw new MongooseError("ERR_NO_MEMORY", "timerAdd: the core could not allocate a timer");
    const timer = new Timer(this, id, repeat, callback);
    timersById.set(id, timer);
    this._timers.add(timer);
    this._arm();
    return timer;
  }

  /**
   * Deliver MG_EV_WAKEUP (data: a Uint8Array copy of `data`) to connection
   * `connId` of this manager. Returns false, delivering nothing, if no such
   * live connection or the manager was made without `enableWakeup`.
   */
  wakeup(connId: number, data: string | Uint8Array = ""): boolean {
    this.#check("wakeup");
    // Arguments are checked before the lookup, so a bad one throws even when nothing would be delivered.
    if (typeof connId !== "number") throw new TypeError(`wakeup: connId must be a number, got ${describe(connId)}`);
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new TypeError(`wakeup: data must be a string or Uint8Array, got ${describe(data)}`);
    }
    if (!this.enableWakeup) return false;
    const conn = this._conns.get(connId);
    if (!conn || conn._ptr === 0) return false;
    this._enter();
    try {
      const [p, n] = toScratch(data);
      core().mgx_wakeup(conn._ptr, p, n);
    } finally {
      this._leave(true);
    }
    return true;
  }

  /**
   * Drive this manager until it is closed: no poll() calls; SIGINT/SIGTERM
   * (`signals`) start shutdown({ signal }), a second one force-closes at once.
   * The signal handlers are removed when the returned promise resolves, with
   * the ShutdownReport, once the manager is closed (by a signal, shutdown()
   * or close()). A handler that blocks the event loop synchronously delays
   * signal handling until it returns (see ts/run.ts).
   */
  run(opts?: RunOptions): Promise<ShutdownReport> {
    return runManager(this, opts);
  }

  /**
   * Graceful shutdown, in order: readiness fails (`ready` false) for
   * `readinessDelayMs`; listeners close; requests that arrive afterwards get
   * `replyStatus` + Connection: close; onShutdown hooks run while in-flight
   * requests finish and drain and idle keep-alive connections close after
   * `idleGraceMs`; at `timeoutMs` the rest is force-closed; then close().
   * Idempotent: every call returns the same promise of the ShutdownReport.
   */
  shutdown(opts?: ShutdownOptions): Promise<ShutdownReport> {
    return shutdownManager(this, opts);
  }

  /**
   * Register a hook for shutdown (stop workers, flush stores): hooks run once,
   * one after another in registration order, starting right after the
   * listeners close; each is awaited; errors go to the errorHandler.
   */
  onShutdown(hook: ShutdownHook): void {
    addShutdownHook(this, hook);
  }

  /** True once shutdown() (or a signal under run()) has started. */
  get isShuttingDown(): boolean {
    return isShuttingDown(this);
  }

  /**
   * Readiness for load balancers: false once shutdown starts (and after
   * close). Health-check handlers answer 503 when it is false, so the
   * instance is taken out of rotation during `readinessDelayMs`.
   */
  get ready(): boolean {
    return !this.closed && !isShuttingDown(this);
  }

  /**
   * A new channel for waking this manager from a worker thread: pass the
   * handle in `workerData` with `transferList: [handle.port]`; the worker
   * calls `wakeup(handle, connId, data)`. Needs `enableWakeup: true`
   * (MongooseError ERR_WAKEUP_DISABLED otherwise). Closed with the manager.
   */
  wakeupHandle(): WakeupHandle {
    return managerExtensions.wakeupHandle(this);
  }

  /**
   * Certificate rotation: new cert/key (and ca) for the connections that TLS
   * listeners (all of this manager's, or `listener`) accept from now on;
   * established ones keep theirs. Unusable credentials throw and change
   * nothing. Returns how many listeners were updated.
   */
  setTlsContext(opts: TlsOpts, listener?: Connection): number {
    this.#check("setTlsContext");
    return setTlsContext(this, opts, listener);
  }

  /**
   * Close immediately: destroy every socket, deliver MG_EV_CLOSE to every
   * connection, cancel timers, free the core state and resolve pending
   * polls. Idempotent. Called inside a handler, it takes effect when that
   * handler returns. Afterwards every other method throws ManagerClosedError.
   */
  close(): void {
    noteClose(this); // a run()/shutdown() in progress reports what this cut off
    this._close();
  }

  /** Same as close(), for `using mgr = new Manager(...)`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `Manager(3 connections, 1 timer)`. */
  override toString(): string {
    if (this.closed) return "Manager(closed)";
    return `Manager(${this._conns.size} connection${this._conns.size === 1 ? "" : "s"}, ` +
      `${this._timers.size} timer${this._timers.size === 1 ? "" : "s"})`;
  }
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown }).then === "function";
}

function checkListenOptions(opts: ConnectOptions): { reusePort: boolean; exclusive: boolean } {
  for (const key of ["reusePort", "exclusive"] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== "boolean") {
      throw new TypeError(`listen: ${key} must be a boolean, got ${describe(opts[key])}`);
    }
  }
  return { reusePort: opts.reusePort === true, exclusive: opts.exclusive === true };
}

function checkConnectOptions(op: string, opts: ConnectOptions, scheme: string): { handler?: Handler; http: boolean } {
  if (opts === null || typeof opts !== "object") throw new TypeError(`${op}: options must be an object, got ${describe(opts)}`);
  if (opts.handler !== undefined && typeof opts.handler !== "function") {
    throw new TypeError(`${op}: handler must be a function, got ${describe(opts.handler)}`);
  }
  if (opts.http !== undefined && typeof opts.http !== "boolean") {
    throw new TypeError(`${op}: http must be a boolean, got ${describe(opts.http)}`);
  }
  return { handler: opts.handler, http: opts.http ?? defaultHttp(scheme) };
}

// The protocol methods above reach their protocol through the table it
// registers (protocols.ts), so this file loads without any protocol. Without
// TLS no TLS URL parses (url.ts), so the TLS steps have nothing to do.
type Tls = ProtocolTable["tls"];
const checkListenTls: Tls["checkListenTls"] = (mgr, ep, tls, http) => tls === undefined && protocols.tls === undefined ? undefined : protocol("tls").checkListenTls(mgr, ep, tls, http);
const checkTlsUrlListen: Tls["checkTlsUrlListen"] = (mgr, url, ep, tls, hasHandler) => protocols.tls?.checkTlsUrlListen(mgr, url, ep, tls, hasHandler);
const checkConnectTls: Tls["checkConnectTls"] = (mgr, ep, tls) => tls === undefined && protocols.tls === undefined ? undefined : protocol("tls").checkConnectTls(mgr, ep, tls);
const setListenerParams: Tls["setListenerParams"] = (listener, params, scheme) => protocols.tls?.setListenerParams(listener, params, scheme);
const setClientTls: Tls["setClientTls"] = (conn, ep, o) => protocols.tls?.setClientTls(conn, ep, o);
const setTlsContext: Tls["setTlsContext"] = (mgr, opts, listener) => protocol("tls").setTlsContext(mgr, opts, listener);
/** Host-header strictness of the core's HTTP server (http/http-stream.ts). */
const strictHttp: ProtocolTable["http"]["strictHttp"] = (mgr) => protocols.http?.strictHttp(mgr);
const wsSetLimit: ProtocolTable["ws"]["wsSetLimit"] = (mgr, max) => protocols.ws?.wsSetLimit(mgr, max);
const wsConnect: ProtocolTable["ws"]["wsConnect"] = (mgr, url, opts) => protocol("ws").wsConnect(mgr, url, opts);
const mqttConnect: ProtocolTable["mqtt"]["mqttConnect"] = (mgr, url, o) => protocol("mqtt").mqttConnect(mgr, url, o);
const mqttListen: ProtocolTable["mqtt"]["mqttListen"] = (mgr, url, o) => protocol("mqtt").mqttListen(mgr, url, o);
const udpListen: ProtocolTable["udp"]["udpListen"] = (mgr, url, ep, handler) => protocol("udp").udpListen(mgr, url, ep, handler);
const udpConnect: ProtocolTable["udp"]["udpConnect"] = (mgr, ep, handler, setup) => protocol("udp").udpConnect(mgr, ep, handler, setup);
const sntpConnect: ProtocolTable["sntp"]["sntpConnect"] = (mgr, url, opts) => protocol("sntp").sntpConnect(mgr, url, opts);
/** dgram/sntp.ts's default server; the type makes the compiler check that the two agree. */
const SNTP_DEFAULT_URL: typeof Sntp.SNTP_DEFAULT_URL = "udp://time.google.com:123";
