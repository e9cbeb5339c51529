// wakeup.test.ts: Manager.wakeup() and wakeups from worker threads.
// manager.wakeup(id, data) delivers MG_EV_WAKEUP with a copy of data and
// returns false (delivering nothing) for unknown or closed ids. A worker
// holding a wakeupHandle() calls wakeup(handle, id, data) without loading the
// WASM core (its TSMONGOOSE_WASM points nowhere); a pool of 4 workers answers
// 100 concurrent HTTP requests through such round trips, under a poll loop and
// under auto-drive; a wakeup wakes a pending poll at once; wakeups for
// connections closed meanwhile are dropped; closing the manager closes the
// channel, after which the worker's wakeup() returns false.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { wakeup, ManagerClosedError, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_WAKEUP } from "tsmongoose";
import type { Connection, HttpMessage, Manager, WakeupHandle } from "tsmongoose";
import { autoDrive, backgroundPoll, makeManager, waitFor } from "./helpers/server";
import { RawClient, getReq } from "./helpers/raw-client";

const LIB = join(__dirname, "..", "dist", "index.cjs");

/**
 * The worker: answers {type:"job", id, text, delayMs} with
 * wakeup(handle, id, "<name>:<TEXT>") after delayMs; {type:"try", id} reports
 * what wakeup() returned; null is the poison pill. Tells the parent when its
 * end of the channel closes.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { wakeup } = require(workerData.lib);
const { handle, name } = workerData;
handle.port.on("close", () => parentPort.postMessage({ type: "port-closed" }));
parentPort.on("message", (m) => {
  if (m === null) { parentPort.close(); return; }
  if (m.type === "job") {
    const send = () => parentPort.postMessage({ type: "sent", id: m.id, ok: wakeup(handle, m.id, name + ":" + m.text.toUpperCase()) });
    if (m.delayMs > 0) setTimeout(send, m.delayMs); else send();
  } else if (m.type === "try") {
    parentPort.postMessage({ type: "tried", id: m.id, ok: wakeup(handle, m.id, "late") });
  }
});
parentPort.postMessage({ type: "up" });
`;

interface WorkerMsg { type: string; id?: number; ok?: boolean }

/** A worker thread holding one wakeup handle of `mgr`. */
class TestWorker {
  readonly worker: Worker;
  readonly messages: WorkerMsg[] = [];
  readonly exited: Promise<number>;
  constructor(mgr: Manager, name: string) {
    const handle: WakeupHandle = mgr.wakeupHandle();
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { handle, name, lib: LIB },
      transferList: [handle.port],
      // Proof that the worker side needs no core: loading it would fail.
      env: { ...process.env, TSMONGOOSE_WASM: "/nonexistent/mongoose.wasm" },
    });
    this.worker.on("message", (m: WorkerMsg) => this.messages.push(m));
    this.exited = new Promise((resolve) => this.worker.once("exit", resolve));
  }
  post(m: unknown): void {
    this.worker.postMessage(m);
  }
  /** Wait until `count` messages matched `pred` (a worker starting on a busy machine takes seconds). */
  waitFor(pred: (m: WorkerMsg) => boolean, what: string, count = 1): Promise<void> {
    return waitFor(() => this.messages.filter(pred).length >= count, 15_000, what);
  }
}

const workers: TestWorker[] = [];
const managers: Manager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) m.close();
  await Promise.all(workers.splice(0).map((w) => w.worker.terminate()));
});

async function manager(handler: (c: Connection, ev: number, data: unknown) => void, opts: Record<string, unknown> = {}): Promise<Manager> {
  const mgr = await makeManager(handler, { enableWakeup: true, ...opts });
  managers.push(mgr);
  return mgr;
}

function pool(mgr: Manager, n: number): TestWorker[] {
  const list = Array.from({ length: n }, (_, i) => new TestWorker(mgr, `w${i}`));
  workers.push(...list);
  return list;
}

const text = (d: unknown): string => new TextDecoder().decode(d as Uint8Array);

/** Poll timeout / auto-drive tick of the pool tests, ms. */
const TICK_MS = 1000;

