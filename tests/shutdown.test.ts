// shutdown.test.ts: Manager.shutdown() in-process, over real sockets:
// the order of its steps, what requests arriving during shutdown get, idle
// keep-alive connections, the deadline and the report, a big response in
// flight, idempotence, a poll-loop program, hooks and timers, and run()
// (signals emitted in-process; real signals are in shutdown-signals.test.ts).
import { createHash } from "node:crypto";
import * as net from "node:net";
import {
  Manager, MG_EV_CLOSE, MG_EV_HTTP_MSG, ManagerClosedError, type Connection, type HttpMessage, type ShutdownReport,
} from "tsmongoose";
import { makeManager, sleep, startServer, stopAllServers, waitFor, type Handler } from "./helpers/server";
import { HttpConn, connectOutcome } from "./fixtures/http-conn";

afterEach(() => stopAllServers());

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** Routes: /slow?ms=N (timer), /stuck (never answered), /big (8 MiB), anything else "hello". */
function routes(mgrOf: () => Manager, seen: string[] = []): Handler {
  return (c: Connection, ev: number, data: unknown) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    seen.push(hm.uri);
    if (hm.uri === "/slow") {
      const ms = Number(hm.queryVar("ms") ?? 300);
      mgrOf().timerAdd(ms, () => { if (!c.closed) c.reply(200, "slow"); });
    } else if (hm.uri === "/stuck") {
      // never answered
    } else if (hm.uri === "/big") {
      c.reply(200, BIG, { "Content-Type": "application/octet-stream" });
    } else {
      c.reply(200, "hello");
    }
  };
}

const BIG = new Uint8Array(8 * 1024 * 1024).map((_, i) => (i * 7 + (i >> 13)) & 0xff);

/** A server on an auto-driven manager with the routes above. */
async function server(opts: Record<string, unknown> = {}, seen?: string[]): Promise<{ mgr: Manager; port: number }> {
  let mgr: Manager | undefined;
  const srv = await startServer(routes(() => mgr!, seen), { mode: "auto", managerOpts: opts });
  mgr = srv.mgr;
  return { mgr, port: srv.port };
}

/** A keep-alive connection that has completed one request (so it is idle now). */
async function idleConn(port: number): Promise<HttpConn> {
  const c = await HttpConn.open(port);
  await c.send("/");
  const res = await c.next();
  expect(res.status).toBe(200);
  expect(res.close).toBe(false);
  return c;
}

test("steps in order: readiness, listeners closed, hooks, in-flight requests drain, close", async () => {
  const log: string[] = [];
  let listenerClosedAt = 0;
  let mgr: Manager | undefined;
  const handler: Handler = (c, ev, data) => {
    if (ev === MG_EV_CLOSE && c.isListening) listenerClosedAt = Date.now();
    if (ev === MG_EV_CLOSE) log.push(c.isListening ? "listener closed" : `connection ${c.id} closed`);
    if (ev !== MG_EV_HTTP_MSG) return;
    const uri = (data as HttpMessage).uri;
    if (uri === "/healthz") c.reply(mgr!.ready ? 200 : 503, mgr!.ready ? "ok" : "shutting down");
    else mgr!.timerAdd(300, () => { log.push("answered /slow"); c.reply(200, "slow"); });
  };
  const srv = await startServer(handler, { mode: "auto" });
  mgr = srv.mgr;
  mgr.onShutdown(async (signal) => { log.push(`hook(${signal})`); await sleep(20); log.push("hook done"); });
  const busy = await HttpConn.open(srv.port);
  const sentAt = Date.now();
  await busy.send("/slow");
  await sleep(50);
  expect(mgr.ready).toBe(true);
  const t0 = Date.now();
  const done = mgr.shutdown({ readinessDelayMs: 150, timeoutMs: 5000, idleGraceMs: 100, signalName: "SIGTERM" });
  log.push("shutdown called");
  expect(mgr.isShuttingDown).toBe(true);
  expect(mgr.ready).toBe(false);
  // During the readiness delay everything is served as usual: health checks say 503.
  const probe = await HttpConn.open(srv.port);
  await probe.send("/healthz");
  const health = await probe.next();
  expect({ status: health.status, body: health.body.toString(), close: health.close }).toEqual({ status: 503, body: "shutting down", close: false });
  expect(log).not.toContain("listener closed");
  const report = await done;
  log.push("shutdown resolved");
  expect(listenerClosedAt - t0).toBeGreaterThanOrEqual(140); // after the readiness delay
  expect(Date.now() - sentAt).toBeGreaterThanOrEqual(290); // waited for /slow
  const res = await busy.next();
  expect({ status: res.status, body: res.body.toString(), close: res.close }).toEqual({ status: 200, body: "slow", close: true });
  expect(await probe.waitEnd(2000)).toBe(true); // the idle probe, after its grace
  expect(await connectOutcome(srv.port)).toBe("ECONNREFUSED");
  const at = (s: string): number => log.findIndex((x) => x.startsWith(s));
  expect(at("shutdown called")).toBe(0);
  expect(at("listener closed")).toBeGreaterThan(at("shutdown called"));
  expect(at("hook(SIGTERM)")).toBeGreaterThan(at("listener closed"));
  expect(at("answered /slow")).toBeGreaterThan(at("hook(SIGTERM)"));
  expect(log.filter((x) => /^connection \d+ closed$/.test(x))).toHaveLength(2);
  expect(log.lastIndexOf("shutdown resolved")).toBe(log.length - 1);
  expect(log.indexOf("hook done")).toBeLessThan(log.indexOf("shutdown resolved"));
  expect(mgr.closed).toBe(true);
  expect(report).toMatchObject({ signal: "SIGTERM", completed: 1, rejected: 0, drained: 2, forced: [] });
  busy.destroy();
  probe.destroy();
});

