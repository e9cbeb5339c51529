// `npm run bench`: tsmongoose vs node:http vs a raw node:net ceiling, side by
// side in one run, driven by wrk. Not a timed test: it prints tables and
// writes build/bench.json and build/bench.md.
//
// Every server runs in its own child process on a 127.0.0.1 ephemeral port;
// only one server and one wrk run at a time. Environment:
//   BENCH_DURATION  seconds per measured wrk run (default 10)
//   BENCH_WARMUP    seconds of unrecorded wrk warm-up per run (default 2)
//   BENCH_ROUNDS    rounds over all servers, alternating; the median over the
//                   rounds that ran on an otherwise idle machine (or over all
//                   rounds when none did) is reported (default 3)
//   BENCH_IDLE_CONNS idle keep-alive connections for the memory case (default 1000)
//   BENCH_SERVERS   comma list among tsmongoose,node-http,raw-net,raw-handle
//                   (default all; raw-handle is the ceiling of the libuv
//                   handles tsmongoose's default transport uses)
//   BENCH_CASES     comma list among hello,100k,upload,memory,cluster,ws,utils,tls,static (default all;
//                   ws = WebSocket echo vs the ws package, tests/bench/ws.mjs;
//                   utils: tests/bench/utils.mjs, each utility against Node's;
//                   tls = HTTPS vs node:https, tests/bench/tls.mjs;
//                   static = tests/bench/static.mjs, static files;
//                   storm = tests/bench/storm.mjs, memory under a reset storm vs node:http)
//   BENCH_PIN       1: each server (all its threads) on CPU 0 and wrk on CPU 1,
//                   so the load generator never competes with the server for
//                   a core; 0: both share all cores. Default 1 where taskset
//                   exists and there are at least 2 cores.
//   BENCH_MQTT      0 skips the MQTT part (tests/bench/mqtt.mjs, its own variables)
//   BENCH_THREADS   wrk threads (default 1 when pinned: one core, one thread,
//                   no time-slicing inside wrk to inflate latencies; else 2)
//   BENCH_FETCH     0: skip the fetch-handler bench (Hono on tsmongoose vs
//                   @hono/node-server vs node:http, tests/bench/fetch.mjs)
import { execFileSync, fork, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { openIdle, probe, sleep } from "./clients.mjs";
import { cpuSeconds } from "./proc.mjs";
import { render, LABEL } from "./report.mjs";
import { parseWrk, runWrk, wrkArgs } from "./wrk.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const env = process.env;
const posInt = (name, dflt) => {
  const v = env[name] === undefined || env[name] === "" ? dflt : Number(env[name]);
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`${name} must be a positive integer, got '${env[name]}'`);
  return v;
};
const list = (name, all) => {
  const v = env[name] ? env[name].split(",").map((s) => s.trim()).filter(Boolean) : all;
  const bad = v.filter((s) => !all.includes(s));
  if (bad.length) throw new RangeError(`${name}: unknown ${bad.join(", ")} (known: ${all.join(", ")})`);
  return v;
};

const DURATION = posInt("BENCH_DURATION", 10);
const WARMUP = posInt("BENCH_WARMUP", Math.min(2, DURATION));
const ROUNDS = posInt("BENCH_ROUNDS", 3);
const IDLE = posInt("BENCH_IDLE_CONNS", 1000);
const SERVERS = list("BENCH_SERVERS", ["tsmongoose", "node-http", "raw-net", "raw-handle"]);
const CASES = list("BENCH_CASES", ["hello", "100k", "upload", "memory", "cluster", "ws", "utils", "tls", "static", "storm"]);
const canPin = () => cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
const PIN = env.BENCH_PIN === undefined || env.BENCH_PIN === "" ? canPin() : env.BENCH_PIN === "1";
const THREADS = posInt("BENCH_THREADS", PIN ? 1 : 2), CONNECTIONS = 50;
const BUSY = 0.15; // CPU fraction used by other work above which a run is flagged as noisy
const UPLOAD_BYTES = 1024 * 1024;

const tmp = mkdtempSync(join(tmpdir(), "tsmongoose-bench-"));
const uploadLua = join(tmp, "upload.lua");
writeFileSync(uploadLua, [
  "-- 1 MiB POST body; wrk adds the Content-Length header.",
  'wrk.method = "POST"',
  `wrk.body = string.rep("x", ${UPLOAD_BYTES})`,
  'wrk.headers["Content-Type"] = "application/octet-stream"', ""].join("\n"));

