// poll-loop.test.ts: the seed's `while (!stop) await mgr.poll(ms)` loop.
// It serves requests, ends within ~100 ms of a flag set from a timer or a
// signal, resolves early on socket activity (latency far below the poll
// timeout), does not spin when idle; replies made later (after an await,
// from a timer, from another connection's event) are flushed at once; a
// throwing handler is reported to errorHandler and the loop goes on.
import { EventEmitter } from "node:events";
import { MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, Manager } from "tsmongoose";
import { makeManager, sleep, waitFor, startServer, stopAllServers } from "./helpers/server";
import { RawClient, getReq, rawRequest } from "./helpers/raw-client";
import { asHttp } from "./helpers/http";

const managers: Manager[] = [];
afterEach(async () => {
  await stopAllServers();
  for (const m of managers.splice(0)) m.close();
});

/** A manager with an HTTP listener, for loops the test writes itself. */
async function manual(handler: Parameters<typeof makeManager>[0], opts?: Record<string, unknown>) {
  const mgr = await makeManager(handler, opts);
  managers.push(mgr);
  const port = mgr.listen("http://127.0.0.1:0").localAddr!.port;
  return { mgr, port, base: `http://127.0.0.1:${port}` };
}

describe("the seed loop", () => {
  test("`while (!stop) await mgr.poll(100)` serves requests; a timer flag ends it at once", async () => {
    const { mgr, base } = await manual((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "Hello, World!"); });
    let stop = false;
    let stopAt = 0;
    let events = 0;
    const loop = (async () => {
      const deadline = Date.now() + 10_000;
      while (!stop && Date.now() < deadline) events += await mgr.poll(100);
      return Date.now();
    })();
    const texts = await Promise.all([1, 2, 3].map(() => fetch(`${base}/`).then((r) => r.text())));
    expect(texts).toEqual(["Hello, World!", "Hello, World!", "Hello, World!"]);
    mgr.timerAdd(30, () => { stop = true; stopAt = Date.now(); });
    const endedAt = await loop;
    expect(stop).toBe(true);
    expect(endedAt - stopAt).toBeLessThan(100);
    expect(typeof events).toBe("number");
    expect(events).toBeGreaterThan(0);
    mgr.close();
  });

  test("a signal-style callback's flag ends a poll(100) loop within ~100 ms", async () => {
    // Real signals are sent to a child running the seed program in api-surface.test.ts
    // (jest's sandboxed `process` cannot install signal handlers); here an emitter
    // plays the signal source, firing from outside the manager like a signal does.
    const { mgr } = await manual(() => undefined);
    const signals = new EventEmitter();
    let stop = false;
    let stopAt = 0;
    signals.on("SIGINT", () => { stop = true; stopAt = Date.now(); });
    const loop = (async () => {
      const deadline = Date.now() + 10_000;
      while (!stop && Date.now() < deadline) await mgr.poll(100);
      return Date.now();
    })();
    setTimeout(() => signals.emit("SIGINT"), 130);
    const endedAt = await loop;
    expect(stop).toBe(true);
    expect(endedAt - stopAt).toBeLessThan(160);
  });

  test("poll(ms) with nothing to do waits instead of spinning", async () => {
    const { mgr } = await manual(() => undefined);
    let polls = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 300) { await mgr.poll(50); polls++; }
    expect(polls).toBeLessThanOrEqual(12);
    const t1 = Date.now();
    const n = await mgr.poll(60);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(40);
    expect(typeof n).toBe("number");
  });

  test("poll(0) returns at once", async () => {
    const { mgr } = await manual(() => undefined);
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) await mgr.poll(0);
    expect(Date.now() - t0).toBeLessThan(100);
  });
});

