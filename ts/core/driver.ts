// driver.ts: when a manager's core work runs without anyone calling into it:
// pending poll() calls, auto-drive (run(), AsyncManager), and the one JS
// timer (or setImmediate) that wakes the manager for the next poll deadline,
// core timer or auto-drive tick. The Engine owns one Driver and does the
// work of each step (_driveStep); the Driver only decides when.
import { core } from "./loader";

// The global is an accessor: read it once, not on every clock read (a slow global load in optimized code).
const perf = globalThis.performance;

/** The side of an Engine a Driver needs. */
export interface Drivable {
  /** Core mg_mgr pointer. */
  readonly _ptr: number;
  /** Events delivered so far (poll() resolves with the difference). */
  readonly _eventCount: number;
  /** Whether close() was called. */
  readonly closed: boolean;
  /** One drive step: queued activity, mgx_poll (timers, MG_EV_POLL, timeouts), flush. */
  _driveStep(): void;
  /** A drive step finished (observers' tick). */
  _driveTicked(): void;
}

interface PollWaiter { resolve(n: number): void; start: number; deadline: number }

const setImmediateFn: (fn: () => void) => unknown = typeof setImmediate === "function"
  ? (fn) => setImmediate(fn)
  : (fn) => setTimeout(fn, 0);
/** Monotonic milliseconds. */
export const now = (): number => perf.now();

/** @internal The driving state of one Engine. */
export class Driver {
  /** Whether socket activity is processed as it arrives (auto-drive on, or a poll pending). */
  driven = false;
  readonly #target: Drivable;
  #waiters: PollWaiter[] = [];
  #autoDrive = false;
  #autoTickMs = 100;
  #lastTick = now();
  #wakeTimer: ReturnType<typeof setTimeout> | undefined;
  #wakeAt = Infinity;
  #immediate = false;
  readonly #onImmediate = (): void => {
    this.#immediate = false;
    this.#tick();
  };
  readonly #onWakeTimer = (): void => {
    this.#wakeTimer = undefined;
    this.#wakeAt = Infinity;
    this.#tick();
  };

  /** One per Engine, created with it. */
  constructor(target: Drivable) {
    this.#target = target;
  }

  /** Whether auto-drive is on. */
  get autoDrive(): boolean {
    return this.#autoDrive;
  }

  /** Whether a poll() is pending. */
  get hasWaiters(): boolean {
    return this.#waiters.length > 0;
  }

  /** A poll(timeoutMs) starts waiting; `resolve` gets the events delivered until it ends. */
  addWaiter(resolve: (n: number) => void, timeoutMs: number): void {
    this.#waiters.push({ resolve, start: this.#target._eventCount, deadline: now() + timeoutMs });
    this.driven = true;
  }

  /** Switch auto-drive; `tickMs` (validated by the caller) changes the tick period. */
  setAuto(on: boolean, tickMs: number | undefined): void {
    if (tickMs !== undefined) this.#autoTickMs = tickMs;
    this.#autoDrive = on;
    this.driven = on || this.#waiters.length > 0;
    if (on) this.#lastTick = now();
    else if (this.#waiters.length === 0) this.clear();
  }

  /** Run a drive step at the next turn of the event loop (once, however often asked). */
  wakeSoon(): void {
    if (this.#immediate) return;
    this.#immediate = true;
    setImmediateFn(this.#onImmediate);
  }

  /** Disarm the wake timer. */
  clear(): void {
    if (this.#wakeTimer !== undefined) clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    this.#wakeAt = Infinity;
  }

  /** Keep one JS timer armed for the earliest of: poll deadlines, next core timer, auto tick. */
  arm(): void {
    const target = this.#target;
    if (target.closed) return;
    if (!this.driven) {
      this.clear();
      return;
    }
    const t = now();
    let at = Infinity;
    for (const w of this.#waiters) at = Math.min(at, w.deadline);
    const next = core().mgx_timer_next(target._ptr);
    if (next >= 0) at = Math.min(at, t + next);
    if (this.#autoDrive) at = Math.min(at, this.#lastTick + this.#autoTickMs);
    if (at === Infinity) return;
    if (at <= t) {
      this.wakeSoon();
      return;
    }
    if (this.#wakeTimer !== undefined && this.#wakeAt <= at) return;
    this.clear();
    this.#wakeAt = at;
    this.#wakeTimer = setTimeout(this.#onWakeTimer, Math.max(1, Math.ceil(at - t)));
  }

  /** One drive step, then resolve pending polls and re-arm. */
  #tick(): void {
    const target = this.#target;
    if (target.closed) return;
    target._driveStep();
    this.#lastTick = now();
    this.resolveWaiters();
    if (target.closed) return;
    this.arm();
    target._driveTicked();
  }

  /** Resolve every pending poll() with the number of events delivered since it started. */
  resolveWaiters(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    this.driven = this.#autoDrive;
    const count = this.#target._eventCount;
    for (const w of waiters) w.resolve(count - w.start);
  }
}
