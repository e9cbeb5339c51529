// Static files: tsmongoose's serveDir vs sirv and serve-static (what
// express.static is) over node:http, nginx (one worker, sendfile,
// open_file_cache) serving the same directory, and the raw libuv-handle
// ceiling answering the same 1 MiB from memory (the transport's line rate),
// side by side in one run, wrk with 50 connections. Cases: files of 2 KiB,
// 64 KiB and 1 MiB. Every row is also given as a ratio to our own hello rate
// (tsmongoose answering 13 bytes from reply(), measured in the same rounds):
// a small unchanged file is held against it (issue #24: >= 0.8x). Run by
// run.mjs (BENCH_CASES includes "static") or alone:
// `node tests/bench/static.mjs` (same BENCH_* variables).
// Writes build/bench-static.json and build/bench-static.md.
import { fork, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { probe } from "./clients.mjs";
import { machineBusy } from "./proc.mjs";
import { parseWrk, runWrk, wrkArgs } from "./wrk.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

const SERVERS = {
  tsmongoose: { file: "static-tsmongoose.mjs", label: "tsmongoose" },
  sirv: { file: "static-sirv.mjs", label: "sirv" },
  "serve-static": { file: "static-serve-static.mjs", label: "serve-static" },
  nginx: { file: "static-nginx.mjs", label: "nginx" },
  "raw-handle": { file: "raw-handle.mjs", label: "raw handles", arg: "1m" },
  // Our hello rate, measured in the 2 KiB case's rounds (interleaved with it).
  hello: { file: "tsmongoose.mjs", label: "our hello (13 B)", path: "/", bytes: 13 },
  // The same 2 KiB with the same head from reply() (memory, no file): the ceiling of the cached path.
  "reply-2k": { file: "static-reply.mjs", label: "reply() 2 KiB", path: "/", bytes: 2048 },
};
const PEERS = ["tsmongoose", "sirv", "serve-static", "nginx"];
const CASES = [
  { id: "2k", title: "2 KiB file", path: "/2k.bin", bytes: 2048, servers: ["hello", "reply-2k", ...PEERS] },
  { id: "64k", title: "64 KiB file", path: "/64k.bin", bytes: 64 * 1024, servers: PEERS },
  { id: "1m", title: "1 MiB file", path: "/1m.bin", bytes: 1 << 20, servers: [...PEERS, "raw-handle"] },
];

function start(name, webRoot, pin) {
  const s = SERVERS[name];
  const env = pin ? { ...process.env, BENCH_PIN_CPU: "0" } : process.env; // nginx pins itself
  const child = fork(join(here, "servers", s.file), [s.arg ?? webRoot], { stdio: ["ignore", "inherit", "inherit", "ipc"], env });
  if (pin) spawnSync("taskset", ["-a", "-p", "-c", "0", String(child.pid)], { stdio: "ignore" });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready in 20 s`)), 20_000);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code})`)); });
    child.on("message", (m) => {
      if (m?.type !== "ready") return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      resolve({
        port: m.port,
        stop: () => new Promise((res) => {
          if (child.exitCode !== null) return res();
          const t = setTimeout(() => child.kill("SIGKILL"), 5000);
          child.once("exit", () => { clearTimeout(t); res(); });
          child.send({ type: "stop" });
        }),
      });
    });
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const BUSY = 0.15; // CPU fraction used by other work above which a run is flagged (as run.mjs does)
const mb = (bytes) => (bytes / 1024 ** 2).toFixed(0);