/** The load cases: what wrk requests and what a correct answer looks like. */
const LOAD_CASES = [
  { id: "hello", title: "hello world", path: "/", rawMode: "hello", bodyBytes: 13 },
  { id: "100k", title: "100 KiB response", path: "/100k", rawMode: "100k", bodyBytes: 100 * 1024 },
  { id: "upload", title: "1 MiB upload", path: "/upload", rawMode: "upload", bodyBytes: 2, script: uploadLua,
    request: { method: "POST", body: Buffer.alloc(UPLOAD_BYTES, "x") } },
].filter((c) => CASES.includes(c.id));

function machine() {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown cpu";
  const wrkV = spawnSync("wrk", ["-v"], { encoding: "utf8" });
  const wrkVersion = /^wrk (\S+)/m.exec(wrkV.stdout + wrkV.stderr)?.[1] ?? "?";
  return { cpu: model.trim(), cores: cpus().length, os: `${process.platform} ${release()}`, node: process.version,
    wrk: `wrk ${wrkVersion}` };
}

/** Starts a server child; resolves with { child, port, mem(), stop() }. */
function startServer(server, rawMode) {
  const file = join(here, "servers", `${server}.mjs`);
  const child = fork(file, [rawMode], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  child.on("error", () => { /* a send to a dead child: its exit is reported instead */ });
  if (PIN) spawnSync("taskset", ["-a", "-p", "-c", "0", String(child.pid)], { stdio: "ignore" });
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGKILL") console.error(`  ${server} server exited unexpectedly (code ${code}, signal ${signal})`);
  });
  const next = (type, ms) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${server}: no '${type}' message within ${ms} ms`)); }, ms);
    const onMsg = (m) => { if (m?.type === type) { cleanup(); resolve(m); } };
    const onExit = (code) => { cleanup(); reject(new Error(`${server} exited (${code}) while waiting for '${type}'`)); };
    const cleanup = () => { clearTimeout(timer); child.off("message", onMsg); child.off("exit", onExit); };
    child.on("message", onMsg);
    child.on("exit", onExit);
  });
  return next("ready", 20_000).then(({ port, note }) => ({
    port, note, pid: child.pid,
    mem: () => { const p = next("mem", 10_000); child.send({ type: "mem" }); return p; },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => { clearTimeout(timer); resolve(); });
      if (child.connected) child.send({ type: "stop" }, () => { /* exit or the timer ends it */ });
      else child.kill("SIGKILL");
    }),
  }));
}

/** Fraction of all CPU time used over 1 s while the bench itself is idle. */
async function otherCpuLoad() {
  if (!existsSync("/proc/stat")) return 0;
  const sample = () => {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const a = sample();
  await sleep(1000);
  const b = sample();
  return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

/** One measured wrk run of `c` against a fresh `server` process. */
async function measure(server, c, report) {
  const commands = report.commands;
  const srv = await startServer(server, c.rawMode);
  if (srv.note) report.notes[server] = srv.note;
  try {
    const answer = await probe(srv.port, { path: c.path, ...c.request });
    if (answer.status !== 200 || answer.bodyBytes !== c.bodyBytes) {
      throw new Error(`${server} ${c.path}: expected 200 with ${c.bodyBytes} body bytes, got ${answer.status} with ${answer.bodyBytes}\n${answer.head}`);
    }
    const url = `http://127.0.0.1:${srv.port}${c.path}`;
    const base = { threads: THREADS, connections: CONNECTIONS, url, script: c.script };
    await runWrk(wrkArgs({ ...base, durationS: WARMUP }), (WARMUP + 30) * 1000, PIN);
    const busy = await otherCpuLoad(); // the server is idle now: this is other work
    const args = wrkArgs({ ...base, durationS: DURATION });
    const command = `wrk ${args.join(" ")}`;
    const template = command.replace(/127\.0\.0\.1:\d+/, "127.0.0.1:PORT").replace(uploadLua, "upload.lua");
    if (!commands.includes(template)) commands.push(template);
    process.stdout.write(`  ${LABEL[server].padEnd(13)} ${command}\n`);
    const cpu0 = cpuSeconds(srv.pid), user0 = cpuSeconds(srv.pid, true);
    const r = parseWrk(await runWrk(args, (DURATION + 30) * 1000, PIN));
    // Server CPU time per request (utime + stime): steadier than rates when other work shares the machine.
    r.cpuUsPerReq = r.requests > 0 ? ((cpuSeconds(srv.pid) - cpu0) / r.requests) * 1e6 : NaN;
    // Of it user time: what the server's own code spends (system time is the same read and write for every server).
    r.userUsPerReq = r.requests > 0 ? ((cpuSeconds(srv.pid, true) - user0) / r.requests) * 1e6 : NaN;
    if (!Number.isNaN(r.cpuUsPerReq)) console.log(`    server CPU ${r.cpuUsPerReq.toFixed(2)} us/request (${r.userUsPerReq.toFixed(2)} us user)`);
    if (r.socketErrors || r.non2xx) console.log(`    errors: ${r.socketErrorDetail || ""} non-2xx ${r.non2xx}`);
    if (busy > BUSY) console.log(`    note: ${(busy * 100).toFixed(0)}% CPU busy with other work right before this run`);
    return { ...r, busy, responseHeadBytes: answer.headBytes, responseHead: answer.head };
  } finally {
    await srv.stop();
  }
}

