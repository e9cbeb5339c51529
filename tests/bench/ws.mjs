// ws.mjs: WebSocket echo, tsmongoose vs the `ws` npm package, side by side
// in one run with the same load generator (ws-load.mjs): round trips per
// second and throughput for 32 B, 4 KiB and 1 MiB messages over 50
// connections (one message in flight each), and memory per idle WebSocket.
// tsmongoose runs twice: echoing the message itself (`wsSend(msg)`, sent
// from the core's memory) and echoing `msg.data` (a copy out to JavaScript,
// what code that keeps the payload pays). Beside round trips per second it
// reports each server's CPU time per round trip: with one message in flight
// the load generator, not the server, can be what saturates.
// Run alone (`node tests/bench/ws.mjs`) or as the "ws" case of run.mjs.
// The load generator is ws-load-c/ws_load.c (compiled here with cc; one
// epoll thread, cheaper per echo than either server), else ws-load.mjs.
// Environment: BENCH_DURATION (s per run, default 10), BENCH_WARMUP (s,
// default 2), BENCH_ROUNDS (default 3; the median is reported),
// BENCH_IDLE_CONNS (idle WebSockets for the memory case, default 1000),
// BENCH_PIN (1: server on CPU 0, load generator on CPU 1), BENCH_WS_SIZES
// (comma list of the message cases to run, e.g. "1MiB"; default all;
// "deflate" is the permessage-deflate rows of ws-deflate.mjs).
import { execFile, fork, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import * as net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * User CPU Node itself spends per read and write of a socket (libuv, the
 * StreamBase callbacks, entering JavaScript), measured in the hello-world
 * profile (docs/performance-limits.md, "Node and libuv (native)").
 */
const NODE_CALLBACK_US = 1.2;
const here = dirname(fileURLToPath(import.meta.url));
const SERVERS = {
  tsmongoose: { file: "ws-tsmongoose.mjs", env: {} },
  "tsmongoose (msg.data)": { file: "ws-tsmongoose.mjs", env: { WS_ECHO: "copy" } },
  ws: { file: "ws-ws.mjs", env: {} },
  // Small messages only: its byte-at-a-time unmasking makes it no ceiling for big ones.
  "raw handle (ceiling)": { file: "ws-raw-handle.mjs", env: {}, only: ["32B", "32B x16"] },
};
const MEMORY_SERVERS = ["tsmongoose", "ws"];
// Small messages run twice: one in flight per connection (latency-bound)
// and 16 in flight (what a busy chat or feed looks like: several frames per read).
const SIZES = [
  { id: "32B", bytes: 32, window: 1 }, { id: "32B x16", bytes: 32, window: 16 },
  { id: "4KiB", bytes: 4096, window: 1 }, { id: "4KiB x16", bytes: 4096, window: 16 },
  { id: "1MiB", bytes: 1 << 20, window: 1 },
];
const CONNS = 50;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const num = (x, digits, unit = "") => (Number.isFinite(x) ? x.toFixed(digits) + unit : "-");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system, all threads) process `pid` has used, from /proc; NaN where there is none. */
function cpuSeconds(pid, userOnly = false) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
    return (Number(f[11]) + (userOnly ? 0 : Number(f[12]))) / 100; // utime, stime in USER_HZ (100 on Linux)
  } catch {
    return NaN;
  }
}

function startServer(name, pin) {
  const child = fork(join(here, "servers", SERVERS[name].file), [], { env: { ...process.env, ...SERVERS[name].env }, execArgv: ["--expose-gc", ...(process.env.BENCH_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [])], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  if (pin) spawnSync("taskset", ["-a", "-p", "-c", "0", String(child.pid)], { stdio: "ignore" });
  const next = (type) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no '${type}' within 20 s`)), 20_000);
    const onMsg = (m) => { if (m?.type === type) { clearTimeout(timer); child.off("message", onMsg); resolve(m); } };
    child.on("message", onMsg);
  });
  return next("ready").then(({ port }) => ({
    port,
    cpu: () => cpuSeconds(child.pid),
    user: () => cpuSeconds(child.pid, true),
    mem: () => { const p = next("mem"); child.send({ type: "mem" }); return p; },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => { clearTimeout(timer); resolve(); });
      child.send({ type: "stop" });
    }),
  }));
}

let nativeLoad; // path of the compiled ws-load-c/ws_load.c, or null (then ws-load.mjs)
function loadGenerator() {
  if (nativeLoad !== undefined) return nativeLoad;
  const out = join(here, "..", "..", "build", "bench", "ws_load");
  mkdirSync(dirname(out), { recursive: true });
  nativeLoad = null;
  for (const cc of [process.env.CC, "cc", "gcc", "clang"].filter(Boolean)) {
    if (spawnSync(cc, ["-O2", "-o", out, join(here, "ws-load-c", "ws_load.c")], { stdio: "ignore" }).status === 0) {
      nativeLoad = out;
      break;
    }
  }
  console.log(`  load generator: ${nativeLoad ? "native (ws-load-c/ws_load.c, epoll)" : "ws-load.mjs (no C compiler)"}`);
  return nativeLoad;
}

function load(port, size, warmupMs, durationMs, pin, window = 1) {
  const native = loadGenerator();
  const rest = [port, size, CONNS, warmupMs, durationMs, window].map(String);
  const args = native ? rest : [join(here, "ws-load.mjs"), ...rest];
  const exe = native ?? process.execPath;
  const [cmd, argv] = pin ? ["taskset", ["-c", "1", exe, ...args]] : [exe, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: warmupMs + durationMs + 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`load generator failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split("\n").pop()));
    });
  });
}