test("by default a request on an open keep-alive connection after shutdown starts is served, with Connection: close", async () => {
  const seen: string[] = [];
  const { mgr, port } = await server({}, seen);
  const idle = await idleConn(port);
  const done = mgr.shutdown({ timeoutMs: 5000 });
  await idle.send("/after");
  const res = await idle.next();
  expect([res.status, res.close]).toEqual([200, true]);
  expect(res.headers["keep-alive"]).toBeUndefined();
  expect(await idle.waitEnd(2000)).toBe(true); // at most one more request per connection
  expect(seen).toContain("/after");
  expect(await done).toMatchObject({ completed: 1, rejected: 0, drained: 1, forced: [] });
});

test("with replyStatus: 503, requests on open keep-alive connections after shutdown starts get 503 + Connection: close", async () => {
  const { mgr, port } = await server();
  const idle = await idleConn(port);
  const busy = await HttpConn.open(port);
  await busy.send("/slow?ms=300");
  await sleep(50);
  const done = mgr.shutdown({ timeoutMs: 5000, replyStatus: 503 });
  await idle.send("/after");
  const res = await idle.next();
  expect(res.status).toBe(503);
  expect(res.reason).toBe("Service Unavailable");
  expect(res.close).toBe(true);
  expect(res.headers["keep-alive"]).toBeUndefined();
  expect(res.body.toString()).toBe("503 Service Unavailable\n");
  expect(await idle.waitEnd(2000)).toBe(true);
  expect(idle.pending).toBe(0);
  const slow = await busy.next();
  expect([slow.status, slow.close]).toEqual([200, true]);
  const report = await done;
  expect(report).toMatchObject({ completed: 1, rejected: 1, drained: 2, forced: [] });
});

test("replyStatus picks the status; serveNewRequests serves them, with Connection: close", async () => {
  const seen: string[] = [];
  const a = await server({}, seen);
  const idleA = await idleConn(a.port);
  const holdA = await HttpConn.open(a.port);
  await holdA.send("/slow?ms=200");
  await waitFor(() => seen.some((u) => u.startsWith("/slow")), 5000, "/slow delivered"); // in flight, not a late arrival
  const doneA = a.mgr.shutdown({ replyStatus: 429 });
  await idleA.send("/late");
  const resA = await idleA.next();
  expect([resA.status, resA.close, resA.body.toString()]).toEqual([429, true, "429 Too Many Requests\n"]);
  expect(seen).not.toContain("/late");
  expect(await doneA).toMatchObject({ rejected: 1, completed: 1 });

  const b = await server({}, seen);
  const idleB = await idleConn(b.port);
  const holdB = await HttpConn.open(b.port);
  await holdB.send("/slow?ms=200");
  await sleep(30);
  const doneB = b.mgr.shutdown({ serveNewRequests: true });
  await idleB.send("/served");
  const resB = await idleB.next();
  expect([resB.status, resB.close, resB.body.toString()]).toEqual([200, true, "hello"]);
  expect(resB.headers["keep-alive"]).toBeUndefined();
  expect(seen).toContain("/served");
  expect(await idleB.waitEnd(2000)).toBe(true);
  expect(await doneB).toMatchObject({ rejected: 0, completed: 2, forced: [] });
  for (const c of [idleA, holdA, idleB, holdB]) c.destroy();
});

