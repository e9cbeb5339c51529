// nginx-rolling.test.ts: a rolling restart behind a real proxy. Debian's
// nginx (started here on a loopback port, default proxy settings plus
// upstream keep-alive, max_fails=0 and keepalive_timeout below the
// backends', as docs/cluster.md advises) fronts two `npm start` servers;
// while wrk keeps 20 keep-alive connections busy, each backend in turn gets
// SIGTERM and a fresh process takes its port, and the next one goes down
// once nginx is passing requests to the fresh one. Every answer wrk sees must be a 2xx, with
// no socket errors, and nginx must not have answered any request itself
// (502/504). nginx and wrk come from the set-up (scripts/tools.sh).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTool } from "./helpers/tools";
import { freePort } from "./helpers/mqtt-peers";
import { exampleScript, killAll, startChild, type ChildServer } from "./fixtures/child";

let dir = ""; // set in beforeAll; empty when it failed early
let nginxBin = "nginx";
let nginx: ChildProcess | undefined;

beforeAll(() => {
  nginxBin = requireTool("nginx");
  requireTool("wrk");
  dir = mkdtempSync(join(tmpdir(), "tsmongoose-nginx-"));
});
afterEach(() => {
  if (nginx && nginx.exitCode === null) nginx.kill("SIGKILL");
  nginx = undefined;
  killAll();
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });


