// The TLS bench: HTTPS hello world, tsmongoose (both Node transports) against
// node:https, side by side in one run, driven by wrk over https://. Two cases:
//   keep-alive      50 connections, many requests each (record layer cost)
//   handshake       "Connection: close": a new TCP connection and full TLS
//                   handshake per request (handshake cost)
// Run alone (`node tests/bench/tls.mjs`, after a build) or from run.mjs
// (BENCH_CASES including "tls"). Prints a table and the tsmongoose/node:https
// ratios; never a pass/fail threshold. Environment as run.mjs: BENCH_DURATION,
// BENCH_WARMUP, BENCH_ROUNDS, BENCH_PIN.
import { execFileSync, fork, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseWrk, runWrk, wrkArgs } from "./wrk.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

/** The servers compared: label, script, extra environment. */
const SERVERS = [
  { id: "tsmongoose-handle", label: "tsmongoose (handle)", file: "tsmongoose-tls.mjs", env: { TSMONGOOSE_TRANSPORT: "handle" } },
  { id: "tsmongoose-socket", label: "tsmongoose (socket)", file: "tsmongoose-tls.mjs", env: { TSMONGOOSE_TRANSPORT: "socket" } },
  { id: "node-https", label: "node:https", file: "node-https.mjs", env: {} },
];
const CASES = [
  { id: "keepalive", title: "HTTPS keep-alive hello world", connections: 50, headers: [] },
  { id: "handshake", title: "HTTPS new handshake per request", connections: 16, headers: ["-H", "Connection: close"] },
];

/** A CA-less self-signed P-256 certificate for 127.0.0.1 in `dir`. */
function makeCert(dir) {
  execFileSync("bash", [join(root, "scripts", "tools.sh")], { stdio: "inherit" });
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", "key.pem", "-out", "cert.pem", "-days", "2", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1"], { cwd: dir, stdio: "ignore" });
  return { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
}

function start(server, cert, pin) {
  const child = fork(join(here, "servers", server.file), [], {
    env: { ...process.env, ...server.env, BENCH_TLS_CERT: cert.cert, BENCH_TLS_KEY: cert.key },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  child.on("error", () => undefined);
  if (pin) spawnSync("taskset", ["-a", "-p", "-c", "0", String(child.pid)], { stdio: "ignore" });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${server.label}: not ready in 20 s`)); }, 20_000);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${server.label} exited (${code}) before ready`)); });
    child.on("message", (m) => {
      if (m?.type !== "ready") return;
      clearTimeout(timer);
      resolve({
        port: m.port,
        stop: () => new Promise((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
          child.once("exit", () => { clearTimeout(kill); done(); });
          child.send({ type: "stop" }, () => undefined);
        }),
      });
    });
  });
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

/**
 * Run the TLS bench; resolves with { results: [{ caseId, server, rps, p50Ms, p99Ms, errors }], ratios, text }.
 * `opts`: { duration, warmup, rounds, pin, threads } (seconds / counts).
 */
export async function tlsBench(opts = {}) {
  const duration = opts.duration ?? 10, warmup = opts.warmup ?? 2, rounds = opts.rounds ?? 3;
  const pin = opts.pin ?? false, threads = opts.threads ?? (pin ? 1 : 2);
  execFileSync("bash", [join(root, "scripts", "tools.sh")], { stdio: "inherit" });
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-tls-bench-"));
  const results = [];
  try {
    const cert = makeCert(dir);
    for (const c of CASES) {
      console.log(`${c.title} (wrk -c${c.connections}${c.headers.length ? ` ${c.headers.join(" ")}` : ""}):`);
      const runs = Object.fromEntries(SERVERS.map((s) => [s.id, []]));
      for (let round = 0; round < rounds; round++) {
        for (const server of SERVERS) {
          const srv = await start(server, cert, pin);
          try {
            const url = `https://127.0.0.1:${srv.port}/`;
            const base = { threads, connections: c.connections, url };
            await runWrk([...c.headers, ...wrkArgs({ ...base, durationS: warmup })], (warmup + 30) * 1000, pin);
            const r = parseWrk(await runWrk([...c.headers, ...wrkArgs({ ...base, durationS: duration })], (duration + 30) * 1000, pin));
            process.stdout.write(`  ${server.label.padEnd(20)} ${r.rps.toFixed(0).padStart(8)} req/s  p50 ${r.p50Ms.toFixed(2)} ms` +
              `  p99 ${r.p99Ms.toFixed(2)} ms${r.socketErrors || r.non2xx ? `  errors ${r.socketErrorDetail} non-2xx ${r.non2xx}` : ""}\n`);
            runs[server.id].push(r);
          } finally {
            await srv.stop();
          }
        }
      }
      for (const server of SERVERS) {
        const rs = runs[server.id];
        results.push({ caseId: c.id, caseTitle: c.title, server: server.id, label: server.label,
          rps: median(rs.map((r) => r.rps)), p50Ms: median(rs.map((r) => r.p50Ms)), p99Ms: median(rs.map((r) => r.p99Ms)),
          errors: rs.reduce((a, r) => a + r.socketErrors + r.non2xx, 0), runs: rs.map((r) => r.rps) });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratios = {};
  const lines = ["| case | server | req/s (median) | p50 ms | p99 ms | vs node:https |", "|---|---|---:|---:|---:|---:|"];
  for (const c of CASES) {
    const base = results.find((r) => r.caseId === c.id && r.server === "node-https");
    for (const r of results.filter((x) => x.caseId === c.id)) {
      const ratio = base && base.rps > 0 ? r.rps / base.rps : NaN;
      if (r.server !== "node-https") ratios[`${c.id}/${r.server}`] = ratio;
      lines.push(`| ${c.title} | ${r.label} | ${r.rps.toFixed(0)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
        `${r.server === "node-https" ? "1.00×" : `${ratio.toFixed(2)}×`} |`);
    }
  }
  const text = `TLS bench: ${duration}s per run after ${warmup}s warm-up, median of ${rounds} round(s)` +
    `${pin ? ", server on CPU 0 and wrk on CPU 1" : ""}; target: tsmongoose ≥ 1.3× node:https keep-alive\n\n${lines.join("\n")}\n`;
  return { results, ratios, text };
}

// Run directly: `node tests/bench/tls.mjs` (build first).
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = process.env;
  const num = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
  const canPin = cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
  const pin = env.BENCH_PIN === undefined || env.BENCH_PIN === "" ? canPin : env.BENCH_PIN === "1";
  const out = await tlsBench({ duration: num("BENCH_DURATION", 10), warmup: num("BENCH_WARMUP", 2),
    rounds: num("BENCH_ROUNDS", 3), pin });
  console.log("\n" + out.text);
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(join(root, "build", "bench-tls.md"), out.text);
}
