// engine.ts: the machinery under Manager: the queue of socket activity and
// flushing. Events reach handlers through dispatch.ts; when to drive (poll
// waiters, auto-drive, the wake timer) is driver.ts. Manager (manager.ts)
// adds the public API on top.
//
// Driving model (DESIGN.md "Driving the loop in Node"): socket activity is
// processed the moment the Network reports it while the manager is *driven*
// (a poll() is pending, or auto-drive is on), and queued in arrival order
// otherwise. "depth" counts nested entries into the core; every entry ends
// with a flush, so only a Connection method called outside any entry (after
// an await, from a JS timer, from another manager) schedules its own flush,
// as a microtask.
//
// Internal hooks for run()/shutdown()/AsyncManager (extensions.ts installs them):
//   mgr.setAutoDrive(on, { tickMs })  drive without poll() calls (tick = mgx_poll)
//   mgr.driven / mgr.autoDrive        whether activity is processed as it arrives
//   mgr._observe({ tick, settled, connectionClosed, closed })  -> unsubscribe
//   mgr.connections, mgr._pendingHandlers, mgr._queuedItems, coreCounters(mgr._ptr) (core.ts)
//   conn._busy, conn._pendingHandlers, conn._busySince, conn._requestPending,
//   conn._responseStarted, conn._requestStartedMs, conn._requestUri
//   mgr._ptr + core().mgx_shutdown(ptr, status)  (503 for new requests)
import { RangeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { core } from "./loader";
import { toScratch } from "./core";
import { areaBytes, feed, offerReadArea, recvArea, retryBacklog, withdrawReadArea } from "./inbox";
import { connectionById, timersById, unregisterConnection } from "./registry";
import { Driver } from "./driver";
import { Observers, type ManagerObserver } from "./observers";
import { noteUndriven } from "../lifecycle/undriven";
import { bodyWritable, cancelBody, tlsOnAccept, tlsOnAccepted, tlsOnConnect, udpDeliver } from "./engine-steps";
import type { Connection, Handler } from "./connection";
import type { Manager } from "./manager";
import type { Address, Network, NetworkEvents } from "../../shim/network";
import type { Timer } from "./timer";

/** Reports a handler/timer error; never throws (errors it throws are logged). */
export type ErrorHandler = (err: unknown, conn?: Connection) => void;

// Queue item kinds.
const Q_OPEN = 0, Q_DATA = 1, Q_EOF = 2, Q_ERROR = 3, Q_RESOLVED = 4, Q_CONNECTED = 5, Q_WRITABLE = 6, Q_TLS_HS = 7;
/** A queue item whose input was taken back (_takeQueuedInput): skipped. */
const Q_TAKEN = -1;
interface QueueItem { kind: number; conn: Connection; chunk?: Uint8Array; err?: Error; from?: Address }

// OPEN -> CLOSING (close() requested inside a core entry) -> FREEING (mgx_mgr_free running) -> CLOSED.
const STATE_OPEN = 0, STATE_CLOSING = 1, STATE_FREEING = 2, STATE_CLOSED = 3;

/** Internal base class of Manager. Members are internal unless documented otherwise. */
export abstract class Engine {
  /** @internal Core mg_mgr pointer (0 once closed). */
  _ptr: number;
  /** @internal The socket layer. */
  readonly _network: Network;
  /** @internal Connections of this manager in creation order. */
  readonly _conns = new Map<number, Connection>();
  /** @internal Active timers. */
  readonly _timers = new Set<Timer>();
  /** @internal Nesting depth of entries into the core. */
  _depth = 0;
  /** @internal Events delivered so far (handler calls + timer callbacks). */
  _eventCount = 0;
  /** @internal Handler promises of all connections not yet settled. */
  _pendingHandlers = 0;
  /** @internal Queue byte count over which a connection's socket is paused. */
  _queueLimit: number;
  /** The manager-wide handler (connections without their own use it). */
  handler: Handler | undefined;

  protected _state = STATE_OPEN;
  readonly #errorHandler: ErrorHandler | undefined;
  readonly #events: NetworkEvents;
  #queue: QueueItem[] = [];
  #qHead = 0;
  readonly #blocked = new Set<Connection>();
  #needFlush = false;
  #flushQueued = false;
  readonly #driver: Driver = new Driver(this);
  readonly #observers = new Observers((err, conn) => this._reportError(err, conn));
  readonly #onMicrotask = (): void => this.#microtaskFlush();

  protected constructor(ptr: number, network: Network, handler: Handler | undefined,
    errorHandler: ErrorHandler | undefined, queueLimit: number) {
    this._ptr = ptr;
    this._network = network;
    this.handler = handler;
    this.#errorHandler = errorHandler;
    this._queueLimit = queueLimit;
    this.#events = {
      accepted: (lid, socket) => this.#accepted(lid, socket),
      resolved: (id) => this.#push(Q_RESOLVED, id),
      connected: (id) => this.#push(Q_CONNECTED, id),
      data: (id, chunk, from) => this.#push(Q_DATA, id, chunk, undefined, from),
      dataAt: (id, n) => this.#pushArea(id, n),
      writable: (id) => this.#push(Q_WRITABLE, id),
      ended: (id) => this.#push(Q_EOF, id),
      error: (id, err) => this.#push(Q_ERROR, id, undefined, err),
      tlsReady: (id) => this.#push(Q_TLS_HS, id),
    };
    offerReadArea(network);
  }

  /** @internal The NetworkEvents this manager hands to its Network. */
  get _networkEvents(): NetworkEvents {
    return this.#events;
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this._state !== STATE_OPEN;
  }

  /** Whether socket activity is processed as it arrives (a poll is pending or auto-drive is on). */
  get driven(): boolean {
    return this.#driver.driven;
  }

  // ---- entries into the core ---------------------------------------------

  /** @internal Enter the core (nesting-aware). */
  _enter(): void {
    this._depth++;
  }

  /** @internal Leave the core; `dirty`: output may be pending, make sure a flush follows. */
  _leave(dirty: boolean): void {
    if (dirty) this.#needFlush = true;
    if (--this._depth > 0) return;
    if (this._state === STATE_CLOSING) {
      this._finishClose();
      return;
    }
    if (this._state !== STATE_OPEN) return;
    if ((this.#needFlush || (this.#driver.driven && this.#qHead < this.#queue.length)) && !this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(this.#onMicrotask);
    }
  }

  #microtaskFlush(): void {
    this.#flushQueued = false;
    if (this._state !== STATE_OPEN || this._depth > 0) return;
    if (this.#driver.driven && this.#qHead < this.#queue.length) {
      this.#runQueue();
      return;
    }
    this._enter();
    try {
      this.#flushRound();
    } finally {
      this._leave(false);
    }
  }

  /** Flush the core (host_send/close, MG_EV_CLOSE), then retry input the core could not take. */
  #flushRound(): void {
    const c = core();
    for (let round = 0; round < 32; round++) {
      this.#needFlush = false;
      c.mgx_flush(this._ptr);
      if (this._state !== STATE_OPEN) return;
      if (this.#blocked.size > 0 && this.#retryBlocked()) this.#needFlush = true;
      if (!this.#needFlush) return;
    }
  }

  // ---- socket activity -----------------------------------------------------

  #accepted(listenerId: number, socket: unknown): number {
    if (this._state !== STATE_OPEN) return 0;
    const parent = this._conns.get(listenerId);
    if (!parent || parent._ptr === 0) return 0;
    const ptr = core().mgx_conn_new(this._ptr, 2 /* KIND_ACCEPTED */, parent._http ? 1 : 0, parent._ptr);
    if (!ptr) return 0; // limits.maxConnections reached: the network refuses the socket
    const conn = this._newConnection(ptr, "accepted", parent._http, parent._handler);
    conn._protoHook = parent._protoHook; // a protocol listener's bookkeeping (MQTT broker side)
    try {
      this._network.adopt(conn.id, socket);
    } catch (err) {
      // Not adopted: the network closes the socket (0), the core closes the connection.
      this.#push(Q_OPEN, conn.id);
      this.#push(Q_ERROR, conn.id, undefined, err as Error);
      return 0;
    }
    let tlsFailed: Error | undefined;
    try {
      tlsOnAccept(parent, conn); // a TLS listener: before any byte is read
    } catch (err) {
      this._reportError(err, conn);
      tlsFailed = err as Error; // never plaintext on a TLS listener: the connection fails
    }
    this.#learnAddresses(conn);
    this.#push(Q_OPEN, conn.id);
    if (tlsFailed !== undefined) this.#push(Q_ERROR, conn.id, undefined, tlsFailed);
    return conn.id;
  }

  /** @internal Create and register the Connection object for a fresh core connection. */
  abstract _newConnection(ptr: number, role: "listening" | "client" | "accepted", http: boolean,
    handler: Handler | undefined): Connection;

  /** Whether activity can go into the core at once (driven, not nested, nothing queued before it). */
  #atOnce(): boolean {
    return this.#driver.driven && this._depth === 0 && this.#qHead === this.#queue.length;
  }

  #push(kind: number, id: number, chunk?: Uint8Array, err?: Error, from?: Address): void {
    if (this._state !== STATE_OPEN) return;
    // Through the registry: its hot entry then answers the host calls this
    // activity causes (events, host_send) without another map lookup.
    const conn = connectionById(id);
    if (conn === undefined || conn._ptr === 0 || (conn.manager as Engine) !== this) return;
    const driver = this.#driver;
    if (this.#atOnce()) {
      this._depth++;
      try {
        this.#process(kind, conn, chunk, err, false, from);
        this.#flushRound();
      } finally {
        this._leave(false);
      }
      if (driver.hasWaiters) driver.wakeSoon();
      return;
    }
    if (chunk) {
      chunk = new Uint8Array(chunk); // a copy: the network may reuse its buffer (Buffer#slice is a view)
      conn._queuedBytes += chunk.length;
      this.#updatePause(conn);
    }
    this.#queue.push({ kind, conn, chunk, err, from });
    if (!driver.driven && kind === Q_OPEN) noteUndriven(this as unknown as Manager);
    if (driver.driven && this._depth === 0) this.#runQueue();
  }

  /** `n` bytes a socket read straight into the core's read area: delivered and flushed in one core call. */
  #pushArea(id: number, n: number): void {
    const conn = connectionById(id);
    if (this._state !== STATE_OPEN || conn === undefined || conn._ptr === 0 || (conn.manager as Engine) !== this ||
        conn._udp || conn._backlog.length > 0 || !this.#atOnce()) {
      this.#push(Q_DATA, id, areaBytes(n)); // a copy: the next read reuses the area
      return;
    }
    this._depth++;
    try {
      const r = recvArea(conn, n); // bytes it could not take wait in conn._backlog
      if (conn._backlog.length > 0) {
        this.#blocked.add(conn);
        this.#updatePause(conn);
      }
      if ((r & 1) !== 0 || this.#blocked.size > 0) this.#flushRound(); // still dirty, or input waits
      else this.#needFlush = false; // the core flushed after the handlers ran
    } finally {
      this._leave(false);
    }
    if (this.#driver.hasWaiters) this.#driver.wakeSoon();
  }

  #runQueue(): void {
    if (this._state !== STATE_OPEN || this._depth > 0) return;
    this._enter();
    try {
      do {
        this.#drainQueue();
        this.#flushRound();
      } while (this._state === STATE_OPEN && this.#qHead < this.#queue.length);
    } finally {
      this._leave(false);
    }
    if (this.#driver.hasWaiters) this.#driver.wakeSoon();
  }

  #drainQueue(): void {
    const q = this.#queue;
    while (this.#qHead < q.length && this._state === STATE_OPEN) {
      const item = q[this.#qHead];
      q[this.#qHead++] = undefined as unknown as QueueItem;
      if (item.chunk) {
        item.conn._queuedBytes -= item.chunk.length;
        this.#updatePause(item.conn);
      }
      this.#process(item.kind, item.conn, item.chunk, item.err, true, item.from);
    }
    if (this.#qHead >= q.length) {
      this.#queue = [];
      this.#qHead = 0;
    }
  }

  /**
   * @internal Take back the input queued for `conn` and not yet given to the
   * core (TLS starts: those bytes belong to the handshake).
   */
  _takeQueuedInput(conn: Connection): Uint8Array[] {
    const out: Uint8Array[] = [];
    const q = this.#queue;
    for (let i = this.#qHead; i < q.length; i++) {
      const item = q[i];
      if (item.conn !== conn || item.kind !== Q_DATA || item.chunk === undefined) continue;
      out.push(item.chunk);
      conn._queuedBytes -= item.chunk.length;
      item.kind = Q_TAKEN;
      item.chunk = undefined;
    }
    if (out.length > 0) this.#updatePause(conn);
    return out;
  }

  /** @internal Number of queued activity items (not yet given to the core). */
  get _queuedItems(): number {
    return this.#queue.length - this.#qHead;
  }

  #process(kind: number, conn: Connection, chunk: Uint8Array | undefined, err: Error | undefined, owned: boolean,
    from?: Address): void {
    const c = conn._ptr;
    if (c === 0) return;
    const k = core();
    switch (kind) {
      case Q_OPEN:
        k.mgx_open(c);
        tlsOnAccepted(conn); // a TLS URL: no TLS by now, no plaintext either
        break;
      case Q_DATA:
        if (conn._udp) udpDeliver(conn, chunk!, from); // one datagram: all or nothing
        else this.#deliver(conn, chunk!, owned);
        break;
      case Q_EOF:
        if (conn._backlog.length > 0) conn._eofPending = true;
        else k.mgx_eof(c);
        break;
      case Q_ERROR: {
        conn._hostError = err;
        const [p, n] = toScratch(err?.message || String(err));
        k.mgx_error(c, p, n);
        break;
      }
      case Q_RESOLVED: k.mgx_resolved(c); break;
      case Q_CONNECTED:
        this.#learnAddresses(conn);
        k.mgx_connected(c);
        tlsOnConnect(conn);
        break;
      case Q_TLS_HS: k.mgx_tls_hs(c); break;
      case Q_WRITABLE: if (!bodyWritable(conn.id)) k.mgx_writable(c); break;
    }
  }

  /** Give `chunk` to the core; what it cannot take waits in the backlog (socket paused). */
  #deliver(conn: Connection, chunk: Uint8Array, owned: boolean): void {
    if (conn._backlog.length === 0) {
      const off = feed(conn, chunk);
      if (off === chunk.length) return;
      chunk = chunk.subarray(off);
    }
    conn._backlog.push(owned ? chunk : new Uint8Array(chunk)); // a copy, not Buffer#slice's view
    this.#blocked.add(conn);
    this.#updatePause(conn);
  }

  /** Retry backlogged input after a flush; true if any bytes went in. */
  #retryBlocked(): boolean {
    let progress = false;
    for (const conn of [...this.#blocked]) {
      const [moved, empty] = conn._ptr === 0 ? [false, true] : retryBacklog(conn);
      if (moved) progress = true;
      if (empty) {
        this.#blocked.delete(conn);
        this.#updatePause(conn);
      }
    }
    return progress;
  }

  /** Remember a socket's addresses while it exists, so they stay known after close. */
  #learnAddresses(conn: Connection): void {
    try {
      conn._local ??= this._network.localAddr(conn.id);
      conn._remote ??= this._network.remoteAddr(conn.id);
    } catch {
      // not known yet: read lazily
    }
  }

  #updatePause(conn: Connection): void {
    const want = conn._backlog.length > 0 || conn._queuedBytes > this._queueLimit;
    if (want === conn._paused || conn._ptr === 0) return;
    conn._paused = want;
    try {
      this._network.pause(conn.id, want);
    } catch (err) {
      this.#push(Q_ERROR, conn.id, undefined, err as Error); // the network failed this socket
    }
  }

  // ---- events to handlers (dispatch.ts) -------------------------------------------

  /** @internal A handler promise of `conn` settled (dispatch.ts): observers hear of it. */
  _handlerSettled(conn: Connection): void {
    this.#observers.notify("settled", conn);
  }

  /** @internal Report a handler/timer error to the errorHandler (default: console.error). */
  _reportError(err: unknown, conn?: Connection): void {
    try {
      if (this.#errorHandler) this.#errorHandler(err, conn);
      else console.error(`tsmongoose: handler error${conn ? ` on connection ${conn.id}` : ""}:`, err);
    } catch (err2) {
      console.error("tsmongoose: errorHandler threw:", err2, "while reporting:", err);
    }
  }

  /** @internal The connection is gone (after MG_EV_CLOSE or manager close): drop every reference. */
  _forget(conn: Connection): void {
    if (conn._ptr === 0) return;
    conn._ptr = 0;
    conn._backlog = [];
    cancelBody(conn.id);
    unregisterConnection(conn.id);
    this._conns.delete(conn.id);
    this.#blocked.delete(conn);
    if (!conn._socketClosed) {
      conn._socketClosed = true;
      try {
        this._network.close(conn.id, false);
      } catch {
        // the network already forgot it
      }
    }
    this.#observers.notify("connectionClosed", conn);
  }

  // ---- timers ------------------------------------------------------------------

  /** @internal Timer.cancel(). */
  _timerCancelled(t: Timer): void {
    timersById.delete(t.id);
    this._timers.delete(t);
    // While freeing, mgx_mgr_free releases every timer itself.
    if ((this._state === STATE_OPEN || this._state === STATE_CLOSING) && this._ptr !== 0) {
      core().mgx_timer_cancel(this._ptr, t.id);
    }
  }

  /** @internal A one-shot timer fired (the core frees it). */
  _timerDone(t: Timer): void {
    timersById.delete(t.id);
    this._timers.delete(t);
  }

  // ---- driving (when: driver.ts) ---------------------------------------------------

  /** Shared body of poll(): see Manager.poll. */
  protected _poll(timeoutMs: number): Promise<number> {
    return new Promise<number>((resolve) => {
      const driver = this.#driver;
      driver.addWaiter(resolve, timeoutMs);
      const hadWork = this.#qHead < this.#queue.length;
      if (hadWork) this.#runQueue();
      if (hadWork || timeoutMs === 0 || core().mgx_timer_next(this._ptr) === 0) driver.wakeSoon();
      else driver.arm();
    });
  }

  /**
   * @internal Auto-drive: process socket activity as it arrives and run
   * timers/MG_EV_POLL/timeouts every `tickMs` (default 100) or when a timer
   * is due, with no poll() calls. run()/AsyncManager build on this. While on,
   * the wake timer keeps the process alive.
   */
  setAutoDrive(on: boolean, opts: { tickMs?: number } = {}): void {
    if (this._state !== STATE_OPEN) return;
    if (opts.tickMs !== undefined) {
      if (typeof opts.tickMs !== "number" || !(opts.tickMs > 0) || !Number.isFinite(opts.tickMs)) {
        throw new RangeError(`tickMs must be a positive number, got ${String(opts.tickMs)}`);
      }
    }
    this.#driver.setAuto(on, opts.tickMs);
    if (on) {
      if (this._depth === 0) this.#runQueue();
      this.#driver.arm();
    }
  }

  /** Whether auto-drive is on (see setAutoDrive). */
  get autoDrive(): boolean {
    return this.#driver.autoDrive;
  }

  /** @internal Keep one JS timer armed for the earliest of: poll deadlines, next core timer, auto tick. */
  _arm(): void {
    if (this._state === STATE_OPEN) this.#driver.arm();
  }

  /** @internal One drive step (Driver): queued activity, mgx_poll (timers, MG_EV_POLL, timeouts), flush. */
  _driveStep(): void {
    this._enter();
    try {
      this.#drainQueue();
      if (this._state === STATE_OPEN) core().mgx_poll(this._ptr);
      if (this._state === STATE_OPEN) this.#flushRound();
    } finally {
      this._leave(false);
    }
  }

  /** @internal A drive step finished. */
  _driveTicked(): void {
    this.#observers.notify("tick");
  }

  // ---- closing ---------------------------------------------------------------------

  /** Shared body of close(): immediate unless inside a core entry (then at its end). */
  protected _close(): void {
    if (this._state !== STATE_OPEN) return;
    this._state = STATE_CLOSING;
    if (this._depth === 0) this._finishClose();
  }

  /** @internal Free everything: force-close sockets, mgx_mgr_free (MG_EV_CLOSE for each). */
  _finishClose(): void {
    if (this._state !== STATE_CLOSING) return;
    this._state = STATE_FREEING;
    this.#driver.clear();
    for (const conn of this._conns.values()) {
      try {
        this._network.close(conn.id, true);
      } catch {
        // keep closing the rest
      }
      conn._socketClosed = true;
    }
    this._depth++;
    try {
      core().mgx_mgr_free(this._ptr);
    } finally {
      this._depth--;
    }
    for (const conn of [...this._conns.values()]) this._forget(conn);
    for (const t of this._timers) {
      t._kill();
      timersById.delete(t.id);
    }
    this._timers.clear();
    this.#queue = [];
    this.#qHead = 0;
    this.#blocked.clear();
    withdrawReadArea(this._network);
    this._ptr = 0;
    this._state = STATE_CLOSED;
    this.#driver.resolveWaiters();
    this.#observers.notify("closed");
  }

  // ---- observers ---------------------------------------------------------------------

  /** @internal Watch ticks, settled handler promises, closed connections and close; returns an unsubscribe. */
  _observe(o: ManagerObserver): () => void {
    return this.#observers.add(o);
  }
}
