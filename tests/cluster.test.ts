// cluster.test.ts: examples/cluster.ts (runCluster + Manager in node:cluster
// workers) as a real process tree: the workers share one port through the
// primary, a crashed worker is respawned, SIGHUP replaces every worker
// without failing a request of a pooled keep-alive load, SIGTERM stops the
// fleet gracefully with one report that adds up the workers' reports, and a
// Ctrl+C delivered twice (terminal + npm) is one press. Runs
// over both transports (the jest projects pass TSMONGOOSE_TRANSPORT on).
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "undici";
import { init, Manager, MongooseError } from "tsmongoose";
import { killAll, start, until } from "./helpers/fleet";

const ROOT = join(__dirname, "..");
const SCRIPT = join(ROOT, "build", "examples", "cluster.mjs");

interface Fleet {
  child: ChildProcess;
  port: number;
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `re` matches the output `count` times. */
  waitFor(re: RegExp, count?: number, ms?: number): Promise<void>;
}

afterEach(killAll);

beforeAll(() => {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: build first (npm run build)`);
});

async function startFleet(workers: number, env: Record<string, string> = {}): Promise<Fleet> {
  // Its own process group (fleet.ts), so the afterEach can kill the primary and its workers together.
  const p = start(SCRIPT, { PORT: "0", WORKERS: String(workers), SHUTDOWN_TIMEOUT_MS: "10000", ...env }, ROOT);
  const waitFor = async (re: RegExp, count = 1, ms = 15_000): Promise<void> => { await p.waitFor(re, count, ms); };
  await waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/, workers);
  const ports = [...p.out().matchAll(/listening on http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
  if (new Set(ports).size !== 1) throw new Error(`workers report different ports: ${ports.join(", ")}`);
  return { child: p.child, port: ports[0], out: p.out, exited: p.exited, waitFor };
}

/** Pids that answered `n` requests, each on a fresh connection. */
async function pidsOf(port: number, n: number): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
    const m = /worker (\d+)/.exec(await res.text());
    if (m) pids.add(m[1]);
  }
  return pids;
}

function workerPids(out: string): string[] {
  return [...out.matchAll(/worker (\d+) listening/g)].map((m) => m[1]);
}

/** The cluster report line the primary prints last. */
function clusterReport(out: string): { completed: number; drained: number; lost: number; forced: unknown[]; workers: { report?: { completed: number } }[] } {
  const m = /cluster report: (.*)/.exec(out);
  if (!m) throw new Error(`no cluster report in:\n${out}`);
  return JSON.parse(m[1]);
}

/**
 * Keep `conns` pooled keep-alive clients busy (requests back to back) until
 * `stop` resolves; every answer must be a complete 200.
 */
interface LoadTally { ok: number; failures: string[]; pids: Set<string> }

async function load(port: number, conns: number, stop: Promise<void>, r: LoadTally): Promise<LoadTally> {
  const agent = new Agent({ connections: conns, pipelining: 1 });
  let done = false;
  void stop.then(() => { done = true; });
  const deadline = Date.now() + 30_000;
  await Promise.all(Array.from({ length: conns }, async () => {
    while (!done && Date.now() < deadline) {
      try {
        const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
        const body = await res.body.text();
        if (res.statusCode !== 200) r.failures.push(`status ${res.statusCode}: ${body}`);
        else {
          r.ok++;
          r.pids.add(/worker (\d+)/.exec(body)?.[1] ?? "?");
        }
      } catch (err) {
        r.failures.push(String((err as Error).message));
      }
    }
  }));
  await agent.close();
  return r;
}

test("two workers share one port; fresh connections reach both", async () => {
  const f = await startFleet(2);
  const pids = await pidsOf(f.port, 12);
  expect([...pids].sort()).toEqual(workerPids(f.out()).sort());
  f.child.kill("SIGTERM");
  expect(await f.exited).toEqual({ code: 0, signal: null });
  const report = clusterReport(f.out());
  expect(report.workers).toHaveLength(2);
  expect(report.lost).toBe(0);
});

test("Ctrl+C under npm: the group's SIGINT plus a forwarded copy to the primary is one press; requests finish", async () => {
  const f = await startFleet(2);
  const heads = await Promise.all(Array.from({ length: 4 }, () =>
    fetch(`http://127.0.0.1:${f.port}/slow?ms=800`, { headers: { connection: "close" } })));
  process.kill(-f.child.pid!, "SIGINT"); // the terminal: primary and workers
  f.child.kill("SIGINT"); // npm forwarding its copy to the primary
  const answers = await Promise.all(heads.map(async (r) => ({ status: r.status, body: await r.text() })));
  for (const a of answers) expect(a).toMatchObject({ status: 200, body: expect.stringMatching(/^Slow hello from worker \d+/) });
  expect(await f.exited).toEqual({ code: 0, signal: null });
  const report = clusterReport(f.out());
  expect(report.completed).toBe(4);
  expect(report.forced).toEqual([]);
});

