// mqtt.mjs: the MQTT bench, side by side in one run (also run by run.mjs
// unless BENCH_MQTT=0; alone: `node tests/bench/mqtt.mjs` after a build).
//   1. Brokers (mqtt-brokers.mjs): examples/mqtt-broker.ts vs aedes vs
//      mosquitto under the same native load (mqtt-load-c/mqtt_load.c): QoS 0
//      and 1 deliveries/s, latency, CPU per delivery and each process's CPU
//      share, fan-out 1 -> 1,000, and 10,000 idle sessions' memory.
//   2. Client: our mqttConnect publisher vs mqtt.js publishing to Debian's
//      mosquitto (mqtt-pub.mjs), QoS 0 and 1: messages per second (bounded
//      by the broker too: mosquitto's CPU share is printed) and per
//      CPU-second of the publisher (its own cost).
// Brokers run on CPU 0 and the load on CPU 1 when taskset exists (BENCH_PIN=0: no pinning).
// Environment: BENCH_MQTT_SECONDS (5), BENCH_MQTT_COUNT (100000), BENCH_MQTT_ROUNDS (1),
// and those of mqtt-brokers.mjs.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchBrokers } from "./mqtt-brokers.mjs";
import { cpuSeconds, freePort, here, median, PIN, pinned, root, stop } from "./mqtt-common.mjs";

const env = process.env;
const SECONDS = Number(env.BENCH_MQTT_SECONDS || 5);
const COUNT = Number(env.BENCH_MQTT_COUNT || 100_000);
const ROUNDS = Number(env.BENCH_MQTT_ROUNDS || 1);

/** Run to completion; resolve with its last stdout line parsed as JSON. */
function runJson(cpu, cmd, args, timeoutMs) {
  const [c, a] = pinned(cpu, cmd, args);
  const r = spawnSync(c, a, { cwd: root, encoding: "utf8", timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

async function clientBench() {
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
  execFileSync("bash", [join(root, "scripts", "tools.sh")], { stdio: "inherit" });
  console.log(`\nMQTT brokers: examples/mqtt-broker.ts (and with a QoS 1 window of 1,000) vs aedes vs mosquitto (64 B, ${SECONDS}s per run)${PIN ? "; broker on CPU 0, load on CPU 1" : ""}`);
  const brokers = await benchBrokers();
  console.log(`MQTT client: mqttConnect vs mqtt.js publishing ${COUNT} x 64 B to mosquitto${PIN ? "; publisher on CPU 0, mosquitto on CPU 1" : ""}`);
  const clients = await clientBench();
  const ratios = { ...brokers.ratios };
  const ratio = (a, b, field, qos) => {
    const x = clients.find((r) => r.client === a && r.qos === qos)[field];
    const y = clients.find((r) => r.client === b && r.qos === qos)[field];
    return +(x / y).toFixed(2);
  };
  for (const qos of [0, 1]) {
    ratios[`client_qos${qos}`] = ratio("tsmongoose", "mqttjs", "messagesPerSec", qos);
    ratios[`client_cpu_qos${qos}`] = ratio("tsmongoose", "mqttjs", "messagesPerCpuSec", qos);
  }
  console.log("ratios (tsmongoose / peer; *_cpu_*: the peer's CPU per delivery / ours; higher is better):");
  for (const [k, v] of Object.entries(ratios)) console.log(`  ${k.padEnd(22)} ${v}x`);
  mkdirSync(join(root, "build"), { recursive: true });
  writeFileSync(join(root, "build", "bench-mqtt.json"), JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, count: COUNT, pinned: PIN,
    load: brokers.load, brokers: brokers.rows, memory: brokers.memory, clients, ratios }, null, 2) + "\n");
  console.log("wrote build/bench-mqtt.json");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchMqtt();