/** Open `n` WebSockets (raw handshakes) and leave them idle. */
async function openIdle(port, n) {
  const socks = [];
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => new Promise((resolve, reject) => {
      const key = randomBytes(16).toString("base64");
      const want = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
      const s = net.connect(port, "127.0.0.1", () => s.write(`GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
      let head = "";
      s.on("data", (d) => {
        head += d.toString("latin1");
        if (head.includes("\r\n\r\n")) { if (head.includes(want)) resolve(); else reject(new Error(head)); }
      });
      s.on("error", reject);
      socks.push(s);
    })));
  }
  return socks;
}

async function idleMemory(name, n, pin) {
  const srv = await startServer(name, pin);
  let socks = [];
  try {
    await load(srv.port, 32, 200, 500, pin); // warm the code paths up before the baseline
    await sleep(300);
    const before = await srv.mem();
    socks = await openIdle(srv.port, n);
    await sleep(2000); // idle: tsmongoose frees the buffers of WebSockets quiet for 1 s
    const after = await srv.mem();
    return { server: name, conns: n, rssPerConn: (after.rss - before.rss) / n, heapPerConn: (after.heapUsed - before.heapUsed) / n };
  } finally {
    for (const s of socks) s.destroy();
    await srv.stop();
  }
}

/** The whole WebSocket bench; returns the results and prints a table. */
export async function wsBench(opts = {}) {
  const env = process.env;
  const pin = opts.pin ?? (env.BENCH_PIN !== undefined && env.BENCH_PIN !== "" ? env.BENCH_PIN === "1"
    : cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0);
  const duration = opts.durationS ?? Number(env.BENCH_DURATION || 10);
  const warmup = opts.warmupS ?? Number(env.BENCH_WARMUP || Math.min(2, duration));
  const rounds = opts.rounds ?? Number(env.BENCH_ROUNDS || 3);
  const idle = opts.idleConns ?? Number(env.BENCH_IDLE_CONNS || 1000);
  const results = [];
  console.log(`WebSocket echo, ${CONNS} connections, 1 (or x16) messages in flight each (${rounds} round(s) of ${duration} s${pin ? ", server on CPU 0, load on CPU 1" : ""}):`);
  const only = env.BENCH_WS_SIZES ? env.BENCH_WS_SIZES.split(",").map((s) => s.trim()) : undefined;
  const names = Object.keys(SERVERS);
  for (const size of SIZES.filter((s) => only === undefined || only.includes(s.id))) {
    const servers = names.filter((n) => SERVERS[n].only === undefined || SERVERS[n].only.includes(size.id));
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    const cpus = Object.fromEntries(names.map((n) => [n, []]));
    const users = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      for (const name of servers) {
        const srv = await startServer(name, pin);
        try {
          // Server CPU over the measured window: sampled when the warm-up ends and when the load returns.
          let cpu0 = NaN, user0 = NaN;
          const mark = setTimeout(() => { cpu0 = srv.cpu(); user0 = srv.user(); }, warmup * 1000);
          const x = await load(srv.port, size.bytes, warmup * 1000, duration * 1000, pin, size.window);
          clearTimeout(mark);
          const rate = x.roundTrips / x.seconds;
          runs[name].push(rate);
          cpus[name].push(((srv.cpu() - cpu0) / x.roundTrips) * 1e6);
          users[name].push(((srv.user() - user0) / x.roundTrips) * 1e6);
          console.log(`  ${size.id.padEnd(8)} ${name.padEnd(21)} round ${r + 1}: ${rate.toFixed(0)} round trips/s, ${cpus[name].at(-1).toFixed(1)} us server CPU per round trip (${users[name].at(-1).toFixed(1)} us user)`);
        } finally {
          await srv.stop();
        }
      }
    }
    const rate = Object.fromEntries(names.map((n) => [n, runs[n].length ? median(runs[n]) : NaN]));
    const cpu = Object.fromEntries(names.map((n) => [n, cpus[n].length ? median(cpus[n]) : NaN]));
    const user = Object.fromEntries(names.map((n) => [n, users[n].length ? median(users[n]) : NaN]));
    results.push({ size: size.id, bytes: size.bytes, tsmongoose: rate.tsmongoose, tsmongooseCopy: rate["tsmongoose (msg.data)"], ws: rate.ws,
      ratio: rate.tsmongoose / rate.ws, ratioCopy: rate["tsmongoose (msg.data)"] / rate.ws,
      ceiling: rate["raw handle (ceiling)"], cpuUsCeiling: cpu["raw handle (ceiling)"],
      cpuUsOurs: cpu.tsmongoose, cpuUsCopy: cpu["tsmongoose (msg.data)"], cpuUsWs: cpu.ws,
      userUsOurs: user.tsmongoose, userUsCopy: user["tsmongoose (msg.data)"], userUsWs: user.ws, userUsCeiling: user["raw handle (ceiling)"],
      mbPerSecOurs: (rate.tsmongoose * size.bytes * 2) / 2 ** 20, mbPerSecWs: (rate.ws * size.bytes * 2) / 2 ** 20 });
  }
  const memory = [];
  for (const name of MEMORY_SERVERS) memory.push(await idleMemory(name, idle, pin));
  let deflate;
  if (only === undefined || only.includes("deflate")) {
    const { wsDeflateBench } = await import("./ws-deflate.mjs");
    deflate = await wsDeflateBench({ durationS: duration, rounds });
  }
  const lines = ["", "| message (in flight) | tsmongoose rt/s | same, echoing msg.data | ws rt/s | raw handle ceiling rt/s | ratio | ratio, msg.data | ceiling / ws | server CPU per rt: tsmongoose / msg.data / ws / ceiling | of it user time | ws CPU / ours (msg / msg.data) | tsmongoose MiB/s | ws MiB/s |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"];
  for (const r of results) {
    lines.push(`| ${r.size} | ${r.tsmongoose.toFixed(0)} | ${r.tsmongooseCopy.toFixed(0)} | ${r.ws.toFixed(0)} | ${num(r.ceiling, 0)} | ${r.ratio.toFixed(2)}x | ${r.ratioCopy.toFixed(2)}x | ${num(r.ceiling / r.ws, 2, "x")} | ` +
      `${r.cpuUsOurs.toFixed(1)} / ${r.cpuUsCopy.toFixed(1)} / ${r.cpuUsWs.toFixed(1)} / ${num(r.cpuUsCeiling, 1)} us | ` +
      `${r.userUsOurs.toFixed(1)} / ${r.userUsCopy.toFixed(1)} / ${r.userUsWs.toFixed(1)} / ${num(r.userUsCeiling, 1)} us | ` +
      `${(r.cpuUsWs / r.cpuUsOurs).toFixed(2)}x / ${(r.cpuUsWs / r.cpuUsCopy).toFixed(2)}x | ${r.mbPerSecOurs.toFixed(1)} | ${r.mbPerSecWs.toFixed(1)} |`);
  }
  const small = results.find((r) => r.size === "32B");
  if (small) {
    const best = Math.min(small.cpuUsOurs, small.cpuUsCopy);
    const met = small.cpuUsWs / best >= 1.5;
    // The system time (CPU minus user time) is one read and one write per
    // round trip, the same for every server: only user time can shrink.
    const sys = small.cpuUsOurs - small.userUsOurs;
    const userRoom = small.cpuUsWs / 1.5 - sys;
    lines.push("", `32 B target (server CPU per round trip >= 1.5x less than ws): ${met ? "met" : "NOT met"}: ` +
      `ws / ours ${(small.cpuUsWs / small.cpuUsOurs).toFixed(2)}x (wsSend(msg)), ${(small.cpuUsWs / small.cpuUsCopy).toFixed(2)}x (wsSend(msg.data)); ` +
      `the raw-handle ceiling, which only unmasks and writes, is ${num(small.cpuUsWs / small.cpuUsCeiling, 2, "x")}` +
      (met ? "" : `. The read and write system calls take ${sys.toFixed(1)} us per round trip in every server; 1.5x less than ws's ` +
        `${small.cpuUsWs.toFixed(1)} us leaves ${userRoom.toFixed(1)} us of user time for everything else (ours: ${small.userUsOurs.toFixed(1)} us, ` +
        `ws ${small.userUsWs.toFixed(1)}, the ceiling ${num(small.userUsCeiling, 1)})` +
        (userRoom < NODE_CALLBACK_US ? `: less than Node's own path for one read and one write (libuv, StreamBase, the calls into JavaScript: ` +
          `about ${NODE_CALLBACK_US} us, docs/performance-limits.md), so no server on Node reaches it on this machine` : "")));
  }
  lines.push("", `| idle WebSockets (${idle}) | RSS per connection | JS heap per connection |`, "|---|---:|---:|");
  for (const m of memory) lines.push(`| ${m.server} | ${(m.rssPerConn / 1024).toFixed(1)} KiB | ${(m.heapPerConn / 1024).toFixed(1)} KiB |`);
  if (deflate) lines.push(deflate.table);
  console.log(lines.join("\n"));
  return { connections: CONNS, rounds, durationS: duration, results, memory, deflate, table: lines.join("\n") };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await wsBench();
}
