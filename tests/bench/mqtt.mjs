// mqtt.mjs: the MQTT bench, side by side in one run (also run by run.mjs
// unless BENCH_MQTT=0; alone: `node tests/bench/mqtt.mjs` after a build).
//   1. Broker: examples/mqtt-broker.ts vs aedes, the same mqtt.js load
//      (mqtt-load.mjs: 1 publisher, 10 subscribers, 64 B, QoS 0 and 1):
//      deliveries per second and p99 latency, and the broker's CPU time per
//      delivery (the mqtt.js load, on one core, can be what saturates: the
//      load's own CPU share is printed too).
//   2. Client: our mqttConnect publisher vs mqtt.js publishing to Debian's
//      mosquitto (mqtt-pub.mjs), QoS 0 and 1: messages per second (bounded
//      by the broker too: mosquitto's CPU share is printed) and per
//      CPU-second of the publisher (its own cost).
// Brokers run on CPU 0 and the load on CPU 1 when taskset exists (BENCH_PIN=0: no pinning).
// Environment: BENCH_MQTT_SECONDS (5), BENCH_MQTT_COUNT (100000), BENCH_ROUNDS (1 here unless set).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const env = process.env;
const SECONDS = Number(env.BENCH_MQTT_SECONDS || 5);
const COUNT = Number(env.BENCH_MQTT_COUNT || 100_000);
const ROUNDS = Number(env.BENCH_MQTT_ROUNDS || 1);
const canPin = () => cpus().length >= 2 && spawnSync("taskset", ["-V"], { stdio: "ignore" }).status === 0;
const PIN = env.BENCH_PIN === undefined || env.BENCH_PIN === "" ? canPin() : env.BENCH_PIN === "1";

const pinned = (cpu, cmd, args) => (PIN ? ["taskset", ["-c", String(cpu), cmd, ...args]] : [cmd, args]);

/** Start a long-running process; resolve once `ready` matches its stdout (the match is returned). */
function start(cpu, cmd, args, ready, extraEnv = {}) {
  const [c, a] = pinned(cpu, cmd, args);
  const child = spawn(c, a, { cwd: root, env: { ...env, ...extraEnv }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 15_000);
    const check = (d) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, match: m, stop: () => stop(child) }); }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", (d) => { out += d.toString(); });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited (${code}): ${out}`)); });
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
  });
}