describe("Manager.wakeup", () => {
  test("delivers MG_EV_WAKEUP with a copy of the data; unknown and closed ids return false and deliver nothing", async () => {
    const got: { id: number; data: Uint8Array }[] = [];
    const accepted: Connection[] = [];
    const closed = new Set<number>();
    const mgr = await manager((c, ev, data) => {
      if (ev === MG_EV_ACCEPT) accepted.push(c);
      if (ev === MG_EV_CLOSE) closed.add(c.id);
      if (ev === MG_EV_WAKEUP) got.push({ id: c.id, data: data as Uint8Array });
    });
    const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
    const loop = backgroundPoll(mgr, 20);
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    await waitFor(() => accepted.length === 2, 10_000, "two accepts");
    const [ca, cb] = accepted;

    expect(mgr.wakeup(ca.id, "hello")).toBe(true);
    const bytes = new Uint8Array([1, 2, 3]);
    expect(mgr.wakeup(cb.id, bytes)).toBe(true);
    bytes[0] = 99; // the handler got a copy
    expect(mgr.wakeup(ca.id)).toBe(true);
    expect(got.map((g) => [g.id, Array.from(g.data)])).toEqual([
      [ca.id, Array.from(Buffer.from("hello"))], [cb.id, [1, 2, 3]], [ca.id, []],
    ]);

    expect(mgr.wakeup(987654321, "x")).toBe(false);
    expect(mgr.wakeup(-1, "x")).toBe(false);
    a.destroy();
    await waitFor(() => closed.has(ca.id), 10_000, "close of the first connection");
    expect(mgr.wakeup(ca.id, "too late")).toBe(false);
    expect(() => mgr.wakeup(cb.id, 5 as unknown as string)).toThrow(TypeError);
    expect(got).toHaveLength(3);
    b.destroy();
    await loop.stop();
    mgr.close();
    expect(() => mgr.wakeup(cb.id, "x")).toThrow(ManagerClosedError);
    expect(got).toHaveLength(3);
  });
});