async function startNginx(backends: number[]): Promise<number> {
  const port = await freePort();
  const conf = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  # The upstream's own status and address beside nginx's: which side answered what.
  log_format upstreams '"$request" $status $upstream_status $upstream_addr $msec';
  access_log ${dir}/access.log upstreams;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
    # max_fails=0: a backend that refused a connection while it restarted is
    # not taken out for fail_timeout (10 s), so restarting the next one right
    # after cannot leave nginx with no backend (it would answer 502).
    ${backends.map((p) => `server 127.0.0.1:${p} max_fails=0;`).join("\n    ")}
    keepalive 16;
    # Below the backends' keep-alive timeout (5 s): nginx drops an idle
    # upstream connection before a backend would, so it never sends a
    # request on one the backend is closing. Without it, under load, a
    # request and its retry both met such a connection now and then (502).
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  nginx = spawn(nginxBin, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  // Ready once it answers through to a backend.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      if (res.status === 200) return port;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`nginx did not come up:\n${readFileSync(join(dir, "error.log"), "utf8")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What happened when, for the failure message. */
const events: string[] = [];
const stamp = (what: string, at = Date.now()): void => { events.push(`${(at / 1000).toFixed(3)} ${what}`); };

/**
 * SIGTERM `old`; once its listener is closed, a fresh server on the same
 * port. Resolves once the old one has exited and nginx has passed 50
 * requests to the fresh one, as a rolling restart waits before it takes the
 * next backend down: a request refused by the restarting backend just
 * before the fresh one listened is retried on the other backend, and if
 * that one closed its listener at that moment, the connection nginx had
 * just opened (still in the accept queue) is reset and nginx answers 502.
 */
async function restart(old: ChildServer): Promise<ChildServer> {
  stamp(`SIGTERM to ${old.port}`);
  old.child.kill("SIGTERM");
  const deadline = Date.now() + 10_000;
  while (!/Received SIGTERM/.test(old.output())) {
    if (Date.now() > deadline) throw new Error(`no shutdown line:
${old.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const fresh = await startChild(exampleScript, { PORT: String(old.port) });
  stamp(`fresh ${old.port} listening`);
  const exit = await Promise.race([old.exited, new Promise<undefined>((r) => setTimeout(r, 15_000))]);
  if (exit === undefined) throw new Error(`the old backend did not exit within 15 s:\n${old.output()}`);
  stamp(`old ${old.port} exited, ${/shutdown report: (.*)/.exec(old.output())?.[1] ?? "no report"}`, exit.at);
  await untilServedBy(old.port, 50);
  stamp(`nginx reaches fresh ${old.port}`);
  return fresh;
}

/** Resolves once nginx has logged `n` 200s from the upstream at `port` (counting from now); throws after 15 s. */
async function untilServedBy(port: number, n: number): Promise<void> {
  const from = statSync(join(dir, "access.log")).size; // only what is logged from now on
  const deadline = Date.now() + 15_000;
  for (;;) {
    const served = accessLog(from).filter((e) => e.status === "200" && e.upstream === `127.0.0.1:${port}`).length;
    if (served >= n) return;
    if (Date.now() > deadline) throw new Error(`nginx passed ${served} < ${n} requests to the fresh backend on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** nginx's access log from byte `from`: each line, its status and the upstream that answered last. */
function accessLog(from = 0): { line: string; status: string; upstream: string }[] {
  return readFileSync(join(dir, "access.log")).subarray(from).toString("utf8").split("\n").filter(Boolean).map((line) => ({
    line,
    status: /" (\d{3}) /.exec(line)?.[1] ?? "",
    upstream: /([\d.]+:\d+) [\d.]+$/.exec(line)?.[1] ?? "",
  }));
}

/** nginx's [error] lines, counted by second, reason and upstream. */
function errorSummary(): string[] {
  const counts = new Map<string, number>();
  for (const l of readFileSync(join(dir, "error.log"), "utf8").split("\n")) {
    const m = /^(\S+ \S+) \[error\] \S+ \*\d+ (.*?), client: .*upstream: "(.*?)"/.exec(l);
    const key = m && `${m[1]} ${m[2]} ${m[3]}`;
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, c]) => `${c}x ${k}`);
}

/** Requests in nginx's access log so far. */
function logged(): number {
  return readFileSync(join(dir, "access.log"), "utf8").split("\n").length - 1;
}

/** Resolves once nginx has logged `n` requests; throws after 15 s. */
async function untilLogged(n: number, what: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (logged() < n) {
    if (Date.now() > deadline) throw new Error(`nginx logged ${logged()} < ${n} requests; ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("rolling restart of both backends under wrk: only 2xx, no socket errors, no proxy errors", async () => {
  let a = await startChild(exampleScript);
  let b = await startChild(exampleScript);
  const port = await startNginx([a.port, b.port]);
  // wrk runs until told to stop (SIGINT makes it print its summary).
  const wrk = spawn("wrk", ["-t1", "-c20", "-d60s", `http://127.0.0.1:${port}/`], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  wrk.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  const wrkDone = new Promise<number | null>((resolve) => wrk.on("exit", resolve));
  let duringRestarts = 0;
  let beforeStop = 0;
  try {
    await untilLogged(200, () => `wrk said:\n${out}`); // load established
    const before = logged();
    a = await restart(a);
    b = await restart(b);
    duringRestarts = logged() - before;
    await untilLogged(logged() + 200, () => `wrk said:\n${out}`); // and carried on by the new processes
    beforeStop = logged();
    wrk.kill("SIGINT");
    await wrkDone;
  } finally {
    if (wrk.exitCode === null) wrk.kill("SIGKILL");
  }
  expect(out).toMatch(/\d+ requests in/);
  expect(duringRestarts).toBeGreaterThan(0);
  const odd = accessLog().filter((e) => e.status !== "200" && e.status !== "499").map((e) => e.line);
  // On failure, say who answered what (status, upstream statuses and
  // addresses, time), why nginx gave up on an upstream (its error log) and
  // when each backend went down and came back.
  const why = odd.length ? [...errorSummary(), ...events] : [];
  expect({ wrk: /Non-2xx or 3xx responses: \d+/.exec(out)?.[0] ?? "", odd: odd.slice(0, 10), why }).toEqual({ wrk: "", odd: [], why: [] });
  expect(out).not.toMatch(/Socket errors/);
  // nginx answered nothing itself: every request logged before wrk was
  // stopped is a 200; after it, only 499s (wrk closed its own requests).
  const statuses = accessLog().map((e) => e.status);
  expect(statuses.slice(0, beforeStop).filter((s) => s !== "200")).toEqual([]);
  expect(statuses.slice(beforeStop).filter((s) => s !== "200" && s !== "499")).toEqual([]);
}, 60_000);
