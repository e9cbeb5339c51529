// ctrl-c.test.ts: issue #22 item 2: Ctrl+C under `npm start` lets requests
// in flight finish. A terminal's Ctrl+C sends SIGINT to the whole foreground
// process group: node gets it, and npm forwards its own copy once more. Each
// test starts npm in a process group of its own (detached: setsid), puts a
// slow request in flight and signals the group as a terminal does
// (kill -INT -- -PGID). Shapes: a user's project whose start script is
// `node app.mjs` (npm runs it through sh), one with `exec node app.mjs`, and
// the repository's own `npm start` (scripts/start.mjs). A deliberate second
// press, after the press window (1000 ms), still forces.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture, reportOf, root } from "./fixtures/child";
import { HttpConn, connectOutcome } from "./fixtures/http-conn";

/** run()'s default signalWindowMs (ts/signal-press.ts). */
const WINDOW_MS = 1000;

interface Group {
  child: ChildProcess;
  pgid: number;
  output(): string;
  /** Resolve with the first match of `re` in the output, or reject after `ms`. */
  waitFor(re: RegExp, ms: number): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const groups: Group[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g.pgid, "SIGKILL"); // the group this test started: npm, sh, node
    } catch {
      // already gone
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `npm start --silent` in `cwd`, leading a process group of its own (setsid). */
function npmStart(cwd: string): Group {
  const child = spawn("npm", ["start", "--silent"], {
    cwd, detached: true, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (d: string): void => {
    out += d;
    for (const w of waiters) w();
  };
  child.stdout!.setEncoding("utf8").on("data", onData);
  child.stderr!.setEncoding("utf8").on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  const waitFor = (re: RegExp, ms: number): Promise<RegExpExecArray> => new Promise((resolve, reject) => {
    const check = (): void => {
      const m = re.exec(out);
      if (!m) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve(m);
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`no ${re} within ${ms} ms; output:\n${out}`));
    }, ms);
    waiters.add(check);
    check();
  });
  const g: Group = { child, pgid: child.pid!, output: () => out, waitFor, exited };
  groups.push(g);
  return g;
}

/** A throwaway user project: package.json with `start`, app.mjs, tsmongoose installed as a link (npm i ../tsmongoose). */
function userProject(start: string): string {
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-ctrl-c-"));
  dirs.push(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({
    name: "ctrl-c-app", version: "1.0.0", private: true, type: "module", scripts: { start },
  }));
  copyFileSync(fixture("ctrl-c-app.mjs"), join(dir, "app.mjs"));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules", "tsmongoose"), "dir");
  return dir;
}

/** Resolve with the exit, or reject after `ms` with the output. */
async function exitWithin(g: Group, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([g.exited, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`npm not exited within ${ms} ms; output:\n${g.output()}`)), ms);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

/** True once no process of the group is left (none orphaned, still serving), polled up to `ms`. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return true;
    }
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One Ctrl+C with /slow?ms=1500 in flight: the request gets its 200, the
 * report lists it completed and nothing forced, npm exits as `npmExit`
 * allows, no process of the group is left, the port closes.
 * `inFlight` is the server's line saying it has the request (none: the
 * connection was served once before, so it is accepted and the request is
 * answered even if read after the signal).
 */