test("a download cut at the deadline is named in the report: URI, method, kind, bytes queued, busy since its request", async () => {
  const BIG64 = new Uint8Array(64 * 1024 * 1024);
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG && (data as HttpMessage).uri === "/download") c.reply(200, BIG64, { "Content-Type": "application/octet-stream" });
  }, { mode: "auto" });
  const mgr = srv.mgr;
  // A client that sends its request and then stops reading: the answer stays queued.
  const sock = net.connect(srv.port, "127.0.0.1");
  let got = 0;
  sock.on("data", (d: Buffer) => { got += d.length; sock.pause(); });
  sock.on("error", () => undefined);
  await new Promise<void>((resolve, reject) => { sock.once("connect", resolve); sock.once("error", reject); });
  sock.write("GET /download?part=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  await waitFor(() => got > 0, 5000, "the download to start");
  const t0 = Date.now();
  const report = await mgr.shutdown({ timeoutMs: 300 });
  expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  expect(report.forced).toHaveLength(1);
  const f = report.forced[0];
  expect(f).toMatchObject({ uri: "/download?part=1", method: "GET", kind: "http" });
  expect(f.busyMs).toBeGreaterThanOrEqual(290); // from the request, not 0 because it was answered
  expect(f.busyMs).toBeLessThan(5000 + 2000);
  expect(f.queuedBytes).toBeGreaterThan(0);
  expect(f.queuedBytes).toBeLessThan(BIG64.length + 1024);
  sock.destroy();
});

test("a handler that never answers is force-closed at timeoutMs and named in the report", async () => {
  let pending: Promise<void> | undefined;
  let mgr: Manager | undefined;
  const srv = await startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const uri = (data as HttpMessage).uri;
    if (uri === "/work") {
      c.reply(200, "answered, still working");
      pending = new Promise<void>(() => undefined); // a handler promise that never settles
      return pending;
    }
    return undefined; // /stuck?x=1: never answered
  }, { mode: "auto" });
  mgr = srv.mgr;
  const stuck = await HttpConn.open(srv.port);
  await stuck.send("/stuck?x=1");
  const worker = await HttpConn.open(srv.port);
  await worker.send("/work");
  expect((await worker.next()).status).toBe(200);
  await waitFor(() => mgr!.connections.some((c) => c._requestUri === "/stuck?x=1"), 2000, "the stuck request");
  const t0 = Date.now();
  const report = await mgr.shutdown({ timeoutMs: 500 });
  const took = Date.now() - t0;
  expect(took).toBeGreaterThanOrEqual(490);
  expect(took).toBeLessThan(1500);
  expect(report.durationMs).toBeGreaterThanOrEqual(490);
  expect(report.forced).toHaveLength(2);
  const byUri = report.forced.find((f) => f.uri === "/stuck?x=1");
  expect(byUri).toBeDefined();
  expect(byUri!.busyMs).toBeGreaterThanOrEqual(490);
  expect(byUri!.busyMs).toBeLessThan(2000);
  const busyHandler = report.forced.find((f) => f.uri === undefined)!;
  expect(busyHandler.busyMs).toBeGreaterThanOrEqual(490);
  expect(mgr.closed).toBe(true);
  expect(await stuck.waitEnd(2000)).toBe(true);
  await expect(stuck.next(100)).rejects.toThrow();
  stuck.destroy();
  worker.destroy();
  expect(pending).toBeDefined();
});

test("an 8 MiB response in flight when shutdown starts arrives complete", async () => {
  const { mgr, port } = await server();
  const c = await HttpConn.open(port);
  c.socket.pause();
  await c.send("/big");
  await sleep(100); // the server has queued it, the client reads nothing yet
  const done = mgr.shutdown({ timeoutMs: 10_000 });
  await sleep(300);
  expect(mgr.closed).toBe(false); // still sending
  c.socket.resume();
  const res = await c.next(10_000);
  expect(res.status).toBe(200);
  expect(res.body.length).toBe(BIG.length);
  expect(sha(res.body)).toBe(sha(BIG));
  expect(res.close).toBe(false); // answered before the shutdown: keep-alive
  await c.send("/next");
  const late = await c.next();
  expect([late.status === 503, late.close]).toEqual([false, true]); // served (the default), then closed
  expect(await c.waitEnd(2000)).toBe(true);
  expect(await done).toMatchObject({ completed: 1, rejected: 0, drained: 1, forced: [] });
  c.destroy();
});

