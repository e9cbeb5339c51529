// async-manager.ts: AsyncManager, the auto-driven Manager as an async
// resource (API.md "AsyncManager"):
//
//   await using am = new AsyncManager(handler, { shutdownTimeout: 10_000 });
//   await am.listen("http://127.0.0.1:8080");
//
// Disposal is a graceful shutdown with a hard limit. Manager.shutdown() does
// the work (stop accepting, 503 for late requests, wait for in-flight
// requests and handler promises, drain, force-close at the limit); this
// class adds what operators need to see while it waits: a ShutdownWarning
// every retryInterval naming the connections still busy, and a final one
// naming what was force-closed.
import type { ShortHandler, WithShortHandler } from "../core/event-data";
import { TypeError, RangeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import { init, isLoaded } from "../core/loader";
import { getPlatform } from "../core/platform";
import { Manager, type ConnectOptions, type TimerOptions } from "../core/manager";
import type { Timer, TimerCallback } from "../core/timer";
import type { WsConnectOptions } from "../ws/ws";
import type { MqttConnectOptions, MqttListenOptions } from "../mqtt/mqtt";
import type { SntpOptions } from "../dgram/sntp";
import { MongooseError, ManagerClosedError, describe } from "../core/errors";
import type { Connection, Handler } from "../core/connection";
import type { ErrorHandler } from "../core/engine";
import type { Limits } from "../core/limits";
import type { ShutdownReport, WakeupHandle } from "../core/extensions";
import type { Network } from "../../shim/network";

/** Options of `new AsyncManager(handler, opts)`. */
export interface AsyncManagerOptions {
  /** Hard limit for close()/dispose, ms: what is still busy then is force-closed (default 30_000). */
  shutdownTimeout?: number;
  /** While closing, a ShutdownWarning naming the busy connections every this many ms (default 5_000). */
  retryInterval?: number;
  /** Drive tick: timers, MG_EV_POLL and timeouts run at least this often, ms (default 100). */
  pollInterval?: number;
  /** Receives errors thrown (or promises rejected) by handlers and timer callbacks. */
  errorHandler?: ErrorHandler;
  /** Resource limits of the manager. */
  limits?: Partial<Limits>;
  /** The socket layer; default: the platform's. */
  network?: Network;
  /** Allow wakeupHandle() (default true). */
  enableWakeup?: boolean;
}

/** Defaults of AsyncManagerOptions (also `DEFAULTS.asyncManager`). */
export const ASYNC_MANAGER_DEFAULTS = Object.freeze({ shutdownTimeout: 30_000, retryInterval: 5_000, pollInterval: 100, enableWakeup: true });

/** A connection that kept shutdown waiting: id, how long it has been busy, the request URI. */
interface BusyConnection {
  id: number;
  busyMs: number;
  uri?: string;
}

/** `warning.code` of the warnings close() emits while waiting (their `warning.name` is "ShutdownWarning"). */
export const SHUTDOWN_WAITING = "TSMONGOOSE_SHUTDOWN_WAITING";
/** Code of the final warning: the hard limit was reached and connections were force-closed. */
export const SHUTDOWN_FORCED = "TSMONGOOSE_SHUTDOWN_FORCED";

const now = (): number => performance.now();

/**
 * A Manager that drives itself (no poll loop) and shuts down gracefully when
 * disposed: `await using am = new AsyncManager(handler)`. close() stops
 * accepting, waits for in-flight handlers (pending promises included) and
 * requests, warns every `retryInterval` while something is still busy, and
 * force-closes at `shutdownTimeout` after a final warning. Handlers finishing
 * in time give a normal close with no warning.
 */
export class AsyncManager implements AsyncDisposable {
  /** Hard limit of close(), ms. */
  readonly shutdownTimeout: number;
  /** Warning cadence while close() waits, ms. */
  readonly retryInterval: number;
  /** Drive tick, ms. */
  readonly pollInterval: number;
  #manager: Manager | undefined;
  readonly #ready: Promise<Manager>;
  #closing: Promise<ShutdownReport> | undefined;

  /** Create the manager (after loading the core when needed) and start driving it. */
  constructor(handler?: Handler, opts?: AsyncManagerOptions);
  /** An AsyncManager with a `(conn, ev) => ...` handler. */
  constructor(handler?: ShortHandler, opts?: AsyncManagerOptions);
  constructor(handler?: Handler | ShortHandler, opts: AsyncManagerOptions = {}) {
    if (handler !== undefined && handler !== null && typeof handler !== "function") {
      throw new TypeError(`AsyncManager: handler must be a function, got ${describe(handler)}`);
    }
    if (opts === null || typeof opts !== "object") throw new TypeError(`AsyncManager: options must be an object, got ${describe(opts)}`);
    this.shutdownTimeout = checkMs("shutdownTimeout", opts.shutdownTimeout, ASYNC_MANAGER_DEFAULTS.shutdownTimeout, true);
    this.retryInterval = checkMs("retryInterval", opts.retryInterval, ASYNC_MANAGER_DEFAULTS.retryInterval, false);
    this.pollInterval = checkMs("pollInterval", opts.pollInterval, ASYNC_MANAGER_DEFAULTS.pollInterval, false);
    const make = (): Manager => {
      const mgr = new Manager((handler ?? undefined) as Handler | undefined, {
        errorHandler: opts.errorHandler, limits: opts.limits, network: opts.network,
        enableWakeup: opts.enableWakeup ?? ASYNC_MANAGER_DEFAULTS.enableWakeup,
      });
      mgr.setAutoDrive(true, { tickMs: this.pollInterval });
      this.#manager = mgr;
      return mgr;
    };
    // Node loads the core synchronously, so `am.manager` works at once; the
    // browser has to fetch it first.
    if (isLoaded() || getPlatform()?.loadWasmSync) {
      this.#ready = Promise.resolve(make());
    } else {
      this.#ready = init().then(make);
      this.#ready.catch(() => undefined); // reported by listen()/ready()/close()
    }
  }

  /** The underlying Manager (throws ERR_NOT_READY until the core is loaded: await ready() in browsers). */
  get manager(): Manager {
    if (!this.#manager) throw new MongooseError("ERR_NOT_READY", "AsyncManager: the core is still loading: await am.ready() first");
    return this.#manager;
  }

  /** Resolves with the Manager once the core is loaded. */
  ready(): Promise<Manager> {
    return this.#ready;
  }

  /** Whether close() was called (or the manager was closed directly). */
  get closed(): boolean {
    return this.#closing !== undefined || (this.#manager?.closed ?? false);
  }

  /** Listen on `url` (see Manager.listen); resolves with the bound listener. */
  async listen(url: string, opts?: ConnectOptions): Promise<Connection>;
  /** listen() with a `(conn, ev) => ...` handler. */
  async listen(url: string, opts?: WithShortHandler<ConnectOptions>): Promise<Connection>;
  async listen(url: string, opts?: ConnectOptions | WithShortHandler<ConnectOptions>): Promise<Connection> {
    const mgr = await this.#ready;
    if (this.#closing) throw new ManagerClosedError("listen");
    const listener = mgr.listen(url, opts as ConnectOptions);
    await listener.listening();
    return listener;
  }

  /** Manager.mqttListen(), resolving with the bound listener as listen() does. */
  async mqttListen(url: string, opts?: MqttListenOptions): Promise<Connection> {
    const mgr = await this.#ready;
    if (this.#closing) throw new ManagerClosedError("mqttListen");
    const listener = mgr.mqttListen(url, opts);
    await listener.listening();
    return listener;
  }

  // Shortcuts to the Manager (the reference's AsyncManager has them). They
  // work at once in Node; in a browser, after `await am.ready()`.

  /** Manager.connect(): an outbound connection driven by this AsyncManager. */
  connect(url: string, opts?: ConnectOptions): Connection;
  /** connect() with a `(conn, ev) => ...` handler. */
  connect(url: string, opts?: WithShortHandler<ConnectOptions>): Connection;
  connect(url: string, opts?: ConnectOptions | WithShortHandler<ConnectOptions>): Connection {
    return this.#open("connect").connect(url, opts as ConnectOptions);
  }

  /** Manager.wsConnect(): a WebSocket client connection. */
  wsConnect(url: string, opts?: WsConnectOptions): Connection {
    return this.#open("wsConnect").wsConnect(url, opts);
  }

  /** Manager.mqttConnect(): an MQTT client connection. */
  mqttConnect(url: string, opts?: MqttConnectOptions): Connection {
    return this.#open("mqttConnect").mqttConnect(url, opts);
  }

  /** Manager.sntpConnect(): an SNTP client. */
  sntpConnect(url?: string, opts?: SntpOptions): Connection {
    return this.#open("sntpConnect").sntpConnect(url, opts);
  }

  /** Manager.timerAdd(): timers run on this AsyncManager's drive. */
  timerAdd(ms: number, callback: TimerCallback, opts?: TimerOptions): Timer {
    return this.#open("timerAdd").timerAdd(ms, callback, opts);
  }

  /** Manager.wakeup(): MG_EV_WAKEUP to connection `connId`; false if unknown, closed, or wakeups are off. */
  wakeup(connId: number, data?: string | Uint8Array): boolean {
    return this.#open("wakeup").wakeup(connId, data);
  }

  /** Manager.wakeupHandle(): a channel for waking connections from a worker thread. */
  wakeupHandle(): WakeupHandle {
    return this.#open("wakeupHandle").wakeupHandle();
  }

  /** Manager.connections: every open connection. */
  get connections(): readonly Connection[] {
    return this.#manager?.connections ?? [];
  }

  /** The manager for a shortcut: loaded and not closing. */
  #open(op: string): Manager {
    const mgr = this.manager;
    if (this.#closing) throw new ManagerClosedError(op);
    return mgr;
  }

  /**
   * Graceful close with a hard limit (see the class comment). Idempotent:
   * every call returns the same promise, which resolves with the shutdown
   * report once the manager is closed.
   */
  close(): Promise<ShutdownReport> {
    this.#closing ??= this.#ready.then((mgr) => this.#shutdown(mgr));
    return this.#closing;
  }

  /** `await using` calls this: same as close(). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(mgr: Manager): Promise<ShutdownReport> {
    const t0 = now();
    const stopWarnings = this.#startWarnings(mgr, t0);
    let report: ShutdownReport;
    try {
      report = await mgr.shutdown({ timeoutMs: this.shutdownTimeout });
    } finally {
      stopWarnings();
      mgr.close(); // no-op after a completed shutdown; frees the core if it threw
    }
    if (report.forced.length > 0) {
      emitShutdownWarning(`AsyncManager: shutdown timeout of ${this.shutdownTimeout} ms reached; ` +
        `force-closed ${plural(report.forced.length, "connection")}: ${describeBusy(report.forced)}`, SHUTDOWN_FORCED);
      // Node emits warnings on the next tick: let it land before the caller goes on.
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
    }
    return report;
  }

  /** A warning at t0 + k * retryInterval (k >= 1) while anything is busy, stopping short of the hard limit. */
  #startWarnings(mgr: Manager, t0: number): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let k = 0;
    const schedule = (): void => {
      const at = ++k * this.retryInterval;
      if (at >= this.shutdownTimeout) return; // the final warning covers the limit
      timer = setTimeout(() => {
        const busy = busyConnections(mgr);
        const orphans = orphanPromises(mgr);
        if (busy.length > 0 || orphans > 0) {
          const parts = busy.length > 0 ? [`${plural(busy.length, "busy connection")}: ${describeBusy(busy)}`] : [];
          if (orphans > 0) parts.push(`${plural(orphans, "handler promise")} of closed connections`);
          emitShutdownWarning(`AsyncManager: still waiting after ${Math.round(now() - t0)} ms ` +
            `(force-close at ${this.shutdownTimeout} ms) for ${parts.join("; ")}`, SHUTDOWN_WAITING);
        }
        schedule();
      }, Math.max(1, t0 + at - now()));
    };
    schedule();
    return () => clearTimeout(timer);
  }
}

/**
 * Connections still busy: a handler promise pending or a request not
 * answered yet (listeners and idle connections are not busy). busyMs counts
 * from whichever started first.
 */
function busyConnections(mgr: Manager): BusyConnection[] {
  const t = now();
  const out: BusyConnection[] = [];
  for (const conn of mgr.connections) {
    if (conn.isListening || !conn._busy) continue;
    let since = Infinity;
    if (conn._busySince > 0) since = conn._busySince;
    const req = conn._requestStartedMs;
    if (req > 0) since = Math.min(since, req);
    const entry: BusyConnection = { id: conn.id, busyMs: since === Infinity ? 0 : Math.max(0, Math.round(t - since)) };
    const uri = conn._requestUri;
    if (uri) entry.uri = uri;
    out.push(entry);
  }
  return out;
}

/** Handler promises still pending whose connection has closed already. */
function orphanPromises(mgr: Manager): number {
  let live = 0;
  for (const conn of mgr.connections) live += conn._pendingHandlers;
  return Math.max(0, mgr._pendingHandlers - live);
}

/** `#5 /slow (busy 5012 ms)` items (`#6 (idle)` for a keep-alive connection with nothing pending), joined. */
function describeBusy(list: readonly BusyConnection[]): string {
  const shown = list.slice(0, 20).map((b) => b.busyMs === 0 && !b.uri ? `#${b.id} (idle)`
    : `#${b.id}${b.uri ? ` ${b.uri}` : ""} (busy ${b.busyMs} ms)`);
  if (list.length > shown.length) shown.push(`and ${list.length - shown.length} more`);
  return shown.join(", ");
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** process.emitWarning(msg, ShutdownWarning) in Node; console.warn where there is no process. */
function emitShutdownWarning(message: string, code: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: { type: string; code: string }) => void } }).process;
  if (typeof proc?.emitWarning === "function") proc.emitWarning(message, { type: "ShutdownWarning", code });
  else console.warn(`ShutdownWarning: ${message}`);
}

function checkMs(name: string, value: unknown, dflt: number, zeroOk: boolean): number {
  if (value === undefined) return dflt;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!zeroOk && value === 0)) {
    throw new RangeError(`AsyncManager: ${name} must be a finite number ${zeroOk ? ">= 0" : "> 0"} (ms), got ${describe(value)}`);
  }
  return value;
}
