// async-manager.test.ts: AsyncManager as API.md describes it, with real
// `await using` blocks. Leaving the block waits for in-flight handlers
// (pending promises included) and closes normally, without warnings, when
// they finish in time; while something is still busy a ShutdownWarning is
// emitted every retryInterval naming the busy connections (id, URI, busy ms);
// at shutdownTimeout a final warning names what is force-closed. Short
// intervals here (retryInterval 200 ms, shutdownTimeout 1 s). Inside jest,
// `process` is a sandbox copy whose "warning" events never fire, so warnings
// are captured with a spy on process.emitWarning; one test runs a real Node
// process and collects them with process.on("warning").
import { spawn } from "node:child_process";
import * as http from "node:http";
import { join } from "node:path";
import { AsyncManager, Manager, ManagerClosedError, MG_EV_HTTP_MSG, SHUTDOWN_FORCED, SHUTDOWN_WAITING } from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";
import { sleep, waitFor } from "./helpers/server";
import { RawClient, getReq } from "./helpers/raw-client";

const ROOT = join(__dirname, "..");

interface Captured { message: string; type: string; code: string; at: number }

let warnings: Captured[] = [];
let t0 = 0;
beforeEach(() => {
  warnings = [];
  t0 = performance.now();
  jest.spyOn(process, "emitWarning").mockImplementation(((message: string, opts: { type: string; code: string }) => {
    warnings.push({ message, type: opts?.type, code: opts?.code, at: performance.now() });
  }) as typeof process.emitWarning);
});
afterEach(() => jest.restoreAllMocks());

/** One GET with `Connection: close` (no agent): resolves with the answer or the socket error. */
function get(port: number, path: string): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, body }));
      res.on("error", (err) => resolve({ error: err.message }));
    });
    req.on("error", (err) => resolve({ error: err.message }));
  });
}

const waiting = (): Captured[] => warnings.filter((w) => w.code === SHUTDOWN_WAITING);
const forced = (): Captured[] => warnings.filter((w) => w.code === SHUTDOWN_FORCED);

test("`await using`: leaving the block waits for an async handler in flight, then closes normally without warnings", async () => {
  let started = 0;
  let mgr: Manager | undefined;
  let answer: Promise<{ status?: number; body?: string; error?: string }> | undefined;
  let closedAt = 0;
  {
    await using am = new AsyncManager(async (c: Connection, ev: number) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      started++;
      await sleep(400);
      c.reply(200, "slow done");
    }, { shutdownTimeout: 1000, retryInterval: 1000 });
    mgr = am.manager;
    expect(mgr.autoDrive).toBe(true); // no poll loop anywhere in this test
    const listener = await am.listen("http://127.0.0.1:0");
    answer = get(listener.localAddr.port, "/slow");
    await waitFor(() => started === 1, 3000, "the handler to start");
    closedAt = performance.now();
  }
  const disposeMs = performance.now() - closedAt;
  expect(mgr.closed).toBe(true);
  expect(await answer).toEqual({ status: 200, body: "slow done" });
  expect(disposeMs).toBeGreaterThan(300); // waited for the handler
  expect(disposeMs).toBeLessThan(900); // and not for the hard limit
  expect(warnings).toEqual([]);
});

