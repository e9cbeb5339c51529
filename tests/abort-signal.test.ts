// abort-signal.test.ts: issue #16 item 11: AbortSignal where Node APIs take
// one: poll(ms, { signal }) rejects with the reason at once;
// run({ signal }) starts the graceful shutdown; shutdown({ signal }) forces
// what is left; the signal name of the report moved to `signalName`.
import { MG_EV_HTTP_MSG } from "tsmongoose";
import { makeManager, startServer, stopAllServers } from "./helpers/server";
import { RawClient, getReq } from "./helpers/raw-client";

afterEach(() => stopAllServers());

test("poll(ms, { signal }): an abort rejects the pending poll at once with the reason", async () => {
  const mgr = await makeManager();
  try {
    const ac = new AbortController();
    const t0 = performance.now();
    const p = mgr.poll(10_000, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ name: "AbortError" });
    expect(performance.now() - t0).toBeLessThan(2000);
    // Already aborted: rejects without waiting; the manager still works.
    await expect(mgr.poll(5000, { signal: AbortSignal.abort(new Error("stop")) })).rejects.toThrow("stop");
    await expect(mgr.poll(0, { signal: new AbortController().signal })).resolves.toBeGreaterThanOrEqual(0);
    expect(() => mgr.poll(0, { signal: "x" as never })).toThrow(TypeError);
  } finally {
    mgr.close();
  }
});

test("run({ signal }): an abort starts the graceful shutdown and run() resolves with its report", async () => {
  const mgr = await makeManager((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "ok"); });
  mgr.listen("http://127.0.0.1:0");
  const ac = new AbortController();
  const done = mgr.run({ signal: ac.signal, signals: [], shutdownTimeoutMs: 5000 });
  ac.abort();
  const report = await done;
  expect(mgr.closed).toBe(true);
  expect(report).toMatchObject({ forced: [], rejected: 0 });
  expect(report.signal).toBeUndefined();
});

test("shutdown({ signal }): an abort force-closes a request that would hold it to timeoutMs", async () => {
  let delivered = false;
  const srv = await startServer((_c, ev) => { if (ev === MG_EV_HTTP_MSG) delivered = true; }); // never answers
  const c = await RawClient.connect(srv.port);
  try {
    await c.write(getReq("/slow"));
    const t0 = Date.now();
    while (!delivered && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 5));
    const ac = new AbortController();
    const p = srv.mgr.shutdown({ signal: ac.signal, timeoutMs: 20_000, signalName: "SIGTERM" });
    setTimeout(() => ac.abort(), 50);
    const report = await p;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(report.signal).toBe("SIGTERM");
    expect(report.forced.map((f) => f.uri)).toEqual(["/slow"]);
  } finally {
    c.destroy();
  }
});

test("shutdown({ signal: 'SIGTERM' }) is a TypeError that names signalName", async () => {
  const mgr = await makeManager();
  try {
    expect(() => mgr.shutdown({ signal: "SIGTERM" as never })).toThrow(/signalName/);
  } finally {
    mgr.close();
  }
});
