// timer.ts: Timer, a handle on a core timer (mgx_timer_add). The core decides
// when it is due (during mgx_poll); host_timer(id) reaches fire() through the
// global registry in dispatch.ts.
import type { Manager } from "./manager";
import { isThenable } from "./event-data";

/** Callback of Manager.timerAdd; a returned promise's rejection goes to the errorHandler, other values are ignored. */
export type TimerCallback = () => unknown;

/** A timer created by `Manager.timerAdd`. */
export class Timer {
  /** Core timer id (unique per process). */
  readonly id: number;
  /** Whether the timer repeats. */
  readonly repeat: boolean;
  #active = true;
  readonly #manager: Manager;
  readonly #callback: TimerCallback;

  /** @internal Created by Manager.timerAdd. */
  constructor(manager: Manager, id: number, repeat: boolean, callback: TimerCallback) {
    this.#manager = manager;
    this.id = id;
    this.repeat = repeat;
    this.#callback = callback;
  }

  /** False once cancelled, once a one-shot timer fired, or once its manager closed. */
  get active(): boolean {
    return this.#active;
  }

  /** Stop the timer. Idempotent; safe inside its own callback. */
  cancel(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#manager._timerCancelled(this);
  }

  /** @internal Run the callback (host_timer). One-shot timers end here. */
  _fire(): void {
    if (!this.#active) return;
    if (!this.repeat) {
      // The core frees one-shot timers right after host_timer returns.
      this.#active = false;
      this.#manager._timerDone(this);
    }
    const m = this.#manager;
    m._eventCount++;
    try {
      const r = this.#callback();
      if (isThenable(r)) Promise.resolve(r).then(undefined, (err: unknown) => m._reportError(err));
    } catch (err) {
      m._reportError(err);
    }
  }

  /** @internal The manager closed: the core freed the timer. */
  _kill(): void {
    this.#active = false;
  }

  /** `Timer(id=1, repeat, active)`. */
  toString(): string {
    return `Timer(id=${this.id}${this.repeat ? ", repeat" : ""}, ${this.#active ? "active" : "inactive"})`;
  }
}
