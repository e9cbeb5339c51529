// undriven.ts: a Manager with listeners that nobody drives (no poll(), no
// run(), no AsyncManager) accepts connections and never answers them. Say so
// once, loudly, when accepted connections have waited undriven for a moment.
import type { Manager } from "../core/manager";

/** How long accepted connections may wait undriven before the warning, ms. */
export const UNDRIVEN_WARNING_MS = 1000;

const watched = new WeakSet<Manager>();
let warned = false;

function emit(message: string): void {
  const p = (globalThis as { process?: { emitWarning?(msg: string, opts: { type: string; code: string }): void } }).process;
  if (p && typeof p.emitWarning === "function") p.emitWarning(message, { type: "TsMongooseWarning", code: "TSMONGOOSE_UNDRIVEN" });
  else console.warn(`TsMongooseWarning: ${message}`);
}

/** @internal An accepted connection was queued while `mgr` is not driven. */
export function noteUndriven(mgr: Manager): void {
  if (warned || watched.has(mgr)) return;
  watched.add(mgr);
  const t = setTimeout(() => {
    watched.delete(mgr);
    if (warned || mgr.closed || mgr.driven || mgr._queuedItems === 0) return;
    warned = true;
    emit(`a tsmongoose Manager has accepted connections waiting for ${UNDRIVEN_WARNING_MS} ms ` +
      "but nothing drives it, so they get no answer: call `await mgr.run()`, loop on " +
      "`await mgr.poll(100)`, or use an AsyncManager");
  }, UNDRIVEN_WARNING_MS);
  (t as { unref?: () => void }).unref?.();
}