describe("wakeupHandle and wakeup()", () => {
  test("a handle needs enableWakeup; every call opens a new channel; wakeup() checks its arguments", async () => {
    const plain = await manager(() => undefined, { enableWakeup: false });
    expect(() => plain.wakeupHandle()).toThrow(expect.objectContaining({ code: "ERR_WAKEUP_DISABLED" }));
    const mgr = await manager(() => undefined);
    const h1 = mgr.wakeupHandle();
    const h2 = mgr.wakeupHandle();
    expect(h1.kind).toBe("tsmongoose.wakeup");
    expect(h1.port).not.toBe(h2.port);
    expect(h1.state).toBeInstanceOf(Int32Array);
    expect(() => wakeup({} as WakeupHandle, 1)).toThrow(TypeError);
    expect(() => wakeup(h1, 0)).toThrow(RangeError);
    expect(() => wakeup(h1, 1.5)).toThrow(RangeError);
    expect(() => wakeup(h1, 1, 7 as unknown as string)).toThrow(TypeError);
    expect(wakeup(h1, 1, "nobody")).toBe(true); // posted; the manager drops it (no connection 1)
    mgr.close();
    expect(wakeup(h1, 1, "x")).toBe(false);
    expect(() => mgr.wakeupHandle()).toThrow(ManagerClosedError);
  });

  for (const mode of ["poll loop", "auto-drive"] as const) {
    test(`a pool of 4 workers answers 100 concurrent requests through wakeup round trips (${mode})`, async () => {
      const started = new Map<number, number>();
      const latencies: number[] = [];
      let next = 0;
      let list: TestWorker[] = [];
      const mgr = await manager((c, ev, data) => {
        if (ev === MG_EV_HTTP_MSG) {
          const uri = (data as HttpMessage).uri;
          started.set(c.id, performance.now());
          list[next++ % list.length].post({ type: "job", id: c.id, text: uri.slice(1), delayMs: 0 });
        } else if (ev === MG_EV_WAKEUP) {
          latencies.push(performance.now() - started.get(c.id)!);
          c.reply(200, text(data));
        }
      });
      list = pool(mgr, 4);
      await Promise.all(list.map((w) => w.waitFor((m) => m.type === "up", "worker start")));
      const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
      // A long poll/tick: wakeups that waited for it would take up to 1 s (p50
      // ~500 ms), far from what a busy machine adds to prompt ones (p50 82 ms seen).
      const driver = mode === "poll loop" ? backgroundPoll(mgr, TICK_MS) : autoDrive(mgr, TICK_MS);

      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) =>
        fetch(`http://127.0.0.1:${port}/req${i}`).then(async (r) => ({ status: r.status, body: await r.text() }))));
      const totalMs = performance.now() - t0;

      answers.forEach((a, i) => {
        expect(a.status).toBe(200);
        expect(a.body).toMatch(new RegExp(`^w[0-3]:REQ${i}$`));
      });
      // Every worker took part.
      expect(new Set(answers.map((a) => a.body.slice(0, 2))).size).toBe(4);
      expect(latencies).toHaveLength(100);
      latencies.sort((x, y) => x - y);
      const p = (q: number): string => latencies[Math.min(99, Math.floor(q * 100))].toFixed(1);
      console.log(`wakeup round trip, 100 concurrent requests, 4 workers, ${mode}: ` +
        `p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${p(0.999)} ms; all 100 answered in ${totalMs.toFixed(0)} ms`);
      // Far below the poll/tick interval: wakeups are not waiting for a timeout.
      expect(latencies[49]).toBeLessThan(TICK_MS / 4);
      await driver.stop();
    });
  }

  test("a worker's wakeup ends a pending poll(2000) at once", async () => {
    let wokeAt = 0;
    let list: TestWorker[] = [];
    const mgr = await manager((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) list[0].post({ type: "job", id: c.id, text: "later", delayMs: 300 });
      if (ev === MG_EV_WAKEUP) {
        wokeAt = performance.now();
        c.reply(200, "done");
      }
    });
    list = pool(mgr, 1);
    await list[0].waitFor((m) => m.type === "up", "worker start");
    const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
    const polls: { start: number; end: number; n: number }[] = [];
    let stop = false;
    const loop = (async () => {
      for (let i = 0; i < 20 && !stop; i++) {
        const start = performance.now();
        const n = await mgr.poll(2000);
        polls.push({ start, end: performance.now(), n });
      }
    })();
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("done");
    const roundTrip = performance.now() - t0;
    stop = true;
    await waitFor(() => polls.some((p) => p.start <= wokeAt && p.end >= wokeAt), 10_000, "the poll pending at the wakeup to return");
    const pending = polls.find((p) => p.start <= wokeAt && p.end >= wokeAt)!;
    expect(pending.end - wokeAt).toBeLessThan(100);
    expect(pending.n).toBeGreaterThan(0);
    expect(roundTrip).toBeLessThan(1000); // 300 ms of "work", not a 2 s poll timeout
    mgr.close();
    await loop;
  });

  test("a wakeup for a connection closed in between is dropped; manager.wakeup returns false for it", async () => {
    // The first request's worker is too slow for limits.requestTimeoutMs:
    // the core answers 408 and closes the connection before the answer comes.
    const woken: number[] = [];
    const closed = new Set<number>();
    const requests: Connection[] = [];
    const mgr = await manager((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) requests.push(c);
      if (ev === MG_EV_CLOSE) closed.add(c.id);
      if (ev === MG_EV_WAKEUP) {
        woken.push(c.id);
        c.reply(200, "late answer");
      }
    }, { limits: { requestTimeoutMs: 200 } });
    const [w] = pool(mgr, 1);
    await w.waitFor((m) => m.type === "up", "worker start");
    const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
    const loop = backgroundPoll(mgr, 50);
    const slow = fetch(`http://127.0.0.1:${port}/slow`).then(async (r) => ({ status: r.status, body: await r.text() }));
    await waitFor(() => requests.length === 1, 10_000, "first request");
    const cSlow = requests[0];
    expect(await slow).toEqual({ status: 408, body: expect.any(String) });
    await waitFor(() => closed.has(cSlow.id), 10_000, "MG_EV_CLOSE of the timed-out connection");

    const alive = await RawClient.connect(port);
    await alive.write(getReq("/alive"));
    await waitFor(() => requests.length === 2, 10_000, "second request");
    const cAlive = requests[1];
    // The worker posts to the closed id, then to the live one: the channel
    // keeps order, so once the second arrived the first was processed.
    w.post({ type: "job", id: cSlow.id, text: "x", delayMs: 0 });
    w.post({ type: "job", id: cAlive.id, text: "y", delayMs: 0 });
    // Two channels, no order between them: the worker's reports (parentPort)
    // and its wakeups (the handle's port). Wait for each on its own.
    await w.waitFor((m) => m.type === "sent", "the worker's two reports", 2);
    await waitFor(() => woken.includes(cAlive.id), 10_000, "wakeup of the live connection");
    expect(woken).toEqual([cAlive.id]);
    expect(w.messages.filter((m) => m.type === "sent").map((m) => m.ok)).toEqual([true, true]); // posted; the manager decides
    expect(mgr.wakeup(cSlow.id, "x")).toBe(false);
    alive.destroy();
    await loop.stop();
  });

  test("closing the manager closes the channel: the worker sees its port close and wakeup() returns false", async () => {
    const mgr = await manager(() => undefined);
    const [w] = pool(mgr, 1);
    await w.waitFor((m) => m.type === "up", "worker start");
    mgr.close();
    await w.waitFor((m) => m.type === "port-closed", "the worker's port to close");
    w.post({ type: "try", id: 1 });
    await w.waitFor((m) => m.type === "tried", "the worker's wakeup attempt");
    expect(w.messages.find((m) => m.type === "tried")!.ok).toBe(false);
    // Nothing of ours keeps the worker alive: the poison pill ends it.
    w.post(null);
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise((resolve) => { timer = setTimeout(resolve, 10_000, "still running"); });
    await expect(Promise.race([w.exited, limit])).resolves.toBe(0);
    clearTimeout(timer);
  });
});