async function ctrlCWithSlowRequest(g: Group, portLine: RegExp, inFlight?: RegExp, npmExit: (number | string)[] = [0]): Promise<void> {
  const port = Number((await g.waitFor(portLine, 60_000))[1]);
  const c = await HttpConn.open(port);
  await c.send("/");
  expect((await c.next(10_000)).status).toBe(200); // accepted and served: the server has this connection
  const sent = Date.now();
  await c.send("/slow?ms=1500");
  if (inFlight) await g.waitFor(inFlight, 10_000);
  process.kill(-g.pgid, "SIGINT"); // what the terminal does on Ctrl+C
  const res = await c.next(15_000);
  const ms = Date.now() - sent;
  const exit = await exitWithin(g, 15_000);
  const out = g.output();
  console.log(`Ctrl+C with /slow?ms=1500 in flight: ${res.status} after ${ms} ms; ${/shutdown report: .*/.exec(out)?.[0]}`);
  expect(res.status).toBe(200);
  expect(res.body.toString()).toMatch(/^(Slow hello after 1500 ms\n|slow 1500)$/); // the example's, the user app's
  expect(ms).toBeGreaterThanOrEqual(1400);
  expect(reportOf(out)).toMatchObject({ signal: "SIGINT", completed: 1, forced: [] });
  expect(npmExit).toContain(exit.code ?? exit.signal);
  expect(await groupGone(g.pgid, 5000)).toBe(true);
  expect(await connectOutcome(port)).toBe("ECONNREFUSED");
  c.destroy();
}

const appListening = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

// With `node app.mjs` npm runs `sh -c`: node gets only the terminal's copy
// (npm forwards to sh), and dash, having seen SIGINT itself, dies of it once
// node exited 0, so npm exits by SIGINT too; a bash sh exits 0.
test.each([
  ["node app.mjs", [0, "SIGINT"]],
  ["exec node app.mjs", [0]],
])("user project, start script `%s`: Ctrl+C lets the request in flight finish", async (start, npmExit) => {
  await ctrlCWithSlowRequest(npmStart(userProject(start)), appListening, /slow request in: 1500 ms/, npmExit);
}, 90_000);

test("the repository's own `npm start`: Ctrl+C lets the request in flight finish", async () => {
  await ctrlCWithSlowRequest(npmStart(root), /Server running on http:\/\/127\.0\.0\.1:(\d+)/);
}, 90_000);

test("a deliberate second Ctrl+C, after the press window, forces at once", async () => {
  const g = npmStart(userProject("exec node app.mjs"));
  const port = Number((await g.waitFor(appListening, 60_000))[1]);
  const c = await HttpConn.open(port);
  await c.send("/slow?ms=20000");
  await g.waitFor(/slow request in: 20000 ms/, 10_000);
  process.kill(-g.pgid, "SIGINT");
  await g.waitFor(/hook: SIGINT/, 10_000);
  // The press started before the hook ran: a signal sent WINDOW_MS after
  // the hook line is seen lands outside the window, however slow the child.
  const pressSeen = Date.now();
  await new Promise((r) => setTimeout(r, pressSeen + WINDOW_MS + 50 - Date.now()));
  expect(g.child.exitCode).toBeNull(); // npm's forwarded copy did not force: still waiting for /slow (up to 20 s)
  const t0 = Date.now();
  process.kill(-g.pgid, "SIGINT");
  const exit = await exitWithin(g, 10_000);
  console.log(`second Ctrl+C ${t0 - pressSeen} ms after the first was seen: exit ${exit.code} ${exit.at - t0} ms later`);
  // node exits 0 within ms of the press; npm got the same SIGINT and may
  // see node's exit first, drop its forwarding handler and die of it.
  expect([0, "SIGINT"]).toContain(exit.code ?? exit.signal);
  expect(exit.at - t0).toBeLessThan(5000);
  // npm may die of the SIGINT before node (which writes to the same pipe)
  // has printed its report: wait for the line, not for npm's exit.
  await g.waitFor(/shutdown report: \{/, 5000);
  const report = reportOf(g.output());
  expect(report).toMatchObject({ signal: "SIGINT", completed: 0 });
  expect(report.forced).toHaveLength(1);
  expect(report.forced[0]).toMatchObject({ uri: "/slow?ms=20000" });
  expect(report.forced[0].busyMs).toBeGreaterThanOrEqual(WINDOW_MS);
  expect(await c.waitEnd(5000)).toBe(true);
  c.destroy();
  expect(await groupGone(g.pgid, 5000)).toBe(true);
}, 90_000);
