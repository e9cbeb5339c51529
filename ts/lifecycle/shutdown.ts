// shutdown.ts: Manager.shutdown() and Manager.onShutdown(), graceful shutdown
// done by the library (DESIGN.md "Graceful shutdown", API.md "Shutdown").
//
// The steps, in order:
//   1. Readiness: mgr.isShuttingDown = true, mgr.ready = false (health checks
//      answer 503 so load balancers deregister); readinessDelayMs passes while
//      everything is still served normally.
//   2. Listeners close: the kernel refuses new connections from now on.
//   3. The core enters shutdown mode (mgx_shutdown): a request that arrives
//      now on an existing connection is served with Connection: close (the
//      default, serveNewRequests; or, with replyStatus, answered with that
//      status + Connection: close); every response from now on says
//      Connection: close and its connection drains. Serving is the default
//      because proxies (nginx) retry a closed upstream connection but pass a
//      503 to the client (issue #13).
//   4. onShutdown hooks start, one after another in registration order,
//      while in-flight requests finish and their connections drain.
//   5. Idle keep-alive connections close once idle for idleGraceMs (below).
//   6. At timeoutMs (counted from the shutdown() call) whatever is left is
//      force-closed and named in the report.
//   7. close(): timers cancelled, sockets closed, the core freed.
//
// The keep-alive race. A pooled client may send its next request on an idle
// keep-alive connection at the very moment the server closes it; the client
// then sees a reset or "socket hang up" for a request the server never read
// (node:http's close() + closeIdleConnections() does this). We never close a
// connection with a request in it: a busy connection closes only after a
// response that said Connection: close, and an idle one only once it has been
// idle for idleGraceMs, by default the idle timeout that every keep-alive
// response advertises as "Keep-Alive: timeout=N". Clients that honour the
// hint (undici/fetch, curl) stop reusing a connection before N seconds of
// idleness, so they cannot race us. Closing is a graceful half-close with a
// linger (the Network's close), so unread input does not turn into a reset.
import { TypeError, RangeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import { core } from "../core/loader";
import { coreCounters } from "../core/core";
import { ManagerClosedError, describe } from "../core/errors";
import type { Manager } from "../core/manager";
import type { Connection } from "../core/connection";
import { protocols } from "../core/protocols";

/** Options of Manager.shutdown() (API.md "Shutdown"). */
export interface ShutdownOptions {
  /** Hard limit, ms from the shutdown() call: what is left then is force-closed (default 30_000). */
  timeoutMs?: number;
  /** Fail readiness (mgr.ready = false), keep serving this long, then stop accepting, ms (default 0). */
  readinessDelayMs?: number;
  /**
   * Answer requests that arrive during shutdown on existing connections with
   * this status + Connection: close instead of serving them (setting it turns
   * serveNewRequests off unless that is given too; 503 when serveNewRequests
   * is false without a status).
   */
  replyStatus?: number;
  /**
   * Serve requests that arrive during shutdown on existing connections, each
   * answer with Connection: close, so every connection carries at most one
   * more request (default true unless replyStatus is given).
   */
  serveNewRequests?: boolean;
  /**
   * Close an idle keep-alive connection once it has been idle this long, ms
   * (default: limits.idleTimeoutMs, the advertised keep-alive timeout; 5000
   * when that is off). Shorter values risk the keep-alive race.
   */
  idleGraceMs?: number;
  /** Name of the OS signal that started the shutdown ("SIGTERM"): passed to hooks, recorded as the report's `signal`. */
  signalName?: string;
  /** Aborting it force-closes what is still open at once (as a second SIGTERM under run() does). */
  signal?: AbortSignal;
}

/** A connection that shutdown force-closed at its deadline. */
export interface ForcedConnection {
  /** Connection id. */
  id: number;
  /** What it spoke: "http", "ws", "mqtt", "udp" or "raw" (bytes only). */
  kind: "http" | "ws" | "mqtt" | "udp" | "raw";
  /**
   * How long it had been busy, ms, from the start of its request (or of its
   * handler's promise) until the cut, including the time its response spent
   * flushing (a download in progress); 0 if it was idle.
   */
  busyMs: number;
  /** Bytes still queued to send when it was cut. */
  queuedBytes: number;
  /** URI of the request it was serving (its response may be flushing), or of a WebSocket's upgrade. */
  uri?: string;
  /** Method of that request ("GET"...). */
  method?: string;
}

/** What Manager.shutdown() did (API.md "Shutdown"). */
export interface ShutdownReport {
  /** The signal that started it, if any. */
  signal?: string;
  /** From the shutdown() call to the manager being closed, ms. */
  durationMs: number;
  /** Requests answered normally during the shutdown (the ones in flight, and any served). */
  completed: number;
  /** Requests answered with replyStatus. */
  rejected: number;
  /** Connections closed after flushing their output. */
  drained: number;
  /** Connections force-closed at the deadline (or by a second signal / close()). */
  forced: ForcedConnection[];
}

/** A hook run during shutdown, with the signal name if a signal started it. */
export type ShutdownHook = (signal?: string) => void | Promise<void>;

/**
 * Defaults of ShutdownOptions (also `DEFAULTS.shutdown`). idleGraceMs has
 * none of its own: it follows limits.idleTimeoutMs. replyStatus applies only
 * when serveNewRequests is false.
 */
export const SHUTDOWN_DEFAULTS = Object.freeze({ timeoutMs: 30_000, readinessDelayMs: 0, replyStatus: 503, serveNewRequests: true });

/** mgx.h MGX_SHUTDOWN_SERVE: deliver new requests, but close after every response. */
const SHUTDOWN_SERVE = -1;

/** Idle grace when the manager has no idle timeout (so nothing was advertised). */
const FALLBACK_IDLE_GRACE_MS = 5000;

interface Counters { completed: number; rejected: number; drained: number }

type Outcome = "done" | "deadline" | "forced" | "closed";

/** @internal Shutdown/run state of one manager. */
export interface ShutdownState {
  hooks: ShutdownHook[];
  /** Index of the next hook to run. */
  nextHook: number;
  hooksStarted: boolean;
  hooksActive: boolean;
  shuttingDown: boolean;
  signal?: string;
  promise?: Promise<ShutdownReport>;
  /** run() in progress. */
  running?: Promise<ShutdownReport>;
  /** A force-close was requested (second signal). */
  forceRequested: boolean;
  /** Re-check the condition the shutdown is waiting for. */
  wake?: () => void;
  /** Set while shutdown itself closes the manager. */
  selfClosing: boolean;
  /** What was open when someone else closed the manager during run()/shutdown(). */
  closedFrom?: { forced: ForcedConnection[]; counters: Counters };
}

const states = new WeakMap<Manager, ShutdownState>();
const now = (): number => performance.now();

/** @internal The shutdown state of `mgr` (created on first use). */
export function shutdownState(mgr: Manager): ShutdownState {
  let st = states.get(mgr);
  if (!st) {
    st = { hooks: [], nextHook: 0, hooksStarted: false, hooksActive: false, shuttingDown: false, forceRequested: false, selfClosing: false };
    states.set(mgr, st);
  }
  return st;
}

/** @internal Whether shutdown() has started on `mgr`. */
export function isShuttingDown(mgr: Manager): boolean {
  return states.get(mgr)?.shuttingDown ?? false;
}

/** @internal Validated options with defaults filled in. */
export interface ResolvedShutdownOptions {
  timeoutMs: number;
  readinessDelayMs: number;
  replyStatus: number;
  serveNewRequests: boolean;
  idleGraceMs: number | undefined;
  signal: string | undefined;
  abort: AbortSignal | undefined;
}

/** @internal Check shutdown options: TypeError for wrong types, RangeError for bad numbers. */
export function checkShutdownOptions(opts: ShutdownOptions | undefined, op = "shutdown"): ResolvedShutdownOptions {
  if (opts === undefined) opts = {};
  if (opts === null || typeof opts !== "object") throw new TypeError(`${op}: options must be an object, got ${describe(opts)}`);
  const ms = (name: keyof ShutdownOptions, dflt: number | undefined): number | undefined => {
    const v = opts[name];
    if (v === undefined) return dflt;
    if (typeof v !== "number") throw new TypeError(`${op}: ${name} must be a number, got ${describe(v)}`);
    if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${op}: ${name} must be a finite number >= 0, got ${describe(v)}`);
    return v;
  };
  const status = opts.replyStatus ?? SHUTDOWN_DEFAULTS.replyStatus;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 200 || status > 999) {
    throw new RangeError(`${op}: replyStatus must be an integer in 200..999, got ${describe(status)}`);
  }
  if (opts.serveNewRequests !== undefined && typeof opts.serveNewRequests !== "boolean") {
    throw new TypeError(`${op}: serveNewRequests must be a boolean, got ${describe(opts.serveNewRequests)}`);
  }
  if (opts.signalName !== undefined && typeof opts.signalName !== "string") {
    throw new TypeError(`${op}: signalName must be a string, got ${describe(opts.signalName)}`);
  }
  if (opts.signal !== undefined && !isAbortSignal(opts.signal)) {
    throw new TypeError(`${op}: signal must be an AbortSignal (the signal name moved to signalName), got ${describe(opts.signal)}`);
  }
  return {
    timeoutMs: ms("timeoutMs", SHUTDOWN_DEFAULTS.timeoutMs)!,
    readinessDelayMs: ms("readinessDelayMs", SHUTDOWN_DEFAULTS.readinessDelayMs)!,
    replyStatus: status,
    serveNewRequests: opts.serveNewRequests ?? (opts.replyStatus === undefined && SHUTDOWN_DEFAULTS.serveNewRequests),
    idleGraceMs: ms("idleGraceMs", undefined),
    signal: opts.signalName,
    abort: opts.signal,
  };
}

/** @internal Duck-typed (AbortSignal from another realm or polyfill works too). */
export function isAbortSignal(v: unknown): v is AbortSignal {
  return typeof v === "object" && v !== null && typeof (v as AbortSignal).aborted === "boolean" &&
    typeof (v as AbortSignal).addEventListener === "function";
}

/**
 * Manager.shutdown(): see the header of this file. Idempotent: every call
 * returns the same promise. On a closed manager it resolves at once.
 */
export function shutdownManager(mgr: Manager, opts?: ShutdownOptions): Promise<ShutdownReport> {
  const o = checkShutdownOptions(opts);
  const st = shutdownState(mgr);
  if (st.promise) return st.promise;
  if (mgr.closed) {
    st.promise = Promise.resolve(closedReport(st, o.signal));
  } else {
    st.promise = orchestrate(mgr, st, o);
    const abort = o.abort;
    if (abort) {
      const onAbort = (): void => void forceShutdown(mgr);
      if (abort.aborted) onAbort();
      else {
        abort.addEventListener("abort", onAbort, { once: true });
        void st.promise.then(() => abort.removeEventListener("abort", onAbort));
      }
    }
  }
  return st.promise;
}

/** @internal Second signal: force-close now (starting a shutdown first if none runs). */
export function forceShutdown(mgr: Manager): Promise<ShutdownReport> {
  const st = shutdownState(mgr);
  const p = st.promise ?? shutdownManager(mgr);
  st.forceRequested = true;
  st.wake?.();
  return p;
}

/** Manager.onShutdown(): hooks run once, in registration order, right after the listeners close. */
export function addShutdownHook(mgr: Manager, hook: ShutdownHook): void {
  if (typeof hook !== "function") throw new TypeError(`onShutdown: hook must be a function, got ${describe(hook)}`);
  if (mgr.closed) throw new ManagerClosedError("onShutdown");
  const st = shutdownState(mgr);
  st.hooks.push(hook);
  // Registered while shutdown runs and its hooks are already through: run it now.
  if (st.hooksStarted && !st.hooksActive) void runHooks(mgr, st);
}

/**
 * @internal Called by Manager.close() before it closes: when run() or
 * shutdown() is watching and someone else closes the manager, remember what
 * was still open (the report lists it as forced) and the core's counters.
 */
export function noteClose(mgr: Manager): void {
  const st = states.get(mgr);
  if (!st || st.selfClosing || st.closedFrom || mgr.closed) return;
  if (!st.shuttingDown && !st.running) return;
  st.closedFrom = { forced: forcedList(mgr), counters: counters(mgr) };
}

/** @internal The report of a manager closed without (or before the end of) a graceful shutdown. */
export function closedReport(st: ShutdownState, signal?: string): ShutdownReport {
  return { ...(signal !== undefined ? { signal } : {}), durationMs: 0, completed: 0, rejected: 0, drained: 0, forced: st.closedFrom?.forced ?? [] };
}

async function orchestrate(mgr: Manager, st: ShutdownState, o: ResolvedShutdownOptions): Promise<ShutdownReport> {
  const t0 = now();
  const deadline = t0 + o.timeoutMs;
  st.shuttingDown = true;
  st.signal = o.signal;
  // Works from a poll-loop program too: from here on the manager drives itself.
  mgr.setAutoDrive(true);
  let outcome: Outcome = "done";
  if (o.readinessDelayMs > 0) {
    // Still serving normally; only mgr.ready has changed.
    outcome = await waitFor(mgr, st, () => false, Math.min(deadline, t0 + o.readinessDelayMs));
  }
  const base = counters(mgr);
  if (outcome === "done" || outcome === "deadline") {
    stopAccepting(mgr, o);
    // The flush that closes the listeners is a queued microtask (or ends the
    // handler call this shutdown() came from): hooks start after it.
    await Promise.resolve();
    void runHooks(mgr, st);
    outcome = await waitFor(mgr, st, () => !st.hooksActive && drained(mgr), deadline);
  } else if (!st.hooksStarted) {
    void runHooks(mgr, st); // forced before the listeners closed: hooks still get their call
  }
  let forced: ForcedConnection[] = [];
  let end = base;
  if (outcome === "closed") {
    forced = st.closedFrom?.forced ?? [];
    end = st.closedFrom?.counters ?? base;
  } else {
    if (outcome !== "done") forced = forcedList(mgr);
    end = counters(mgr);
    st.selfClosing = true;
    mgr.close();
  }
  return {
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
    durationMs: Math.round(now() - t0),
    completed: end.completed - base.completed,
    rejected: end.rejected - base.rejected,
    drained: end.drained - base.drained,
    forced,
  };
}

/** Protocol modules' shutdown steps, run right after the listeners close (MQTT clients send DISCONNECT). */
export const shutdownProtocolHooks: ((mgr: Manager) => void)[] = [];

/** Steps 2 and 3: close the listeners, then put the core in shutdown mode. */
function stopAccepting(mgr: Manager, o: ResolvedShutdownOptions): void {
  if (mgr._ptr === 0) return;
  // The listeners' sockets close at the flush that ends this entry, before
  // Node can deliver any further socket activity.
  mgr._enter();
  try {
    for (const conn of mgr.connections) if (conn.isListening) conn.close();
    protocols.ws?.wsShutdown(mgr); // close 1001 to every open WebSocket; each closes when its peer answers
    const k = core();
    k.mgx_shutdown(mgr._ptr, o.serveNewRequests ? SHUTDOWN_SERVE : o.replyStatus);
    k.mgx_shutdown_idle(mgr._ptr, o.idleGraceMs ?? (mgr.limits.idleTimeoutMs || FALLBACK_IDLE_GRACE_MS));
    for (const hook of shutdownProtocolHooks) hook(mgr);
  } finally {
    mgr._leave(true);
  }
}

/** Run the hooks not run yet, one at a time; errors go to the errorHandler. */
async function runHooks(mgr: Manager, st: ShutdownState): Promise<void> {
  if (st.hooksActive) return;
  st.hooksStarted = true;
  st.hooksActive = true;
  try {
    while (st.nextHook < st.hooks.length) {
      const hook = st.hooks[st.nextHook++];
      try {
        await hook(st.signal);
      } catch (err) {
        mgr._reportError(err);
      }
    }
  } finally {
    st.hooksActive = false;
    st.wake?.();
  }
}

/** No accepted connection left and no handler promise pending. */
function drained(mgr: Manager): boolean {
  for (const conn of mgr._conns.values()) if (conn.isAccepted) return false;
  return mgr._pendingHandlers === 0;
}

/** Resolve once `cond()` holds, or at `deadline`, on a force request, or when the manager closes. */
function waitFor(mgr: Manager, st: ShutdownState, cond: () => boolean, deadline: number): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      if (st.wake === check) st.wake = undefined;
      resolve(outcome);
    };
    const check = (): void => {
      if (mgr.closed) finish("closed");
      else if (st.forceRequested) finish("forced");
      else if (cond()) finish("done");
      else if (now() >= deadline) finish("deadline");
    };
    const unsubscribe = mgr._observe({ tick: check, settled: check, connectionClosed: check, closed: check });
    st.wake = check;
    // Timers may fire a fraction of a millisecond early: the timer itself is the deadline.
    timer = setTimeout(() => {
      check();
      finish("deadline");
    }, Math.max(0, deadline - now()));
    check();
  });
}

function counters(mgr: Manager): Counters {
  const c = coreCounters(mgr._ptr);
  return { completed: c.completed, rejected: c.rejected, drained: c.drained };
}

function connKind(conn: Connection): ForcedConnection["kind"] {
  if (conn.isWebsocket) return "ws";
  if (conn._udp) return "udp";
  if (conn._http) return "http";
  return core().mgx_mqtt_version(conn._ptr) ? "mqtt" : "raw";
}

/** Every connection still open but the listeners, with how long it has been busy. */
function forcedList(mgr: Manager): ForcedConnection[] {
  const t = now();
  const out: ForcedConnection[] = [];
  for (const conn of mgr._conns.values()) {
    if (conn.isListening || conn.closed) continue;
    const starts = [conn._requestStartedMs, conn._busySince].filter((x) => x > 0);
    let uri = conn._requestUri;
    // Bytes still to go out: the core's buffer and what the host took but has not written.
    const queuedBytes = conn.sendLen + (mgr._network.queuedBytes?.(conn.id) ?? 0);
    const last = conn._http && !conn.isWebsocket ? conn._lastRequest : undefined;
    // An answered request whose response is still flushing (a download) is
    // busy since that request: name it rather than report an idle connection.
    if (uri === undefined && last !== undefined && queuedBytes > 0) {
      uri = last.uri;
      if (last.startedMs > 0) starts.push(last.startedMs);
    }
    const since = starts.length > 0 ? Math.min(...starts) : 0;
    const method = uri !== undefined && last?.uri === uri ? last.method : undefined;
    out.push({
      id: conn.id, kind: connKind(conn), busyMs: since > 0 ? Math.max(0, Math.round(t - since)) : 0, queuedBytes,
      ...(uri !== undefined ? { uri } : {}), ...(method !== undefined ? { method } : {}),
    });
  }
  return out;
}
