// timers.test.ts: Manager.timerAdd and Timer, driven by a real poll loop.
// One-shot timers fire once and free themselves, repeat timers repeat,
// runNow fires at once, cancel() is idempotent and safe inside the timer's
// own callback, and nothing fires after close().
import type { Manager } from "tsmongoose";
import { makeManager, backgroundPoll, sleep, waitFor } from "./helpers/server";

let mgr: Manager | undefined;
let loop: ReturnType<typeof backgroundPoll> | undefined;

/** A manager (no listener) with a background `poll(pollMs)` loop. */
async function driven(pollMs = 5): Promise<Manager> {
  mgr = await makeManager();
  loop = backgroundPoll(mgr, pollMs);
  return mgr;
}

afterEach(async () => {
  await loop?.stop();
  mgr?.close();
  mgr = undefined;
  loop = undefined;
});

describe("one-shot timers", () => {
  test("fire once, not early, and are inactive afterwards", async () => {
    const m = await driven();
    const t0 = Date.now();
    const fired: number[] = [];
    const t = m.timerAdd(40, () => { fired.push(Date.now() - t0); });
    expect(t.active).toBe(true);
    await waitFor(() => fired.length > 0, 2000, "timer");
    await sleep(120);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(38);
    expect(fired[0]).toBeLessThan(400);
    expect(t.active).toBe(false);
    // Cancelling a timer that freed itself is a harmless no-op.
    expect(() => t.cancel()).not.toThrow();
    expect(t.active).toBe(false);
  });

  test("several one-shots each fire exactly once", async () => {
    const m = await driven();
    const order: string[] = [];
    m.timerAdd(90, () => { order.push("c"); });
    m.timerAdd(30, () => { order.push("a"); });
    m.timerAdd(60, () => { order.push("b"); });
    await waitFor(() => order.length === 3, 2000, "three timers");
    await sleep(60);
    expect(order.sort()).toEqual(["a", "b", "c"]);
  });

  test("timers that are overdue together still fire in deadline order", async () => {
    // A busy event loop (GC, a slow handler) makes several timers due in one
    // poll; they must still run earliest deadline first, as Node's timers do.
    const m = await driven(50);
    const order: number[] = [];
    for (const ms of [30, 10, 20, 5]) m.timerAdd(ms, () => { order.push(ms); });
    const until = Date.now() + 60;
    while (Date.now() < until) { /* block the event loop: all four become overdue */ }
    await waitFor(() => order.length === 4, 2000, "four timers");
    expect(order).toEqual([5, 10, 20, 30]);
  });

  test("a 30 ms timer fires on time inside a poll(1000) loop", async () => {
    const m = await driven(1000);
    const t0 = Date.now();
    let at = 0;
    m.timerAdd(30, () => { at = Date.now() - t0; });
    await waitFor(() => at > 0, 2000, "timer");
    expect(at).toBeLessThan(300);
  });
});

describe("repeating timers", () => {
  test("fire N times until cancelled from inside (exactly N)", async () => {
    const m = await driven();
    const times: number[] = [];
    const t0 = Date.now();
    const t = m.timerAdd(15, () => {
      times.push(Date.now() - t0);
      if (times.length === 5) t.cancel();
    }, { repeat: true });
    await waitFor(() => times.length >= 5, 3000, "5 ticks");
    await sleep(80);
    expect(times).toHaveLength(5);
    expect(t.active).toBe(false);
    // Spaced by the period, not fired on every poll.
    expect(times[4]).toBeGreaterThanOrEqual(5 * 15 - 3);
  });

  test("a 20 ms repeat timer fires a plausible number of times: at most once a period, not on every poll", async () => {
    const m = await driven();
    let n = 0;
    const t0 = Date.now();
    const t = m.timerAdd(20, () => { n++; }, { repeat: true });
    // Wait for the ticks rather than a fixed 300 ms: a busy machine may poll
    // only a few times in 300 ms (each poll fires a timer at most once).
    await waitFor(() => n >= 5, 5000, "5 ticks");
    t.cancel();
    const elapsed = Date.now() - t0;
    const at = n;
    await sleep(60);
    expect(n).toBe(at);
    // 5 ms polls: firing on every poll would give about elapsed / 5.
    expect(n).toBeLessThanOrEqual(Math.floor(elapsed / 20) + 1);
  });

  test("runNow fires at once (next poll), then every period", async () => {
    const m = await driven();
    const t0 = Date.now();
    const times: number[] = [];
    const t = m.timerAdd(200, () => { times.push(Date.now() - t0); }, { repeat: true, runNow: true });
    await waitFor(() => times.length >= 1, 1000, "first run");
    expect(times[0]).toBeLessThan(100);
    await waitFor(() => times.length >= 2, 1000, "second run");
    t.cancel();
    expect(times[1]).toBeGreaterThanOrEqual(190);
    expect(times[1]).toBeLessThan(600);
  });

  test("cancel inside its own callback: fires exactly once", async () => {
    const m = await driven();
    let n = 0;
    const t = m.timerAdd(10, () => { n++; t.cancel(); t.cancel(); }, { repeat: true });
    await waitFor(() => n > 0, 2000, "tick");
    await sleep(80);
    expect(n).toBe(1);
    expect(t.active).toBe(false);
  });
});