describe("poll(1000) resolves early on activity", () => {
  test("request latency through a poll(1000) loop is far below 1000 ms", async () => {
    const srv = await startServer((c, ev, d) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, asHttp(d).uri); }, { pollMs: 1000 });
    // Let the loop settle into a long poll first.
    await sleep(50);
    const client = await RawClient.connect(srv.port);
    const lat: number[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const t0 = Date.now();
        await client.write(getReq(`/l${i}`));
        await client.finalResponses(i + 1);
        lat.push(Date.now() - t0);
        await sleep(i % 3 === 0 ? 30 : 0);
      }
    } finally {
      client.destroy();
    }
    lat.sort((a, b) => a - b);
    expect(lat[lat.length - 1]).toBeLessThan(200);
    expect(lat[Math.floor(lat.length / 2)]).toBeLessThan(50);
  });

  test("a fresh connection (accept + request) is served quickly too", async () => {
    const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "ok"); }, { pollMs: 1000 });
    await sleep(50);
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const res = await fetch(`${srv.base}/`, { headers: { Connection: "close" } });
      expect(await res.text()).toBe("ok");
      expect(Date.now() - t0).toBeLessThan(250);
    }
  });
});

describe("replying later is flushed promptly (poll(1000) loop)", () => {
  /** Time from the server's reply() call to the client having the response. */
  async function measure(reply: (c: Connection, mgr: Manager, done: (at: number) => void) => void): Promise<number> {
    let repliedAt = 0;
    let mgr: Manager | undefined;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) reply(c, mgr!, (at) => { repliedAt = at; });
    }, { pollMs: 1000 });
    mgr = srv.mgr;
    await sleep(30);
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/later"));
      const [res] = await client.finalResponses(1, { timeoutMs: 3000 });
      expect(res.body.toString()).toBe("later");
      return client.firstByteAt - repliedAt;
    } finally {
      client.destroy();
    }
  }

  test("after an await in an async handler", async () => {
    let at = 0;
    const srv = await startServer(async (c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      await sleep(60);
      at = Date.now();
      c.reply(200, "later");
    }, { pollMs: 1000 });
    await sleep(30);
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/"));
      await client.finalResponses(1, { timeoutMs: 3000 });
      expect(client.firstByteAt - at).toBeLessThan(50);
    } finally {
      client.destroy();
    }
  });

  test("from a setTimeout callback", async () => {
    const delay = await measure((c, _mgr, done) => setTimeout(() => { done(Date.now()); c.reply(200, "later"); }, 80));
    expect(delay).toBeLessThan(50);
  });

  test("from a manager timer", async () => {
    const delay = await measure((c, mgr, done) => {
      mgr.timerAdd(80, () => { done(Date.now()); c.reply(200, "later"); });
    });
    expect(delay).toBeLessThan(50);
  });

  test("from another connection's event", async () => {
    let waiting: Connection | undefined;
    let repliedAt = 0;
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      if (asHttp(d).uri === "/wait") { waiting = c; return; }
      repliedAt = Date.now();
      waiting!.reply(200, "released");
      c.reply(200, "trigger");
    }, { pollMs: 1000 });
    const a = await RawClient.connect(srv.port);
    try {
      await a.write(getReq("/wait"));
      await waitFor(() => waiting !== undefined, 3000, "waiting request");
      await sleep(30);
      expect(a.received).toBe(0);
      const [trig] = await rawRequest(srv.port, getReq("/trigger"));
      expect(trig.body.toString()).toBe("trigger");
      const [res] = await a.finalResponses(1, { timeoutMs: 3000 });
      expect(res.body.toString()).toBe("released");
      expect(a.firstByteAt - repliedAt).toBeLessThan(50);
    } finally {
      a.destroy();
    }
  });
});