/** Run to completion; resolve with its last stdout line parsed as JSON. */
function runJson(cpu, cmd, args, timeoutMs) {
  const [c, a] = pinned(cpu, cmd, args);
  const r = spawnSync(c, a, { cwd: root, encoding: "utf8", timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

/** CPU seconds (user + system, all threads) process `pid` has used, from /proc; NaN where there is none. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ
  } catch {
    return NaN;
  }
}

/** Run mqtt-load.mjs against `url`; the result carries brokerCpuUs, the broker's CPU per delivery over the measured window. */
function runLoad(url, qos, brokerPid) {
  const [c, a] = pinned(1, process.execPath, [join(here, "mqtt-load.mjs"), url, String(qos), String(SECONDS), "1"]);
  const child = spawn(c, a, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "", err = "", cpu0 = NaN;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), (SECONDS + 60) * 1000);
    child.stdout.on("data", (d) => {
      out += d.toString();
      if (Number.isNaN(cpu0) && out.includes('"phase":"measure"')) cpu0 = cpuSeconds(brokerPid);
    });
    child.stderr.on("data", (d) => { err += d.toString(); });
    child.once("exit", (code) => {
      clearTimeout(timer);
      const cpu1 = cpuSeconds(brokerPid);
      if (code !== 0) return reject(new Error(`mqtt-load.mjs failed (${code}): ${err}`));
      const r = JSON.parse(out.trim().split("\n").pop());
      resolve({ ...r, brokerCpuUs: ((cpu1 - cpu0) / r.delivered) * 1e6 });
    });
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function brokerBench() {
  const brokers = {
    tsmongoose: () => start(0, process.execPath, [join(root, "build", "examples", "mqtt-broker.mjs")], /mqtt:\/\/127\.0\.0\.1:(\d+)/, { PORT: "0" }),
    aedes: () => start(0, process.execPath, [join(root, "tests", "fixtures", "aedes-broker.mjs")], /aedes listening on (\d+)/, { PORT: "0" }),
  };
  const rows = [];
  for (const qos of [0, 1]) {
    const runs = { tsmongoose: [], aedes: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, startBroker] of Object.entries(brokers)) {
        const b = await startBroker();
        try {
          const url = `mqtt://127.0.0.1:${b.match[1]}`;
          runs[name].push(await runLoad(url, qos, b.child.pid));
        } finally {
          await b.stop();
        }
      }
    }
    for (const [name, rs] of Object.entries(runs)) {
      const rate = median(rs.map((r) => r.delivered / r.seconds));
      const p99 = median(rs.map((r) => r.p99Ms));
      const cpuUs = median(rs.map((r) => r.brokerCpuUs)), loadCpu = median(rs.map((r) => r.loadCpu));
      rows.push({ qos, broker: name, deliveredPerSec: Math.round(rate), p99Ms: +p99.toFixed(2), p50Ms: +median(rs.map((r) => r.p50Ms)).toFixed(2),
        brokerCpuUsPerDelivery: +cpuUs.toFixed(2), loadCpuShare: +loadCpu.toFixed(2) });
      console.log(`  QoS ${qos} ${name.padEnd(10)} ${String(Math.round(rate)).padStart(8)} deliveries/s  p50 ${median(rs.map((r) => r.p50Ms)).toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  ` +
        `broker ${cpuUs.toFixed(2)} us CPU per delivery  load at ${(loadCpu * 100).toFixed(0)}% of its core`);
    }
  }
  return rows;
}

async function clientBench() {
  execFileSync("bash", [join(root, "scripts", "tools.sh")], { stdio: "inherit" });
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-bench-mosq-"));
  const port = await freePort();
  writeFileSync(join(dir, "m.conf"), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n`);
  const bin = existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
  const [c, a] = pinned(1, bin, ["-c", join(dir, "m.conf")]);
  const mosq = spawn(c, a, { stdio: "ignore" });
  const rows = [];
  try {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise((r) => { const s = createServer(); s.once("error", () => r(true)); s.listen(port, "127.0.0.1", () => s.close(() => r(false))); });
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = `mqtt://127.0.0.1:${port}`;
    for (const qos of [0, 1]) {
      const runs = { tsmongoose: [], mqttjs: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const impl of Object.keys(runs)) {
          const m0 = cpuSeconds(mosq.pid);
          const r = runJson(0, process.execPath, [join(here, "mqtt-pub.mjs"), impl, url, String(qos), String(COUNT)], 300_000);
          runs[impl].push({ ...r, brokerCpu: (cpuSeconds(mosq.pid) - m0) / (r.ms / 1000) }); // mosquitto's share of its core
        }
      }
      for (const [impl, rs] of Object.entries(runs)) {
        const rate = median(rs.map((r) => (r.count / r.ms) * 1000));
        const perCpu = median(rs.map((r) => (r.count / r.cpuMs) * 1000));
        const brokerCpu = median(rs.map((r) => r.brokerCpu));
        rows.push({ qos, client: impl, messagesPerSec: Math.round(rate), messagesPerCpuSec: Math.round(perCpu), mosquittoCpuShare: +brokerCpu.toFixed(2) });
        console.log(`  QoS ${qos} ${impl.padEnd(10)} ${String(Math.round(rate)).padStart(8)} messages/s  ${String(Math.round(perCpu)).padStart(8)} messages per CPU-second  ` +
          `mosquitto at ${(brokerCpu * 100).toFixed(0)}% of its core`);
      }
    }
  } finally {
    await stop(mosq);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Run both parts, print the ratios, write build/bench-mqtt.json. */
export async function benchMqtt() {
  if (!existsSync(join(root, "build", "examples", "mqtt-broker.mjs"))) throw new Error("build first: node scripts/setup.mjs --build");
  console.log(`\nMQTT broker: examples/mqtt-broker.ts vs aedes (mqtt.js: 1 publisher, 10 subscribers, 64 B, ${SECONDS}s per run)${PIN ? "; broker on CPU 0, load on CPU 1" : ""}`);
  const brokers = await brokerBench();
  console.log(`MQTT client: mqttConnect vs mqtt.js publishing ${COUNT} x 64 B to mosquitto${PIN ? "; publisher on CPU 0, mosquitto on CPU 1" : ""}`);
  const clients = await clientBench();
  const ratio = (rows, key, a, b, field, qos) => {
    const x = rows.find((r) => r[key] === a && r.qos === qos)[field];
    const y = rows.find((r) => r[key] === b && r.qos === qos)[field];
    return +(x / y).toFixed(2);
  };
  const ratios = {};
  for (const qos of [0, 1]) {
    ratios[`broker_qos${qos}`] = ratio(brokers, "broker", "tsmongoose", "aedes", "deliveredPerSec", qos);
    ratios[`broker_p99_qos${qos}`] = ratio(brokers, "broker", "aedes", "tsmongoose", "p99Ms", qos);
    ratios[`broker_cpu_qos${qos}`] = ratio(brokers, "broker", "aedes", "tsmongoose", "brokerCpuUsPerDelivery", qos);
    ratios[`client_qos${qos}`] = ratio(clients, "client", "tsmongoose", "mqttjs", "messagesPerSec", qos);
    ratios[`client_cpu_qos${qos}`] = ratio(clients, "client", "tsmongoose", "mqttjs", "messagesPerCpuSec", qos);
  }
  console.log("ratios (tsmongoose / peer; p99 and broker CPU per delivery: peer / tsmongoose; higher is better):");
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(18)} ${v}x`);
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(join(root, "build", "bench-mqtt.json"), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, count: COUNT, pinned: PIN, brokers, clients, ratios }, null, 2) + "\n");
  console.log("wrote build/bench-mqtt.json");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchMqtt();
