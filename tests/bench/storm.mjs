// storm.mjs: memory under a reset storm, tsmongoose against node:http, side
// by side in one run. Each server (its own process, servers/storm-server.mjs)
// answers GET /big with a 1 MiB Buffer. A storm is CLIENTS raw
// clients that each ask for /big, stop reading after the first bytes (so
// the rest of the response backs up in the server) and then reset the
// connection (RST, socket.resetAndDestroy()); three storms in a row. Reported
// per server: RSS before, the peak (VmHWM from /proc, reset before the storm
// where the kernel allows), the peak of heapUsed / external / arrayBuffers
// and of the core's linear memory sampled during the storm, RSS 10 s after
// the last storm, and the share of the growth still held then; last, the
// same after a forced GC (what the server still references, as against
// garbage the collector has not come back for yet).
// Run alone (`node tests/bench/storm.mjs`) or as the "storm" case of run.mjs.
// Environment: BENCH_PIN (1: server on CPU 0), BENCH_STORM_CLIENTS (default
// 200), BENCH_STORM_ROUNDS (storms per run, default 3), BENCH_STORM_AFTER_MS
// (how long after the storm the retained RSS is read, default 10000),
// BENCH_STORM_BODY ("fresh", the default: a new 1 MiB body per request, as
// a rendered answer is; "shared": one Buffer for every request).
import { fork, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import * as net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const SERVERS = ["tsmongoose", "node-http"];
const LABEL = { tsmongoose: "tsmongoose", "node-http": "node:http" };
const env = process.env;
const int = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MB = (b) => (b / 1e6).toFixed(1);

/** A /proc/<pid>/status field in bytes (VmRSS, VmHWM); NaN where there is none. */
function procStatus(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

function startServer(name, pin, bodyKind) {
  // --expose-gc only serves the last reading (after a forced GC); nothing else calls gc().
  const child = fork(join(here, "servers", "storm-server.mjs"), [name, bodyKind], { execArgv: ["--expose-gc"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  if (pin) spawnSync("taskset", ["-a", "-p", "-c", "0", String(child.pid)], { stdio: "ignore" });
  const next = (type) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.off("message", onMsg); reject(new Error(`${name}: no '${type}' within 20 s`)); }, 20_000);
    const onMsg = (m) => { if (m?.type === type) { clearTimeout(timer); child.off("message", onMsg); resolve(m); } };
    child.on("message", onMsg);
  });
  return next("ready").then(({ port }) => ({
    port, pid: child.pid,
    // The server's own figures, plus its private (RssAnon) and file-backed (RssFile: the node binary's code pages) RSS.
    sample: () => { const p = next("sample"); child.send({ type: "sample" }); return p.then((m) => ({ ...m, anon: procStatus(child.pid, "RssAnon"), file: procStatus(child.pid, "RssFile") })); },
    afterGc: () => { const p = next("mem"); child.send({ type: "mem" }); return p; },
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => { clearTimeout(timer); resolve(); });
      child.send({ type: "stop" });
    }),
  }));
}

/** One client: ask for /big, resolve once the first bytes arrived, then stop reading. */
function askBig(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => s.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
    const timer = setTimeout(() => { s.destroy(); reject(new Error("no response within 20 s")); }, 20_000);
    s.once("data", () => { clearTimeout(timer); s.pause(); resolve(s); });
    s.on("error", (err) => { clearTimeout(timer); reject(err); });
  });
}

/** A full /big answer (warm-up). */
function fetchBig(port) {
  return new Promise((resolve, reject) => {
    let got = 0;
    const s = net.connect(port, "127.0.0.1", () => s.write("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    s.on("data", (d) => { got += d.length; });
    s.on("end", () => resolve(got));
    s.on("error", reject);
  });
}

/** Storms against one server; returns its figures. */
async function stormOne(name, { clients, storms, afterMs, pin, body }) {
  const srv = await startServer(name, pin, body);
  try {
    for (let i = 0; i < 3; i++) await fetchBig(srv.port);
    await sleep(500);
    try { writeFileSync(`/proc/${srv.pid}/clear_refs`, "5"); } catch { /* VmHWM then counts from the start */ }
    const base = await srv.sample();
    const peak = { ...base };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const s = await srv.sample();
        for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], s[k]);
        await sleep(20);
      }
    })();
    for (let r = 0; r < storms; r++) {
      const socks = await Promise.all(Array.from({ length: clients }, () => askBig(srv.port)));
      await sleep(200); // the server's writes back up behind the unread responses
      for (const s of socks) s.resetAndDestroy();
      await sleep(300);
    }
    sampling = false;
    await sampler;
    const hwm = procStatus(srv.pid, "VmHWM");
    const peakRss = Math.max(peak.rss, Number.isFinite(hwm) ? hwm : 0);
    await sleep(afterMs);
    const after = await srv.sample();
    const gced = await srv.afterGc();
    const grown = peakRss - base.rss;
    const share = (rss) => (grown > 0 ? Math.max(0, rss - base.rss) / grown : 0);
    return { server: name, base, peak: { ...peak, rss: peakRss }, after, retained: share(after.rss), gced, retainedGc: share(gced.rss) };
  } finally {
    await srv.stop();
  }
}