test("idle keep-alive connections close after idleGraceMs (default: the advertised keep-alive timeout)", async () => {
  const a = await server();
  const conn = await idleConn(a.port);
  const t0 = Date.now();
  const done = a.mgr.shutdown({ idleGraceMs: 300 });
  expect(await conn.waitEnd(3000)).toBe(true);
  const closedAfter = Date.now() - t0;
  expect(closedAfter).toBeGreaterThanOrEqual(200);
  expect(closedAfter).toBeLessThan(1500);
  expect(conn.error).toBeUndefined(); // a FIN, not a reset
  expect(await done).toMatchObject({ drained: 1, forced: [] });

  const b = await server({ limits: { idleTimeoutMs: 1000 } });
  const c2 = await HttpConn.open(b.port);
  await c2.send("/");
  const res = await c2.next();
  expect(res.headers["keep-alive"]).toBe("timeout=1");
  const t1 = Date.now();
  const done2 = b.mgr.shutdown();
  await sleep(500);
  expect(c2.ended).toBe(false); // not before the advertised timeout
  expect(await c2.waitEnd(3000)).toBe(true);
  expect(Date.now() - t1).toBeGreaterThanOrEqual(800);
  expect(await done2).toMatchObject({ drained: 1, forced: [] });
  conn.destroy();
  c2.destroy();
});

test("shutdown() is idempotent, validates its options, and resolves on a closed manager", async () => {
  const { mgr } = await server();
  expect(() => mgr.shutdown({ timeoutMs: -1 })).toThrow(RangeError);
  expect(() => mgr.shutdown({ replyStatus: 99 })).toThrow(RangeError);
  expect(() => mgr.shutdown({ serveNewRequests: "yes" as never })).toThrow(TypeError);
  expect(() => mgr.shutdown(null as never)).toThrow(TypeError);
  const p1 = mgr.shutdown({ timeoutMs: 1000 });
  const p2 = mgr.shutdown({ timeoutMs: 1 });
  expect(p2).toBe(p1);
  const report = await p1;
  expect(await mgr.shutdown()).toBe(report);
  expect(mgr.closed).toBe(true);

  const closed = await makeManager();
  closed.close();
  await expect(closed.shutdown()).resolves.toEqual({ durationMs: 0, completed: 0, rejected: 0, drained: 0, forced: [] });
  expect(() => closed.onShutdown(() => undefined)).toThrow(ManagerClosedError);
});

test("shutdown from a poll-loop program: the in-flight request still completes", async () => {
  let mgr: Manager | undefined;
  mgr = await makeManager(routes(() => mgr!));
  const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
  let stop = false;
  const loop = (async () => { while (!stop) await mgr!.poll(50); })();
  const c = await HttpConn.open(port);
  await c.send("/slow?ms=200");
  await waitFor(() => mgr!.connections.some((x) => x._requestPending), 2000, "the request");
  stop = true; // what a signal handler does in the guide's pattern
  await loop;
  expect(mgr.driven).toBe(false); // nobody polls any more
  const report = await mgr.shutdown({ timeoutMs: 3000 });
  const res = await c.next();
  expect([res.status, res.body.toString(), res.close]).toEqual([200, "slow", true]);
  expect(report).toMatchObject({ completed: 1, rejected: 0, drained: 1, forced: [] });
  c.destroy();
});

test("onShutdown hooks: the signal, registration order, awaited, errors reported; they may cancel timers", async () => {
  const errors: unknown[] = [];
  const mgr = await makeManager(undefined, { errorHandler: (e: unknown) => errors.push(e) });
  mgr.setAutoDrive(true);
  let ticks = 0;
  let lateFired = false;
  const repeating = mgr.timerAdd(10, () => { ticks++; }, { repeat: true });
  const late = mgr.timerAdd(60_000, () => { lateFired = true; });
  let selfTicks = 0;
  const self = mgr.timerAdd(5, () => { if (++selfTicks === 2) self.cancel(); }, { repeat: true });
  const once = mgr.timerAdd(1, () => undefined);
  expect(mgr._timers.has(once)).toBe(true);
  await waitFor(() => !once.active, 1000, "the one-shot timer");
  expect(mgr._timers.has(once)).toBe(false); // freed after firing
  const order: string[] = [];
  let ticksAtCancel = -1;
  mgr.onShutdown(async (signal) => {
    order.push(`a:${signal}`);
    await sleep(50);
    repeating.cancel();
    repeating.cancel(); // idempotent
    ticksAtCancel = ticks;
    order.push("a done");
  });
  mgr.onShutdown((signal) => { order.push(`b:${signal}`); throw new Error("hook b failed"); });
  mgr.onShutdown(() => { order.push("c"); });
  await sleep(30);
  const report = await mgr.shutdown({ signalName: "SIGTERM" });
  expect(order).toEqual(["a:SIGTERM", "a done", "b:SIGTERM", "c"]);
  expect(errors.map((e) => (e as Error).message)).toEqual(["hook b failed"]);
  expect(report.signal).toBe("SIGTERM");
  expect(ticksAtCancel).toBeGreaterThan(0);
  expect(repeating.active).toBe(false);
  expect(late.active).toBe(false); // freed by close()
  expect(self.active).toBe(false);
  expect(selfTicks).toBe(2);
  await sleep(60);
  expect(ticks).toBe(ticksAtCancel);
  expect(lateFired).toBe(false);
  expect(() => late.cancel()).not.toThrow();
});

