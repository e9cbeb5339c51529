// shutdown-signals.test.ts: mgr.run() in a child process, stopped by real
// signals: SIGTERM ends it cleanly (exit 0, report, hooks ran, signal
// handlers removed afterwards); a second SIGINT while a request is stuck
// forces the exit at once, long before the shutdown timeout, once it comes
// after the press window (one within it is the same press); a stuck request
// is force-closed at the timeout and named in the report; and an 8 MiB
// response in flight at SIGTERM (the `npm start` server's /big) arrives whole.
import { createHash } from "node:crypto";
import { exampleScript, fixture, killAll, reportOf, sleep, startChild, waitExit } from "./fixtures/child";
import { HttpConn, connectOutcome } from "./fixtures/http-conn";

const runServer = fixture("run-server.mjs");
afterEach(killAll);

/** Resolve once the child printed `text`; reject after `ms`. */
async function waitOutput(srv: { output(): string }, text: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!srv.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${ms} ms; output:\n${srv.output()}`);
    await sleep(10);
  }
}

test("SIGTERM: clean exit 0 with the report; hooks ran; signal handlers gone after run() (and none left by a refused run())", async () => {
  const srv = await startChild(runServer, { BAD_SIGNAL: "SIGKILL" });
  const c = await HttpConn.open(srv.port);
  await c.send("/");
  expect((await c.next()).body.toString()).toBe("hello");
  c.destroy();
  const t0 = Date.now();
  srv.child.kill("SIGTERM");
  const exit = await waitExit(srv, 5000);
  const out = srv.output();
  console.log(`run() child: exit ${exit.code} ${exit.at - t0} ms after SIGTERM`);
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(out).toContain("listeners before: SIGINT=0 SIGTERM=0");
  expect(out).toMatch(/run refused: TypeError: run: cannot handle signal SIGKILL: .*; SIGINT=0 SIGTERM=0/);
  expect(out).toContain("listeners during: SIGINT=1 SIGTERM=1");
  expect(out).toContain("listeners after: SIGINT=0 SIGTERM=0");
  expect(out).toContain("hook: SIGTERM");
  expect(reportOf(out)).toMatchObject({ signal: "SIGTERM", rejected: 0, forced: [] });
  expect(await connectOutcome(srv.port)).toBe("ECONNREFUSED");
});

test("a second SIGINT while a request is stuck forces an immediate exit", async () => {
  const srv = await startChild(runServer, { SHUTDOWN_TIMEOUT_MS: "20000" });
  const stuck = await HttpConn.open(srv.port);
  await stuck.send("/stuck");
  await sleep(200);
  srv.child.kill("SIGINT");
  await waitOutput(srv, "hook: SIGINT", 5000);
  const pressSeen = Date.now(); // the press started before the hook ran
  srv.child.kill("SIGINT"); // within run()'s signalWindowMs (1000): the same press
  await sleep(pressSeen + 1050 - Date.now()); // past the window, measured from its start
  expect(srv.child.exitCode).toBeNull(); // waiting for /stuck (up to 20 s)
  const t0 = Date.now();
  srv.child.kill("SIGINT");
  const exit = await waitExit(srv, 3000);
  const ms = exit.at - t0;
  console.log(`second SIGINT: exit ${exit.code} ${ms} ms after it`);
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(ms).toBeLessThan(1000);
  const report = reportOf(srv.output());
  expect(report.signal).toBe("SIGINT");
  expect(report.forced).toHaveLength(1);
  expect(report.forced[0]).toMatchObject({ uri: "/stuck" });
  expect(report.forced[0].busyMs).toBeGreaterThanOrEqual(1000); // in flight before the first press, forced by one past the 1000 ms window
  expect(report.durationMs).toBeLessThan(4000); // far below the 20 s timeout
  expect(await stuck.waitEnd(2000)).toBe(true);
  stuck.destroy();
});

test("a request that is never answered is force-closed at the shutdown timeout; the process still exits", async () => {
  const srv = await startChild(runServer, { SHUTDOWN_TIMEOUT_MS: "800" });
  const stuck = await HttpConn.open(srv.port);
  await stuck.send("/stuck");
  await sleep(100);
  const t0 = Date.now();
  srv.child.kill("SIGTERM");
  const exit = await waitExit(srv, 5000);
  const ms = exit.at - t0;
  console.log(`stuck request, shutdownTimeoutMs 800: exit ${exit.code} ${ms} ms after SIGTERM`);
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(ms).toBeGreaterThanOrEqual(750);
  expect(ms).toBeLessThan(3000);
  const report = reportOf(srv.output());
  expect(report.forced).toHaveLength(1);
  expect(report.forced[0].uri).toBe("/stuck");
  expect(report.forced[0].busyMs).toBeGreaterThanOrEqual(790); // in flight since before the shutdown began (its start may trail the send by tens of ms)
  expect(report.durationMs).toBeGreaterThanOrEqual(790);
  stuck.destroy();
});

test("an 8 MiB response in flight at SIGTERM arrives complete (npm start server, /big)", async () => {
  const srv = await startChild(exampleScript);
  const c = await HttpConn.open(srv.port);
  c.socket.pause();
  await c.send("/big?mb=8");
  await sleep(200);
  srv.child.kill("SIGTERM");
  await sleep(300);
  expect(srv.child.exitCode).toBeNull(); // still sending to us
  c.socket.resume();
  const res = await c.next(10_000);
  expect(res.status).toBe(200);
  expect(res.body.length).toBe(8 * 1024 * 1024);
  const want = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < want.length; i++) want[i] = i % 251;
  expect(createHash("sha256").update(res.body).digest("hex")).toBe(createHash("sha256").update(want).digest("hex"));
  await c.send("/");
  const late = await c.next();
  expect([late.status, late.close, late.body.toString()]).toEqual([200, true, "Hello, World!"]); // served, then closed
  const exit = await waitExit(srv, 5000);
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(reportOf(srv.output())).toMatchObject({ signal: "SIGTERM", completed: 1, rejected: 0, drained: 1, forced: [] });
  c.destroy();
});