test("a stuck handler: a warning at every retryInterval naming it, then a final warning and force-close at shutdownTimeout", async () => {
  let stuckId = 0;
  let answer: Promise<{ status?: number; body?: string; error?: string }> | undefined;
  let closeStart = 0;
  const am = new AsyncManager(async (c: Connection, ev: number, data: unknown) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    expect((data as HttpMessage).uri).toBe("/stuck");
    stuckId = c.id;
    await new Promise(() => {}); // never settles, never replies
  }, { shutdownTimeout: 1000, retryInterval: 200 });
  {
    await using scoped = am;
    const port = (await scoped.listen("http://127.0.0.1:0")).localAddr.port;
    answer = get(port, "/stuck");
    await waitFor(() => stuckId > 0, 3000, "the handler to start");
    closeStart = performance.now();
  }
  const disposeMs = performance.now() - closeStart;
  expect(disposeMs).toBeGreaterThanOrEqual(950);
  expect(disposeMs).toBeLessThan(1600);
  expect(am.manager.closed).toBe(true);
  expect((await answer).error).toBeDefined(); // force-closed: no response

  const w = waiting();
  expect(w).toHaveLength(4); // at 200, 400, 600 and 800 ms; the limit itself gets the final one
  let lastBusy = 0;
  w.forEach((x, k) => {
    expect(x.at - closeStart).toBeGreaterThanOrEqual((k + 1) * 200 - 5);
    expect(x.at - closeStart).toBeLessThan((k + 1) * 200 + 300);
  });
  for (const x of w) {
    expect(x.type).toBe("ShutdownWarning");
    expect(x.message).toContain(`#${stuckId} /stuck (busy `);
    expect(x.message).toContain("force-close at 1000 ms");
    const busy = Number(/busy (\d+) ms/.exec(x.message)![1]);
    expect(busy).toBeGreaterThan(lastBusy);
    lastBusy = busy;
  }
  expect(forced()).toHaveLength(1);
  const f = forced()[0];
  expect(f.type).toBe("ShutdownWarning");
  expect(f.message).toMatch(new RegExp(`shutdown timeout of 1000 ms reached; force-closed 1 connection: #${stuckId} /stuck \\(busy (\\d+) ms\\)`));
  expect(Number(/busy (\d+) ms/.exec(f.message)![1])).toBeGreaterThanOrEqual(1000);
  expect(f.at).toBeGreaterThan(w[w.length - 1].at);

  // close() after dispose returns the same report: the stuck connection, by id, URI and busy time.
  const report = await am.close();
  expect(report.forced).toEqual([{ id: stuckId, kind: "http", uri: "/stuck", method: "GET", busyMs: expect.any(Number), queuedBytes: 0 }]);
  expect(report.forced[0].busyMs).toBeGreaterThanOrEqual(1000);
});

test("a handler that finishes between warnings: warnings until then, no final warning, its answer delivered", async () => {
  let started = false;
  let answer: Promise<{ status?: number; body?: string; error?: string }> | undefined;
  let closeStart = 0;
  let release: () => void = () => undefined;
  {
    await using am = new AsyncManager(async (c: Connection, ev: number) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      started = true;
      await new Promise<void>((r) => { release = r; });
      c.reply(200, "finally");
    }, { shutdownTimeout: 1000, retryInterval: 200 });
    const port = (await am.listen("http://127.0.0.1:0")).localAddr.port;
    answer = get(port, "/work");
    await waitFor(() => started, 3000, "the handler to start");
    closeStart = performance.now();
    setTimeout(() => release(), 500);
  }
  const disposeMs = performance.now() - closeStart;
  expect(await answer).toEqual({ status: 200, body: "finally" });
  expect(disposeMs).toBeGreaterThan(450);
  expect(disposeMs).toBeLessThan(900);
  expect(waiting()).toHaveLength(2); // at 200 and 400 ms
  expect(waiting()[0].message).toContain("/work (busy ");
  expect(forced()).toEqual([]);
});

test("a promise still pending after the reply (its connection closed) keeps close() waiting, and the warning says so", async () => {
  let workDone = false;
  let replied = false;
  const am = new AsyncManager(async (c: Connection, ev: number) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    c.reply(200, "accepted");
    replied = true;
    await sleep(450); // e.g. writing an audit record after answering
    workDone = true;
  }, { shutdownTimeout: 2000, retryInterval: 200 });
  const port = (await am.listen("http://127.0.0.1:0")).localAddr.port;
  expect(await get(port, "/audit")).toEqual({ status: 200, body: "accepted" });
  expect(replied).toBe(true);
  const report = await am.close();
  expect(workDone).toBe(true);
  expect(report.forced).toEqual([]);
  expect(waiting().length).toBeGreaterThanOrEqual(1);
  expect(waiting()[0].message).toContain("1 handler promise of closed connections");
  expect(forced()).toEqual([]);
});