describe("run() in-process", () => {
  const counts = (): string => `${process.listenerCount("SIGUSR2")}/${process.listenerCount("SIGTERM")}`;

  test("first signal shuts down, its repeat within signalWindowMs is the same press, a second press forces; handlers removed when run() resolves", async () => {
    const { mgr, port } = await server();
    const before = counts();
    const running = mgr.run({ signals: ["SIGUSR2"], shutdownTimeoutMs: 20_000, signalWindowMs: 150 });
    expect(mgr.run()).toBe(running);
    expect(process.listenerCount("SIGUSR2")).toBe(Number(before.split("/")[0]) + 1);
    const stuck = await HttpConn.open(port);
    await stuck.send("/stuck");
    await waitFor(() => mgr.connections.some((c) => c._requestUri === "/stuck"), 2000, "the stuck request");
    process.emit("SIGUSR2" as never, "SIGUSR2" as never);
    process.emit("SIGUSR2" as never, "SIGUSR2" as never); // delivered twice (a terminal's and npm's copy): one press
    await sleep(200); // past the 150 ms window
    expect(mgr.isShuttingDown).toBe(true);
    expect(mgr.closed).toBe(false); // waiting for /stuck
    const t0 = Date.now();
    process.emit("SIGUSR2" as never, "SIGUSR2" as never);
    const report: ShutdownReport = await running;
    expect(Date.now() - t0).toBeLessThan(200);
    expect(report.signal).toBe("SIGUSR2");
    expect(report.forced).toEqual([{ id: expect.any(Number), kind: "http", busyMs: expect.any(Number), queuedBytes: 0, uri: "/stuck", method: "GET" }]);
    expect(report.forced[0].busyMs).toBeGreaterThanOrEqual(190);
    expect(mgr.closed).toBe(true);
    expect(counts()).toBe(before);
    stuck.destroy();
  });

  test("resolves when shutdown() or close() is called directly", async () => {
    const a = await server();
    const before = counts();
    const runA = a.mgr.run();
    const viaShutdown = await a.mgr.shutdown();
    expect(await runA).toBe(viaShutdown);
    expect(counts()).toBe(before);

    const b = await server();
    const runB = b.mgr.run();
    const stuck = await HttpConn.open(b.port);
    await stuck.send("/stuck?why=close");
    await waitFor(() => b.mgr.connections.some((c) => c._requestPending), 2000, "the stuck request");
    b.mgr.close();
    const report = await runB;
    expect(report.forced).toEqual([{ id: expect.any(Number), kind: "http", busyMs: expect.any(Number), queuedBytes: 0, uri: "/stuck?why=close", method: "GET" }]);
    expect(counts()).toBe(before);
    expect(() => b.mgr.run()).toThrow(ManagerClosedError);
    expect(() => a.mgr.run({ signals: ["INT"] })).toThrow(TypeError);
    expect(() => a.mgr.run({ signalWindowMs: "1000" as never })).toThrow(expect.objectContaining({
      name: "TypeError", code: "ERR_INVALID_ARG_TYPE", message: expect.stringContaining("signalWindowMs") }));
    for (const bad of [-1, 0.5, Infinity]) {
      expect(() => a.mgr.run({ signalWindowMs: bad })).toThrow(expect.objectContaining({
        name: "RangeError", code: "ERR_OUT_OF_RANGE", message: expect.stringContaining(String(bad)) }));
    }
    stuck.destroy();
  });
});