describe("cancel", () => {
  test("is idempotent and prevents firing", async () => {
    const m = await driven();
    let n = 0;
    const t = m.timerAdd(20, () => { n++; });
    const r = m.timerAdd(20, () => { n++; }, { repeat: true });
    t.cancel();
    expect(() => t.cancel()).not.toThrow();
    r.cancel();
    r.cancel();
    expect(t.active).toBe(false);
    expect(r.active).toBe(false);
    await sleep(100);
    expect(n).toBe(0);
  });

  test("two timers due in the same poll, each cancelling the other: exactly one fires", async () => {
    const m = await driven(50);
    const fired: string[] = [];
    let a: ReturnType<Manager["timerAdd"]> | undefined;
    let b: ReturnType<Manager["timerAdd"]> | undefined;
    a = m.timerAdd(5, () => { fired.push("a"); b!.cancel(); });
    b = m.timerAdd(5, () => { fired.push("b"); a!.cancel(); });
    // Block the event loop so that both are overdue when the next poll runs.
    const until = Date.now() + 30;
    while (Date.now() < until) { /* busy */ }
    await waitFor(() => fired.length > 0, 2000, "a timer");
    await sleep(100); // room for a wrong second one
    expect(fired).toHaveLength(1);
    expect(a.active).toBe(false);
    expect(b.active).toBe(false);
  });

  test("a repeat timer cancelled from another timer's callback stops", async () => {
    const m = await driven();
    let ticks = 0;
    let at = -1;
    const rep = m.timerAdd(10, () => { ticks++; }, { repeat: true });
    // The canceller waits for 3 ticks, not 45 ms: after a stall each timer
    // fires once per poll, so a fixed delay could see a single tick.
    const canceller = m.timerAdd(5, () => {
      if (ticks < 3) return;
      rep.cancel();
      canceller.cancel();
      at = ticks;
    }, { repeat: true });
    await waitFor(() => at >= 0, 3000, "the cancel");
    expect(rep.active).toBe(false);
    // Room for 5 periods and 10 polls: a live repeat timer would tick again.
    const polls = loop!.count();
    const t1 = Date.now();
    await waitFor(() => loop!.count() >= polls + 10 && Date.now() - t1 >= 50, 3000, "10 polls");
    expect(ticks).toBe(at);
    expect(at).toBeGreaterThanOrEqual(3);
    expect(at).toBeLessThanOrEqual(5);
  });

  test("a timer added inside a timer callback works", async () => {
    const m = await driven();
    const fired: string[] = [];
    m.timerAdd(10, () => {
      fired.push("outer");
      m.timerAdd(10, () => { fired.push("inner"); });
    });
    await waitFor(() => fired.length === 2, 2000, "inner timer");
    await sleep(40);
    expect(fired).toEqual(["outer", "inner"]);
  });
});

describe("close", () => {
  test("no timer fires after close(); all become inactive", async () => {
    const m = await driven();
    let ticks = 0;
    let oneShot = 0;
    const rep = m.timerAdd(10, () => { ticks++; }, { repeat: true });
    const once = m.timerAdd(60, () => { oneShot++; });
    await waitFor(() => ticks >= 2, 2000, "ticks");
    await loop!.stop();
    loop = undefined;
    m.close();
    const at = ticks;
    const onceAt = oneShot; // on a busy machine it may have fired before close(): only later firings count
    expect(rep.active).toBe(false);
    expect(once.active).toBe(false);
    // Polling a closed manager is refused (ManagerClosedError) and fires nothing.
    let pollErr: unknown;
    try { await m.poll(10); } catch (e) { pollErr = e; }
    expect((pollErr as { code?: string } | undefined)?.code ?? "resolved").toMatch(/ERR_MANAGER_CLOSED|resolved/);
    await sleep(120);
    expect(ticks).toBe(at);
    expect(oneShot).toBe(onceAt);
    expect(() => rep.cancel()).not.toThrow();
  });
});

describe("argument checks", () => {
  test("bad delays and callbacks are typed errors", async () => {
    const m = await driven();
    expect(() => m.timerAdd(-1, () => undefined)).toThrow(RangeError);
    expect(() => m.timerAdd(Number.NaN, () => undefined)).toThrow(RangeError);
    expect(() => m.timerAdd(10, null as unknown as () => void)).toThrow(TypeError);
  });
});
