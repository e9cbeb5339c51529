// core-clock.test.ts: the core reads the host clock once per call into it
// (issue #24: a keep-alive request used to cross to the host for the time
// about four times), while timers a handler adds still start at the real
// time of the add, however long the handler ran before it.
import { MG_EV_HTTP_MSG } from "tsmongoose";
import { startServer, stopAllServers, waitFor } from "./helpers/server";
import { HttpConn } from "./fixtures/http-conn";

afterEach(() => {
  jest.restoreAllMocks();
  return stopAllServers();
});

test("a keep-alive hello request costs at most about two clock reads (one per core entry)", async () => {
  const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "hi"); }, { mode: "auto" });
  const conn = await HttpConn.open(srv.port);
  await conn.send("/");
  await conn.next(); // warm: the first request has its own setup
  const reads = jest.spyOn(performance, "now");
  const N = 100;
  for (let i = 0; i < N; i++) {
    await conn.send("/");
    expect((await conn.next()).body.toString()).toBe("hi");
  }
  const perRequest = reads.mock.calls.length / N;
  conn.destroy();
  // The receive entry and the flush entry read it once each; the odd poll
  // or timer check adds a little. Four a request before the change.
  expect(perRequest).toBeLessThan(2.5);
  expect(perRequest).toBeGreaterThan(0); // the spy sees the core's reads at all
});

test("a timer added after a long handler runs from the time of the add, not from the entry's start", async () => {
  let addedAt = 0;
  let firedAt = 0;
  const srv = await startServer((c, ev) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const until = performance.now() + 150;
    while (performance.now() < until) { /* a handler busy for 150 ms */ }
    addedAt = performance.now();
    c.manager.timerAdd(100, () => { firedAt = performance.now(); });
    c.reply(200, "hi");
  }, { mode: "auto", pollMs: 10 });
  const conn = await HttpConn.open(srv.port);
  await conn.send("/");
  await conn.next();
  await waitFor(() => firedAt > 0, 5000);
  conn.destroy();
  // The core's clock rounds to whole milliseconds.
  expect(firedAt - addedAt).toBeGreaterThanOrEqual(98);
});