describe("errorHandler", () => {
  test("a throwing handler is reported with its connection; the server keeps serving", async () => {
    const reported: { err: unknown; conn?: Connection }[] = [];
    const conns: Connection[] = [];
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      conns.push(c);
      if (asHttp(d).uri === "/boom") throw new Error("boom from handler");
      c.reply(200, "fine");
    }, { managerOpts: { errorHandler: (err: unknown, conn?: Connection) => reported.push({ err, conn }) } });
    const bad = await RawClient.connect(srv.port);
    try {
      await bad.write(getReq("/boom"));
      await waitFor(() => reported.length === 1, 3000, "errorHandler");
    } finally {
      bad.destroy();
    }
    expect((reported[0].err as Error).message).toBe("boom from handler");
    expect(reported[0].conn).toBe(conns[0]);
    const res = await fetch(`${srv.base}/ok`);
    expect(await res.text()).toBe("fine");
  });

  test("a rejecting async handler is reported too", async () => {
    const reported: unknown[] = [];
    const srv = await startServer(async (c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const uri = asHttp(d).uri; // views expire at the first await
      await sleep(5);
      if (uri === "/reject") throw new Error("async boom");
      c.reply(200, "fine");
    }, { managerOpts: { errorHandler: (err: unknown) => reported.push(err) } });
    const bad = await RawClient.connect(srv.port);
    try {
      await bad.write(getReq("/reject"));
      await waitFor(() => reported.length === 1, 3000, "errorHandler");
    } finally {
      bad.destroy();
    }
    expect((reported[0] as Error).message).toBe("async boom");
    expect(await (await fetch(`${srv.base}/`)).text()).toBe("fine");
  });

  test("without an errorHandler a throwing handler still does not stop the loop", async () => {
    const quiet = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      const srv = await startServer((c, ev, d) => {
        if (ev !== MG_EV_HTTP_MSG) return;
        if (asHttp(d).uri === "/boom") throw new Error("unreported boom");
        c.reply(200, "fine");
      });
      const bad = await RawClient.connect(srv.port);
      await bad.write(getReq("/boom"));
      await sleep(50);
      bad.destroy();
      expect(await (await fetch(`${srv.base}/`)).text()).toBe("fine");
    } finally {
      quiet.mockRestore();
      warn.mockRestore();
    }
  });
});

describe("auto-drive (the engine under run()/AsyncManager): same guarantees without poll()", () => {
  test("serves requests and streams; 50 concurrent fetches", async () => {
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const uri = asHttp(d).uri;
      if (uri === "/stream") { c.httpChunk("a"); setTimeout(() => { c.httpChunk("b"); c.httpChunk(""); }, 10); }
      else c.reply(200, uri);
    }, { mode: "auto" });
    const texts = await Promise.all(Array.from({ length: 50 }, (_, i) => fetch(`${srv.base}/a${i}`).then((r) => r.text())));
    expect(texts).toEqual(Array.from({ length: 50 }, (_, i) => `/a${i}`));
    expect(await (await fetch(`${srv.base}/stream`)).text()).toBe("ab");
  });

  test("a late answer from a setTimeout is flushed at once and pipelining order holds", async () => {
    let repliedAt = 0;
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const uri = asHttp(d).uri;
      if (uri === "/slow") setTimeout(() => { repliedAt = Date.now(); c.reply(200, "slow"); }, 60);
      else c.reply(200, uri);
    }, { mode: "auto", pollMs: 1000 });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/slow") + getReq("/next"));
      const rs = await client.finalResponses(2, { timeoutMs: 3000 });
      expect(rs.map((r) => r.body.toString())).toEqual(["slow", "/next"]);
      expect(client.firstByteAt - repliedAt).toBeLessThan(50);
    } finally {
      client.destroy();
    }
  });

  test("manager timers fire on time with a 1000 ms tick", async () => {
    const srv = await startServer(() => undefined, { mode: "auto", pollMs: 1000 });
    const t0 = Date.now();
    const times: number[] = [];
    const t = srv.mgr.timerAdd(25, () => { times.push(Date.now() - t0); }, { repeat: true });
    await waitFor(() => times.length >= 3, 2000, "3 ticks");
    t.cancel();
    expect(times[0]).toBeGreaterThanOrEqual(23);
    expect(times[2]).toBeLessThan(400);
  });
});