/** Runs the storm against each server, prints a table; returns { rows, table }. */
export async function stormBench(opts = {}) {
  const pin = opts.pin ?? (cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0);
  const cfg = { clients: int("BENCH_STORM_CLIENTS", 200), storms: int("BENCH_STORM_ROUNDS", 3),
    afterMs: int("BENCH_STORM_AFTER_MS", 10_000), pin, body: env.BENCH_STORM_BODY || "fresh" };
  console.log(`reset storm: ${cfg.storms} x ${cfg.clients} clients reset mid-1 MiB-response; RSS read ${cfg.afterMs / 1000} s after`);
  const rows = [];
  for (const name of SERVERS) {
    const r = await stormOne(name, cfg);
    rows.push(r);
    console.log(`  ${LABEL[name].padEnd(11)} peak RSS ${MB(r.peak.rss)} MB (base ${MB(r.base.rss)}), retained ${(r.retained * 100).toFixed(0)}%`);
  }
  const [ours, node] = rows;
  const lines = [
    "| server | RSS before | peak RSS | peak heapUsed | peak external | peak arrayBuffers | core memory (before → peak) | RSS after | retained | after a GC: RSS, arrayBuffers, retained |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${LABEL[r.server]} | ${MB(r.base.rss)} MB | ${MB(r.peak.rss)} MB | ${MB(r.peak.heapUsed)} MB | ${MB(r.peak.external)} MB | ` +
      `${MB(r.peak.arrayBuffers)} MB | ${r.base.wasm ? `${MB(r.base.wasm)} → ${MB(r.peak.wasm)} MB` : "-"} | ${MB(r.after.rss)} MB | ${(r.retained * 100).toFixed(0)}% | ` +
      `${MB(r.gced.rss)} MB, ${MB(r.gced.arrayBuffers)} MB, ${(r.retainedGc * 100).toFixed(0)}% |`),
  ];
  // RSS counts file-backed pages too: the node binary's code, paged in as it
  // first runs (compiling any WASM module pages in V8's wasm compilers, about
  // 3 MB). They are shared and clean; RssAnon is the process's own memory.
  const anonShare = (r) => { const g = r.peak.anon - r.base.anon; return g > 0 ? Math.max(0, r.after.anon - r.base.anon) / g : 0; };
  lines.push("", "| server | private RSS (RssAnon) before | peak (sampled) | 10 s after | retained | file-backed RSS (RssFile) before → after |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${LABEL[r.server]} | ${MB(r.base.anon)} MB | ${MB(r.peak.anon)} MB | ${MB(r.after.anon)} MB | ${(anonShare(r) * 100).toFixed(0)}% | ` +
      `${MB(r.base.file)} → ${MB(r.after.file)} MB |`));
  const okPeak = ours.peak.rss <= node.peak.rss, okBack = ours.retained <= 0.1;
  const d = (a, b) => `${a >= b ? "+" : ""}${MB(a - b)} MB`;
  const pct = (x) => `${(x * 100).toFixed(0)}%`;
  lines.push("", `targets: peak RSS <= node:http's: ${okPeak ? "met" : "NOT met"} (${(ours.peak.rss / node.peak.rss).toFixed(2)}x)` +
    (okPeak ? "" : `: of the ${d(ours.peak.rss, node.peak.rss)}, the idle baseline is ${d(ours.base.rss, node.base.rss)} ` +
      `(private ${d(ours.base.anon, node.base.anon)}: the package's code and the core; file-backed ${d(ours.base.file, node.base.file)}: ` +
      `node binary pages, about 3 MB of them V8's WASM compilers, paged in by compiling any module) and the storm's growth ` +
      `${d(ours.peak.rss - ours.base.rss, node.peak.rss - node.base.rss)}`));
  lines.push(`  >= 90% of the growth returned ${cfg.afterMs / 1000} s after: ${okBack ? "met" : "NOT met"} (${pct(1 - ours.retained)} returned; ` +
    `node:http ${pct(1 - node.retained)})` + (okBack ? "" : `: after a forced GC the server holds ${MB(ours.gced.arrayBuffers)} MB of ` +
      `ArrayBuffers (no body is referenced) yet ${pct(ours.retainedGc)} of the growth stays resident (node:http ${pct(node.retainedGc)}): ` +
      `freed memory glibc keeps (its mmap and trim thresholds rise with 1 MiB blocks) until V8's GC and the allocator give it back, ` +
      `which no server controls${node.retained > 0.1 ? `; node:http misses it too here` : ""}`));
  const table = lines.join("\n");
  console.log(table);
  return { rows, table, config: cfg };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await stormBench({ pin: env.BENCH_PIN === undefined ? undefined : env.BENCH_PIN === "1" });
