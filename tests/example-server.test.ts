// example-server.test.ts: examples/graceful-server (the `npm start` server)
// run as its own process, the way a user or systemd runs it: it must serve
// requests and stop cleanly (exit code 0, shutdown lines and report printed)
// on SIGINT or SIGTERM, finishing a request still in flight. An idle
// keep-alive connection (fetch keeps one) is closed by the client once its
// Keep-Alive: timeout=5 hint runs out (undici: after 3 s) or by the server
// after 5 s idle, so a stop with one open takes up to 5 s.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { exampleScript as script, killAll, root, startChild, type ChildServer as Example } from "./fixtures/child";

const running = new Set<ChildProcess>();

beforeAll(() => {
  if (!existsSync(script)) throw new Error(`${script} is missing: build first (npm run build)`);
});

afterEach(() => {
  killAll();
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  running.clear();
});

/** Starts the example on PORT=0 and resolves once it printed its port. */
const startExample = (): Promise<Example> => startChild(script);

/** Sends `signal` and resolves with the exit status and how long it took (at most `limitMs`). */
async function stopWith(ex: Example, signal: NodeJS.Signals, limitMs = 6000): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  const t0 = Date.now();
  ex.child.kill(signal);
  const timeout = new Promise<never>((_, reject) => {
    const t = setTimeout(() => reject(new Error(`not exited ${limitMs} ms after ${signal}; output:\n${ex.output()}`)), limitMs);
    void ex.exited.then(() => clearTimeout(t));
  });
  const status = await Promise.race([ex.exited, timeout]);
  return { ...status, ms: Date.now() - t0 };
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`serves Hello, World! and stops cleanly on ${signal}`, async () => {
    const ex = await startExample();
    expect(ex.port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${ex.port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toBe("Hello, World!");

    const status = await stopWith(ex, signal);
    expect(status).toMatchObject({ code: 0, signal: null });
    expect(status.ms).toBeLessThan(6000); // fetch's idle keep-alive connection: see the header
    const out = ex.output();
    expect(out).toContain("Press Ctrl+C to stop");
    expect(out).toContain(`Received ${signal}, shutting down...`);
    expect(out).toMatch(/Draining \d+ connection\(s\)\.\.\./);
    expect(out).toMatch(/shutdown report: \{"signal":"SIG(INT|TERM)",.*"forced":\[\]\}/);
    expect(out).toContain("Server stopped cleanly");
    expect(out).not.toMatch(/Force-closed/);
  });
}

test("/slow answers after about 2 s from a timer; /slow?ms=N after N ms", async () => {
  const ex = await startExample();
  const t0 = Date.now();
  const res = await fetch(`http://127.0.0.1:${ex.port}/slow`);
  const ms = Date.now() - t0;
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("Slow hello after 2000 ms\n");
  expect(ms).toBeGreaterThanOrEqual(1900);
  expect(ms).toBeLessThan(3000);
  const res2 = await fetch(`http://127.0.0.1:${ex.port}/slow?ms=100`);
  expect(await res2.text()).toBe("Slow hello after 100 ms\n");
  expect((await stopWith(ex, "SIGINT")).code).toBe(0);
});

test("a /slow request in flight at SIGTERM completes, new connections are refused, then a clean exit", async () => {
  const ex = await startExample();
  const pending = fetch(`http://127.0.0.1:${ex.port}/slow?ms=1000`).then(async (r) =>
    ({ status: r.status, connection: r.headers.get("connection"), body: await r.text() }));
  // Let the request reach the handler (the server is local: a few ms).
  await new Promise((r) => setTimeout(r, 300));
  const stopped = stopWith(ex, "SIGTERM");
  await new Promise((r) => setTimeout(r, 100));
  await expect(fetch(`http://127.0.0.1:${ex.port}/`)).rejects.toThrow(); // ECONNREFUSED
  const answer = await pending;
  expect(answer).toEqual({ status: 200, connection: "close", body: "Slow hello after 1000 ms\n" });
  const status = await stopped;
  expect(status).toMatchObject({ code: 0, signal: null });
  expect(status.ms).toBeGreaterThanOrEqual(500); // waited for the request in flight
  expect(status.ms).toBeLessThan(2000);
  expect(ex.output()).toMatch(/shutdown report: \{"signal":"SIGTERM","durationMs":\d+,"completed":1,"rejected":0,"drained":1,"forced":\[\]\}/);
  expect(ex.output()).toContain("Server stopped cleanly");
});

test("PORT must be a port number", async () => {
  const child = spawn(process.execPath, [script], { cwd: root, env: { ...process.env, PORT: "eighty" }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { err += d; });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  expect(code).toBe(2);
  expect(err).toContain("PORT must be 0..65535, got 'eighty'");
});
