// The fetch-handler bench: one Hono app (servers/hono-app.mjs) on tsmongoose's
// serve(), on @hono/node-server, and node:http answering the same routes by
// hand, side by side in one run, driven by wrk. Run by `npm run bench`
// (tests/bench/run.mjs calls runFetchBench) or alone:
//   node tests/bench/fetch.mjs
// Environment: BENCH_DURATION, BENCH_WARMUP, BENCH_ROUNDS, BENCH_PIN,
// BENCH_THREADS as for run.mjs; BENCH_FETCH_CASES (comma list among
// json,param,text; default all). Prints a table and the ratios, and
// returns them (run.mjs adds them to build/bench.json).
//
// Besides requests per second it reports the server's CPU time per request
// (user + system, from /proc/<pid>/stat over the measured run): on a
// machine shared with other work, throughput depends on how much CPU the
// server got, CPU time per request much less.
import { fork, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { probe } from "./clients.mjs";
import { parseWrk, runWrk, wrkArgs } from "./wrk.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const SERVERS = [
  ["hono-tsmongoose", "Hono on tsmongoose"],
  ["hono-node-server", "Hono on @hono/node-server"],
  ["node-http-json", "node:http by hand"],
];
const CASES = [
  { id: "json", title: "JSON route", path: "/json" },
  { id: "param", title: "route with a parameter", path: "/users/42" },
  { id: "text", title: "text route", path: "/" },
];

/** CPU seconds (user + system, all threads) used so far by process `pid`; NaN where /proc is missing. */
function cpuSeconds(pid) {
  const f = `/proc/${pid}/stat`;
  if (!existsSync(f)) return NaN;
  const fields = readFileSync(f, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

function startChild(name, pin) {
  const child = fork(join(here, "servers", `${name}.mjs`), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  child.on("error", () => undefined);
  if (pin) spawnSync("taskset", ["-a", "-p", "-c", "0", String(child.pid)], { stdio: "ignore" });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${name}: not ready within 20 s`)); }, 20_000);
    child.on("message", (m) => {
      if (m?.type !== "ready") return;
      clearTimeout(timer);
      resolve({
        port: m.port,
        pid: child.pid,
        stop: () => new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
          child.once("exit", () => { clearTimeout(kill); done(); });
          if (child.connected) child.send({ type: "stop" });
          else child.kill("SIGKILL");
        }),
      });
    });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}) before it was ready`)); });
  });
}

/** Runs the bench; resolves with { results, ratios } and prints them. */
export async function runFetchBench(o = {}) {
  const env = process.env;
  const num = (v, d) => (v === undefined || v === "" ? d : Number(v));
  const duration = o.duration ?? num(env.BENCH_DURATION, 10);
  const warmup = o.warmup ?? num(env.BENCH_WARMUP, Math.min(2, duration));
  const rounds = o.rounds ?? num(env.BENCH_ROUNDS, 3);
  const canPin = cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
  const pin = o.pin ?? (env.BENCH_PIN ? env.BENCH_PIN === "1" : canPin);
  const threads = o.threads ?? num(env.BENCH_THREADS, pin ? 1 : 2);
  const wanted = env.BENCH_FETCH_CASES ? env.BENCH_FETCH_CASES.split(",").map((s) => s.trim()) : CASES.map((c) => c.id);
  const cases = CASES.filter((c) => wanted.includes(c.id));
  console.log(`\nfetch handlers: ${SERVERS.map(([, l]) => l).join(" vs ")}; ${duration}s per run after ${warmup}s warm-up, ${rounds} round(s)`);
  const results = [];
  for (const c of cases) {
    console.log(`${c.title} (GET ${c.path}):`);
    const runs = Object.fromEntries(SERVERS.map(([s]) => [s, []]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, label] of SERVERS) {
        const srv = await startChild(name, pin);
        try {
          const answer = await probe(srv.port, { path: c.path });
          if (answer.status !== 200) throw new Error(`${name} ${c.path}: status ${answer.status}\n${answer.head}`);
          const base = { threads, connections: 50, url: `http://127.0.0.1:${srv.port}${c.path}` };
          await runWrk(wrkArgs({ ...base, durationS: warmup }), (warmup + 30) * 1000, pin);
          const cpu0 = cpuSeconds(srv.pid);
          const r = parseWrk(await runWrk(wrkArgs({ ...base, durationS: duration }), (duration + 30) * 1000, pin));
          const cpuUsPerReq = ((cpuSeconds(srv.pid) - cpu0) * 1e6) / r.requests;
          console.log(`  ${label.padEnd(26)} ${Math.round(r.rps).toLocaleString("en-US").padStart(8)} req/s  p99 ${r.p99Ms.toFixed(2)} ms` +
            `  ${cpuUsPerReq.toFixed(1)} us CPU/request` + (r.socketErrors || r.non2xx ? `  errors ${r.socketErrors} non-2xx ${r.non2xx}` : ""));
          runs[name].push({ ...r, cpuUsPerReq, bodyBytes: answer.bodyBytes });
        } finally {
          await srv.stop();
        }
      }
    }
    for (const [name, label] of SERVERS) {
      const rs = runs[name];
      results.push({ caseId: c.id, caseTitle: c.title, server: name, label, rps: median(rs.map((r) => r.rps)),
        p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)), cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)),
        errors: rs.reduce((a, r) => a + r.socketErrors + r.non2xx, 0), runs: rs.map((r) => r.rps) });
    }
  }
  const ratios = cases.map((c) => {
    const get = (s) => results.find((r) => r.caseId === c.id && r.server === s).rps;
    const cpu = (s) => results.find((r) => r.caseId === c.id && r.server === s).cpuUsPerReq;
    return { caseId: c.id, oursVsNodeServer: get("hono-tsmongoose") / get("hono-node-server"),
      oursVsNodeHttp: get("hono-tsmongoose") / get("node-http-json"), nodeServerVsNodeHttp: get("hono-node-server") / get("node-http-json"),
      cpuNodeServerVsOurs: cpu("hono-node-server") / cpu("hono-tsmongoose") };
  });
  console.log("\n| case | server | req/s (median) | p50 | p99 | CPU per request | errors |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of results) {
    console.log(`| ${r.caseTitle} | ${r.label} | ${Math.round(r.rps).toLocaleString("en-US")} | ${r.p50Ms.toFixed(2)} ms | ${r.p99Ms.toFixed(2)} ms | ${r.cpuUsPerReq.toFixed(1)} us | ${r.errors} |`);
  }
  console.log("\n| case | Hono: tsmongoose / @hono/node-server (req/s) | same, by CPU per request | Hono on tsmongoose / node:http by hand | @hono/node-server / node:http by hand |\n| --- | ---: | ---: | ---: | ---: |");
  for (const r of ratios) {
    const title = CASES.find((c) => c.id === r.caseId).title;
    console.log(`| ${title} | ${r.oursVsNodeServer.toFixed(2)}x | ${r.cpuNodeServerVsOurs.toFixed(2)}x | ${r.oursVsNodeHttp.toFixed(2)}x | ${r.nodeServerVsNodeHttp.toFixed(2)}x |`);
  }
  return { duration, warmup, rounds, pinned: pin, results, ratios };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  spawnSync("bash", [join(here, "..", "..", "scripts", "tools.sh")], { stdio: "inherit" });
  await runFetchBench();
}