test("an idle keep-alive client is closed after its idle grace (limits.idleTimeoutMs), cleanly and without warnings", async () => {
  const am = new AsyncManager((c: Connection, ev: number) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "kept"); },
    { shutdownTimeout: 3000, retryInterval: 200, limits: { idleTimeoutMs: 300 } });
  const port = (await am.listen("http://127.0.0.1:0")).localAddr.port;
  const client = await RawClient.connect(port);
  await client.write(getReq("/"));
  const [res] = await client.finalResponses(1);
  expect(res.status).toBe(200);
  expect(res.headers.connection ?? "keep-alive").not.toMatch(/close/i); // kept alive, now idle
  const t = performance.now();
  const report = await am.close();
  expect(performance.now() - t).toBeLessThan(1500);
  await client.waitEnd();
  expect(client.error).toBeUndefined(); // a clean close, no reset
  expect(report.forced).toEqual([]);
  expect(warnings).toEqual([]);
  client.destroy();
});

test("listen() resolves bound; close() is idempotent and resolves with the report; listen after close rejects; options are checked", async () => {
  const am = new AsyncManager((c: Connection, ev: number) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "hi"); });
  expect(am.shutdownTimeout).toBe(30_000);
  expect(am.retryInterval).toBe(5_000);
  expect(am.pollInterval).toBe(100);
  expect(await am.ready()).toBe(am.manager);
  const listener = await am.listen("http://127.0.0.1:0");
  expect(listener.localAddr.port).toBeGreaterThan(0);
  expect(await get(listener.localAddr.port, "/")).toEqual({ status: 200, body: "hi" });
  const p1 = am.close();
  expect(am.close()).toBe(p1);
  const report = await p1;
  expect(report).toMatchObject({ completed: 0, rejected: 0, forced: [] });
  expect(am.closed).toBe(true);
  await expect(am.listen("http://127.0.0.1:0")).rejects.toBeInstanceOf(ManagerClosedError);
  await am[Symbol.asyncDispose](); // again: a no-op
  expect(warnings).toEqual([]);

  expect(() => new AsyncManager(undefined, { shutdownTimeout: -1 })).toThrow(RangeError);
  expect(() => new AsyncManager(undefined, { retryInterval: 0 })).toThrow(RangeError);
  expect(() => new AsyncManager(undefined, { pollInterval: Number.NaN })).toThrow(RangeError);
  expect(() => new AsyncManager("handler" as never)).toThrow(TypeError);
});

test("in a real Node process the warnings arrive as process 'warning' events named ShutdownWarning", async () => {
  const script = `
    const { AsyncManager, MG_EV_HTTP_MSG } = require(${JSON.stringify(join(ROOT, "dist", "index.cjs"))});
    const http = require("node:http");
    const seen = [];
    process.on("warning", (w) => seen.push({ name: w.name, code: w.code, message: w.message }));
    (async () => {
      const am = new AsyncManager(async (c, ev) => { if (ev === MG_EV_HTTP_MSG) await new Promise(() => {}); },
        { shutdownTimeout: 700, retryInterval: 300 });
      const port = (await am.listen("http://127.0.0.1:0")).localAddr.port;
      http.get({ host: "127.0.0.1", port, path: "/hang", agent: false }).on("error", () => {});
      await new Promise((r) => setTimeout(r, 200));
      const report = await am.close();
      console.log(JSON.stringify({ seen, forced: report.forced.length }));
    })();
  `;
  const child = spawn(process.execPath, ["-e", script], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr.setEncoding("utf8").on("data", (d: string) => { err += d; });
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  expect({ code, err: err.includes("ShutdownWarning") }).toEqual({ code: 0, err: true }); // Node printed them too
  const result = JSON.parse(out) as { seen: { name: string; code: string; message: string }[]; forced: number };
  expect(result.forced).toBe(1);
  expect(result.seen.map((w) => [w.name, w.code])).toEqual([
    ["ShutdownWarning", SHUTDOWN_WAITING], ["ShutdownWarning", SHUTDOWN_WAITING], ["ShutdownWarning", SHUTDOWN_FORCED],
  ]);
  expect(result.seen[0].message).toMatch(/#\d+ \/hang \(busy \d+ ms\)/);
});