/** RSS growth of `server` while `IDLE` keep-alive connections sit idle. */
async function idleMemory(server) {
  const srv = await startServer(server, "hello");
  let sockets = [];
  try {
    // Warm the request path up before the baseline so JIT code is not counted.
    for (let i = 0; i < 200; i++) await probe(srv.port);
    await sleep(300);
    const before = await srv.mem();
    sockets = await openIdle(srv.port, IDLE);
    await sleep(1000);
    const after = await srv.mem();
    const open = sockets.filter((s) => !s.destroyed && s.readyState === "open").length;
    return { server, open, rssBefore: before.rss, rssAfter: after.rss,
      rssPerConn: (after.rss - before.rss) / IDLE, heapPerConn: (after.heapUsed - before.heapUsed) / IDLE,
      externalPerConn: (after.external - before.external) / IDLE };
  } finally {
    for (const s of sockets) s.destroy();
    await srv.stop();
  }
}

async function main() {
  execFileSync("bash", [join(root, "scripts", "tools.sh")], { stdio: "inherit" });
  if (SERVERS.includes("tsmongoose") && !existsSync(join(root, "dist", "index.mjs"))) {
    throw new Error("dist/ is not built: run `npm run bench` (it builds first) or `npm run build`");
  }
  const report = { date: new Date().toISOString(), machine: machine(), duration: DURATION, warmup: WARMUP, pinned: PIN,
    rounds: ROUNDS, commands: [], uploadLua: LOAD_CASES.some((c) => c.script) ? readFileSync(uploadLua, "utf8") : undefined,
    results: [], memory: [], notes: {}, quietRounds: {} };
  const busy = await otherCpuLoad();
  if (busy > BUSY) console.log(`note: ${(busy * 100).toFixed(0)}% of the machine's CPU is busy with other work: numbers will be noisy`);
  console.log(`tsmongoose bench: ${SERVERS.map((s) => LABEL[s]).join(" vs ")}; ${DURATION}s per run after ${WARMUP}s warm-up, ${ROUNDS} round(s)`);
  const m = report.machine;
  console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.os}, Node ${m.node}, ${m.wrk}`);
  console.log(PIN ? "placement: server on CPU 0, wrk on CPU 1 (BENCH_PIN=0 to share cores)\n"
    : "placement: server and wrk share all cores\n");

  for (const c of LOAD_CASES) {
    console.log(`${c.title} (${c.request?.method ?? "GET"} ${c.path}):`);
    const runs = Object.fromEntries(SERVERS.map((s) => [s, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of SERVERS) runs[server].push(await measure(server, c, report));
    }
    // Rounds in which every server's run started on an otherwise idle
    // machine; when there are any, only they count (other work on the same
    // cores skews a run far more than run-to-run variation does).
    const quiet = [...Array(ROUNDS).keys()].filter((i) => SERVERS.every((s) => runs[s][i].busy <= BUSY));
    const counted = quiet.length > 0 ? quiet : [...Array(ROUNDS).keys()];
    report.quietRounds[c.id] = { quiet: quiet.length, rounds: ROUNDS };
    for (const server of SERVERS) {
      const all = runs[server];
      const rs = counted.map((i) => all[i]);
      const med = (k) => median(rs.map((r) => r[k]));
      const sum = (k) => all.reduce((a, r) => a + r[k], 0);
      report.results.push({ caseId: c.id, caseTitle: c.title, server, rps: med("rps"), p50Ms: med("p50Ms"),
        p90Ms: med("p90Ms"), p99Ms: med("p99Ms"), transferPerSec: med("transferPerSec"), cpuUsPerReq: med("cpuUsPerReq"), userUsPerReq: med("userUsPerReq"),
        socketErrors: sum("socketErrors"), non2xx: sum("non2xx"),
        errorDetail: all.map((r) => r.socketErrorDetail).filter(Boolean), busy: all.map((r) => r.busy),
        counted: counted.map((i) => i + 1), responseHeadBytes: all[0].responseHeadBytes,
        responseHead: all[0].responseHead, runs: all.map((r) => r.rps) });
    }
  }
  if (CASES.includes("memory")) {
    console.log(`idle keep-alive connections (${IDLE} per server):`);
    for (const server of SERVERS) {
      const r = await idleMemory(server);
      console.log(`  ${LABEL[server].padEnd(13)} +${((r.rssAfter - r.rssBefore) / 1024 ** 2).toFixed(1)} MB RSS`);
      report.memory.push(r);
    }
  }

  if (env.BENCH_FETCH !== "0") {
    report.fetch = await (await import("./fetch.mjs")).runFetchBench({ duration: DURATION, warmup: WARMUP, rounds: ROUNDS, pin: PIN, threads: THREADS });
  }
  if (CASES.includes("tls")) {
    const { tlsBench } = await import("./tls.mjs");
    report.tls = await tlsBench({ duration: DURATION, warmup: WARMUP, rounds: ROUNDS, pin: PIN, threads: THREADS });
  }
  if (CASES.includes("cluster")) {
    const { benchCluster } = await import("./cluster.mjs");
    report.cluster = await benchCluster({ root, here, durationS: DURATION, warmupS: WARMUP, rounds: ROUNDS });
  }
  if (CASES.includes("ws")) {
    const { wsBench } = await import("./ws.mjs");
    report.ws = await wsBench({ pin: PIN, durationS: DURATION, warmupS: WARMUP, rounds: ROUNDS, idleConns: IDLE });
  }
  if (CASES.includes("storm")) report.storm = await (await import("./storm.mjs")).stormBench({ pin: PIN });
  if (CASES.includes("utils")) report.utils = await (await import("./utils.mjs")).benchUtils();

  const q = Object.entries(report.quietRounds);
  const noisyCases = q.filter(([, v]) => v.quiet === 0).map(([id]) => id);
  report.roundsNote = `medians over the rounds in which no other work used more than ${BUSY * 100}% of the CPU ` +
    `(${q.map(([id, v]) => `${id}: ${v.quiet} of ${v.rounds}`).join(", ")})` +
    (noisyCases.length ? `; no quiet round for ${noisyCases.join(", ")}: over all rounds, numbers noisy` : "");
  console.log("\n" + render(report, false));
  const heads = report.results.filter((r) => r.caseId === LOAD_CASES[0]?.id);
  for (const r of heads) console.log(`${LABEL[r.server]} response head (${r.responseHeadBytes} bytes):\n  ${r.responseHead.split("\r\n").join("\n  ")}`);
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(join(root, "build", "bench.json"), JSON.stringify(report, null, 2) + "\n");
  writeFileSync(join(root, "build", "bench.md"), render(report, true) + (report.ws ? `\n## WebSocket echo (tsmongoose vs ws)\n${report.ws.table}\n` : "") + (report.tls ? `\n${report.tls.text}` : "") + (report.storm ? `\n## Reset storm (memory)\n${report.storm.table}\n` : ""));
  if (report.tls) console.log("\n" + report.tls.text);
  console.log("\nwrote build/bench.json and build/bench.md");
  if (env.BENCH_MQTT !== "0") await (await import("./mqtt.mjs")).benchMqtt(); // MQTT part (BENCH_MQTT=0 skips)
  if (CASES.includes("static")) {
    console.log("\nstatic files:");
    await (await import("./static.mjs")).runStaticBench({ duration: DURATION, warmup: WARMUP, rounds: ROUNDS, pin: PIN, threads: THREADS });
  }
}

try {
  await main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