/** Runs the static-file bench; returns { results, table }. */
export async function runStaticBench({ duration = 10, warmup = 2, rounds = 3, pin = false, threads = 2 } = {}) {
  const webRoot = mkdtempSync(join(tmpdir(), "tsmongoose-bench-static-"));
  for (const c of CASES) writeFileSync(join(webRoot, c.path.slice(1)), Buffer.alloc(c.bytes, "x"));
  const results = [];
  try {
    for (const c of CASES) {
      console.log(`${c.title} (GET ${c.path}):`);
      const runs = Object.fromEntries(c.servers.map((s) => [s, []]));
      for (let round = 0; round < rounds; round++) {
        for (const name of c.servers) {
          const srv = await start(name, webRoot, pin);
          try {
            const path = name === "raw-handle" ? "/" : SERVERS[name].path ?? c.path;
            const a = await probe(srv.port, { path });
            if (a.status !== 200 || a.bodyBytes !== (SERVERS[name].bytes ?? c.bytes)) throw new Error(`${name} ${c.path}: ${a.status}, ${a.bodyBytes} bytes\n${a.head}`);
            const base = { threads, connections: 50, url: `http://127.0.0.1:${srv.port}${path}` };
            await runWrk(wrkArgs({ ...base, durationS: warmup }), (warmup + 30) * 1000, pin);
            const busy = await machineBusy(); // the server is idle now: this is other work
            const r = parseWrk(await runWrk(wrkArgs({ ...base, durationS: duration }), (duration + 30) * 1000, pin));
            console.log(`  ${SERVERS[name].label.padEnd(13)} ${r.rps.toFixed(0).padStart(8)} req/s ${mb(r.transferPerSec).padStart(6)} MiB/s` +
              (r.socketErrors || r.non2xx ? `  errors ${r.socketErrors}, non-2xx ${r.non2xx}` : "") +
              (busy > BUSY ? `  (note: ${(busy * 100).toFixed(0)}% CPU busy with other work before this run)` : ""));
            runs[name].push({ ...r, busy });
          } finally {
            await srv.stop();
          }
        }
      }
      for (const name of c.servers) {
        results.push({ caseId: c.id, server: name, rps: median(runs[name].map((r) => r.rps)),
          transferPerSec: median(runs[name].map((r) => r.transferPerSec)), p99Ms: median(runs[name].map((r) => r.p99Ms)),
          runs: runs[name].map((r) => r.rps), busy: Math.max(...runs[name].map((r) => r.busy)) });
      }
    }
  } finally {
    rmSync(webRoot, { recursive: true, force: true });
  }
  const get = (caseId, server) => results.find((r) => r.caseId === caseId && r.server === server);
  const hello = get("2k", "hello").rps;
  const lines = ["| case | server | req/s | MiB/s | p99 ms | × our hello | ratio |", "|---|---|---:|---:|---:|---:|---|"];
  for (const c of CASES) {
    const ts = get(c.id, "tsmongoose");
    const raw = get(c.id, "raw-handle");
    for (const name of c.servers) {
      const r = get(c.id, name);
      let ratio = "";
      const noisy = c.id === "2k" && name === "tsmongoose" && Math.max(r.busy, get("2k", "hello").busy) > BUSY;
      if (c.id === "2k" && name === "tsmongoose") ratio = `target >= 0.80x our hello: ${r.rps / hello >= 0.8 ? "met" : "NOT met"}` +
        (noisy ? " (on a busy machine: other work held the CPU, every server was starved alike; re-run on a quiet one)" : "") + "; " +
        `${(r.rps / get("2k", "reply-2k").rps).toFixed(2)}x reply() of the same bytes; `;
      if (name === "tsmongoose") ratio += `${(ts.rps / get(c.id, "nginx").rps).toFixed(2)}x nginx, ` +
        `${(ts.rps / Math.max(get(c.id, "sirv").rps, get(c.id, "serve-static").rps)).toFixed(2)}x the faster of sirv/serve-static` +
        (raw ? `; ${((ts.transferPerSec / raw.transferPerSec) * 100).toFixed(0)}% of the raw line rate` : "");
      lines.push(`| ${c.title} | ${SERVERS[name].label} | ${r.rps.toFixed(0)} | ${mb(r.transferPerSec)} | ${r.p99Ms.toFixed(2)} | ${(r.rps / hello).toFixed(2)} | ${ratio} |`);
    }
  }
  const table = lines.join("\n");
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(join(root, "build", "bench-static.json"), JSON.stringify({ date: new Date().toISOString(), duration, rounds, pin, results }, null, 2) + "\n");
  writeFileSync(join(root, "build", "bench-static.md"), table + "\n");
  console.log(`\n${table}\n\nwrote build/bench-static.json and build/bench-static.md`);
  return { results, table };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = process.env;
  const n = (k, d) => (env[k] ? Number(env[k]) : d);
  const canPin = cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
  const pin = env.BENCH_PIN === undefined || env.BENCH_PIN === "" ? canPin : env.BENCH_PIN === "1";
  spawnSync("bash", [join(root, "scripts", "tools.sh")], { stdio: "inherit" });
  await runStaticBench({ duration: n("BENCH_DURATION", 10), warmup: n("BENCH_WARMUP", 2), rounds: n("BENCH_ROUNDS", 3),
    pin, threads: n("BENCH_THREADS", pin ? 1 : 2) });
}
