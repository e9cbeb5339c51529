// signal-press.ts: the one rule run() and runCluster()'s primary use to tell
// a deliberate second Ctrl+C from the same press delivered twice.
//
// Ctrl+C in a terminal sends SIGINT to the whole foreground process group:
// node gets it from the terminal, and a runner in the same group (npm start,
// yarn, pnpm, node --run) forwards its own copy to node once more, a few ms
// later. Wrappers such as concurrently translate it into SIGTERM for their
// children while the terminal's SIGINT reaches them too. Counting each
// delivery as a press turns one Ctrl+C into "force" and cuts the requests in
// flight. So: a press starts with a handled signal; every handled signal
// (the same one or another) within `windowMs` after that start belongs to
// it; the first one later starts the next press, which forces. The window
// is anchored at the press's first signal, not slid by the repeats, so
// pressing Ctrl+C again and again still forces after `windowMs`.
//
// Signals are seen when the event loop runs the handler: two deliberate
// presses made while a synchronous handler held the loop arrive together
// and count as one.
import { RangeError, TypeError, describe } from "../core/errors";

/** @internal Default of run()'s and runCluster()'s `signalWindowMs`: repeats of a signal within it are the same press, ms. */
export const SIGNAL_WINDOW_MS = 1000;

/** @internal Validate a `signalWindowMs` option (an integer >= 0; 0: every signal is a press of its own). */
export function checkSignalWindow(op: string, v: unknown): number {
  if (v === undefined) return SIGNAL_WINDOW_MS;
  if (typeof v !== "number") throw new TypeError(`${op}: signalWindowMs must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${op}: signalWindowMs must be an integer >= 0, got ${describe(v)}`);
  return v;
}

/**
 * @internal A press counter: call the returned function for every handled
 * signal; it returns true when the signal starts a new press, false when it
 * repeats the current one (within `windowMs` of the press's first signal).
 */
export function signalPresses(windowMs: number, now: () => number = () => performance.now()): () => boolean {
  let pressedAt: number | undefined;
  return () => {
    const t = now();
    if (pressedAt !== undefined && t - pressedAt < windowMs) return false;
    pressedAt = t;
    return true;
  };
}
