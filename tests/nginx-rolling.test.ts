// nginx-rolling.test.ts: a rolling restart behind a real proxy. Debian's
// nginx (started here on a loopback port, default proxy settings plus
// upstream keep-alive, max_fails=0 and keepalive_timeout below the
// backends', as docs/cluster.md advises) fronts two `npm start` servers; while wrk keeps 20
// keep-alive connections busy, each backend in turn gets SIGTERM and a
// fresh process takes its port. Every answer wrk sees must be a 2xx, with
// no socket errors, and nginx must not have answered any request itself
// (502/504). Installs nginx and wrk with apt-get when missing (root only).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exampleScript, killAll, root, startChild, type ChildServer } from "./fixtures/child";

const NGINX = "/usr/sbin/nginx";
let dir: string;
let nginx: ChildProcess | undefined;

beforeAll(() => {
  for (const tool of ["nginx", "wrk"]) execFileSync("bash", [join(root, "scripts", "ensure-tool.sh"), tool], { stdio: "inherit" });
  dir = mkdtempSync(join(tmpdir(), "tsmongoose-nginx-"));
});
afterEach(() => {
  if (nginx && nginx.exitCode === null) nginx.kill("SIGKILL");
  nginx = undefined;
  killAll();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A free loopback port (closed again at once; nginx binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    }).on("error", reject);
  });
}

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
  log_format upstreams '"$request" $status $upstream_status $upstream_addr';
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
  nginx = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
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

/**
 * SIGTERM `old`; once its listener is closed, a fresh server on the same
 * port; resolves when the old one has finished draining and exited, as a
 * rolling restart waits before it takes the next backend down (two backends
 * draining at once could both close the idle upstream connection nginx
 * picks for a request and its retry).
 */
async function restart(old: ChildServer): Promise<ChildServer> {
  old.child.kill("SIGTERM");
  const deadline = Date.now() + 10_000;
  while (!/Received SIGTERM/.test(old.output())) {
    if (Date.now() > deadline) throw new Error(`no shutdown line:\n${old.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const fresh = await startChild(exampleScript, { PORT: String(old.port) });
  const exit = await Promise.race([old.exited, new Promise<undefined>((r) => setTimeout(r, 15_000))]);
  if (exit === undefined) throw new Error(`the old backend did not exit within 15 s:\n${old.output()}`);
  return fresh;
}

/** Lines in nginx's access log so far. */
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
  const lines = readFileSync(join(dir, "access.log"), "utf8").split("\n").filter(Boolean);
  const odd = lines.filter((l) => !/" 200 /.test(l) && !/" 499 /.test(l));
  // On failure, say who answered what (status, upstream statuses, upstream addresses).
  expect({ wrk: /Non-2xx or 3xx responses: \d+/.exec(out)?.[0] ?? "", odd: odd.slice(0, 10) }).toEqual({ wrk: "", odd: [] });
  expect(out).not.toMatch(/Socket errors/);
  // nginx answered nothing itself: every request logged before wrk was
  // stopped is a 200; after it, only 499s (wrk closed its own requests).
  const statuses = readFileSync(join(dir, "access.log"), "utf8").split("\n").filter(Boolean)
    .map((l) => /" (\d{3}) /.exec(l)?.[1]);
  expect(statuses.slice(0, beforeStop).filter((s) => s !== "200")).toEqual([]);
  expect(statuses.slice(beforeStop).filter((s) => s !== "200" && s !== "499")).toEqual([]);
}, 60_000);