test("SIGTERM: in-flight requests in every worker finish; one report adds them up", async () => {
  const f = await startFleet(2);
  // Slow requests on fresh connections: round-robin spreads them over both
  // workers. Each answer's head comes at once: then its worker has it.
  const heads = await Promise.all(Array.from({ length: 6 }, () =>
    fetch(`http://127.0.0.1:${f.port}/slow?ms=800`, { headers: { connection: "close" } })));
  f.child.kill("SIGTERM");
  const answers = await Promise.all(heads.map(async (r) => ({ status: r.status, body: await r.text() })));
  for (const a of answers) expect(a).toMatchObject({ status: 200, body: expect.stringMatching(/^Slow hello from worker \d+/) });
  expect(await f.exited).toEqual({ code: 0, signal: null });
  const report = clusterReport(f.out());
  expect(report.completed).toBe(6);
  expect(report.workers.reduce((n, w) => n + (w.report?.completed ?? 0), 0)).toBe(6);
  expect(report.forced).toEqual([]);
  // After the fleet is gone the port refuses connections.
  await expect(fetch(`http://127.0.0.1:${f.port}/`)).rejects.toThrow();
});

test("a crashed worker is respawned and serves on the same port", async () => {
  const f = await startFleet(2);
  const first = workerPids(f.out());
  await fetch(`http://127.0.0.1:${f.port}/crash`).catch(() => undefined);
  await f.waitFor(/listening on/, 3);
  const all = workerPids(f.out());
  const pids = await pidsOf(f.port, 8);
  // The crashed one is gone, its replacement serves beside the survivor.
  expect(pids.size).toBe(2);
  expect(pids.has(all[2])).toBe(true);
  expect([...pids].filter((p) => first.includes(p))).toHaveLength(1);
  f.child.kill("SIGTERM");
  expect((await f.exited).code).toBe(0);
});

test("SIGHUP reload under pooled keep-alive load: every worker replaced, no request fails", async () => {
  const f = await startFleet(2);
  const before = new Set(workerPids(f.out()));
  let stop!: () => void;
  const stopped = new Promise<void>((r) => { stop = r; });
  const tally: LoadTally = { ok: 0, failures: [], pids: new Set() };
  const loading = load(f.port, 8, stopped, tally);
  await until(() => tally.ok >= 50, 15_000, "50 answers under load");
  f.child.kill("SIGHUP");
  await f.waitFor(/listening on/, 4);
  await f.waitFor(/report: \{"signal":"SIGHUP"/, 2);
  const okAtReload = tally.ok;
  await until(() => tally.ok >= okAtReload + 50, 15_000, "50 more answers after SIGHUP"); // the new workers carry the load
  stop();
  const r = await loading;
  expect(r.failures).toEqual([]);
  const after = await pidsOf(f.port, 6);
  for (const pid of after) expect(before.has(pid)).toBe(false);
  f.child.kill("SIGTERM");
  expect((await f.exited).code).toBe(0);
}, 40_000);

test("reusePort: shared by two managers where Node supports it, else ERR_REUSEPORT_UNSUPPORTED", async () => {
  await init();
  const [maj, min] = process.versions.node.split(".").map(Number);
  const supported = maj > 23 || (maj === 23 && min >= 1) || (maj === 22 && min >= 12);
  const a = new Manager();
  const b = new Manager();
  try {
    if (!supported) {
      let err: unknown;
      try { a.listen("http://127.0.0.1:0", { reusePort: true }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(MongooseError);
      expect((err as MongooseError).code).toBe("ERR_REUSEPORT_UNSUPPORTED");
      return;
    }
    const la = a.listen("http://127.0.0.1:0", { reusePort: true });
    const { port } = await la.listening();
    const lb = b.listen(`http://127.0.0.1:${port}`, { reusePort: true });
    expect((await lb.listening()).port).toBe(port);
  } finally {
    a.close();
    b.close();
  }
});

test("listening(): at once for an ordinary bind; TypeError for a non-listener; options are checked", async () => {
  await init();
  const mgr = new Manager();
  try {
    const l = mgr.listen("http://127.0.0.1:0");
    expect(await l.listening()).toEqual(l.localAddr);
    expect(l.localAddr.port).toBeGreaterThan(0);
    const c = mgr.connect(`http://127.0.0.1:${l.localAddr.port}`);
    await expect(c.listening()).rejects.toThrow(TypeError);
    expect(() => mgr.listen("http://127.0.0.1:0", { reusePort: "yes" as never })).toThrow(/reusePort must be a boolean/);
    expect(() => mgr.listen("http://127.0.0.1:0", { exclusive: 1 as never })).toThrow(/exclusive must be a boolean/);
  } finally {
    mgr.close();
  }
});
