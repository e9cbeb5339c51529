// mqtt-brokers.mjs: our broker (examples/mqtt-broker.ts, and MqttBroker with a
// QoS 1 window of 1,000 instead of the default 20: servers/mqtt-broker-window.mjs)
// against aedes and Debian's mosquitto (a native C broker), side by side in one run, under the
// same native load (mqtt-load-c/mqtt_load.c, built here with cc; without a
// C compiler the mqtt.js load mqtt-load.mjs runs the first two cases only).
// Cases, each on a fresh broker process, brokers alternating:
//   qos0, qos1   1 publisher, 10 subscribers, 64 B, 100 messages in flight
//   fanout0/1    1 publisher, FANOUT subscribers (1,000), 10 messages in flight
//   idle         SESSIONS (10,000) connected, subscribed, idle sessions: RSS growth per session
// Per run: deliveries/s, delivery latency p50/p99 (payload timestamps),
// PUBACK latency at QoS 1, the broker's CPU time per delivery and its CPU
// share, the load's CPU share (near 100%: the load sets the pace, not the broker).
// Environment: BENCH_MQTT_SECONDS (5), BENCH_MQTT_ROUNDS (1), BENCH_MQTT_FANOUT (1000),
// BENCH_MQTT_SESSIONS (10000), BENCH_MQTT_BROKERS (tsmongoose,tsmongoose-w1000,aedes,mosquitto),
// BENCH_MQTT_CASES (qos0,qos1,fanout0,fanout1,idle).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuSeconds, freePort, here, median, pinned, root, rssBytes, sleep, start } from "./mqtt-common.mjs";

const env = process.env;
const SECONDS = Number(env.BENCH_MQTT_SECONDS || 5);
const ROUNDS = Number(env.BENCH_MQTT_ROUNDS || 1);
const FANOUT = Number(env.BENCH_MQTT_FANOUT || 1000);
const SESSIONS = Number(env.BENCH_MQTT_SESSIONS || 10_000);
const pick = (name, all) => {
  const v = env[name] ? env[name].split(",").map((s) => s.trim()).filter(Boolean) : all;
  const bad = v.filter((s) => !all.includes(s));
  if (bad.length) throw new RangeError(`${name}: unknown ${bad.join(", ")} (known: ${all.join(", ")})`);
  return v;
};

/** The brokers: how to start each on any free port (resolves { child, port, stop }). */
const BROKERS = {
  tsmongoose: async () => {
    const b = await start(0, process.execPath, [join(root, "build", "examples", "mqtt-broker.mjs")], /mqtt:\/\/127\.0\.0\.1:(\d+)/, { PORT: "0" });
    return { ...b, port: Number(b.match[1]) };
  },
  "tsmongoose-w1000": async () => {
    const b = await start(0, process.execPath, [join(here, "servers", "mqtt-broker-window.mjs")], /mqtt:\/\/127\.0\.0\.1:(\d+)/, { PORT: "0", MAX_INFLIGHT: "1000" });
    return { ...b, port: Number(b.match[1]) };
  },
  aedes: async () => {
    const b = await start(0, process.execPath, [join(root, "tests", "fixtures", "aedes-broker.mjs")], /aedes listening on (\d+)/, { PORT: "0" });
    return { ...b, port: Number(b.match[1]) };
  },
  mosquitto: async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsmongoose-bench-mosq-"));
    const port = await freePort();
    // Defaults otherwise (max_inflight_messages 20, max_queued_messages 1000), as shipped.
    writeFileSync(join(dir, "m.conf"), [`listener ${port} 127.0.0.1`, "allow_anonymous true", "persistence false",
      "set_tcp_nodelay true", "log_dest stderr", "log_type information", "connection_messages false", ""].join("\n"));
    const bin = existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
    const b = await start(0, bin, ["-c", join(dir, "m.conf")], /running/);
    return { ...b, port, stop: async () => { await b.stop(); rmSync(dir, { recursive: true, force: true }); } };
  },
};

const CASES = [
  { id: "qos0", title: "QoS 0, 1 -> 10", qos: 0, pubs: 1, subs: 10, window: 100 },
  { id: "qos1", title: "QoS 1, 1 -> 10", qos: 1, pubs: 1, subs: 10, window: 100 },
  { id: "fanout0", title: `QoS 0, 1 -> ${FANOUT}`, qos: 0, pubs: 1, subs: FANOUT, window: 10 },
  { id: "fanout1", title: `QoS 1, 1 -> ${FANOUT}`, qos: 1, pubs: 1, subs: FANOUT, window: 10 },
];

let nativeLoad; // path of the compiled mqtt_load, or null (then mqtt-load.mjs)
function loadGenerator() {
  if (nativeLoad !== undefined) return nativeLoad;
  const src = join(here, "mqtt-load-c", "mqtt_load.c");
  const out = join(root, "build", "bench", "mqtt_load");
  mkdirSync(join(root, "build", "bench"), { recursive: true });
  nativeLoad = null;
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) nativeLoad = out;
  for (const cc of [env.CC, "cc", "gcc", "clang"].filter(Boolean)) {
    if (nativeLoad) break;
    if (spawnSync(cc, ["-O2", "-o", out, src], { stdio: "ignore" }).status === 0) nativeLoad = out;
  }
  console.log(`  load generator: ${nativeLoad ? "native (mqtt-load-c/mqtt_load.c, epoll)" : "mqtt-load.mjs (no C compiler: qos0/qos1 only)"}`);
  return nativeLoad;
}

/** One load run against `broker`; adds the broker's CPU per delivery and CPU share over the measured window. */
function runLoad(broker, c) {
  const native = loadGenerator();
  const args = native
    ? [native, [broker.port, c.qos, c.pubs, c.subs, 1000, SECONDS * 1000, c.window].map(String)]
    : [process.execPath, [join(here, "mqtt-load.mjs"), `mqtt://127.0.0.1:${broker.port}`, String(c.qos), String(SECONDS), "1"]];
  const [cmd, argv] = pinned(1, ...args);
  const child = spawn(cmd, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const pid = broker.child.pid;
  let out = "", err = "", cpu0 = NaN, t0 = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), (SECONDS + 120) * 1000);
    child.stdout.on("data", (d) => {
      out += d.toString();
      if (Number.isNaN(cpu0) && out.includes('"phase":"measure"')) { cpu0 = cpuSeconds(pid); t0 = performance.now(); }
    });
    child.stderr.on("data", (d) => { err += d.toString(); });
    child.once("exit", (code) => {
      clearTimeout(timer);
      const cpu = cpuSeconds(pid) - cpu0, wall = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`load failed (${code}): ${err}`));
      const r = JSON.parse(out.trim().split("\n").pop());
      resolve({ ...r, brokerCpuUs: (cpu / r.delivered) * 1e6, brokerCpu: cpu / wall });
    });
  });
}

/** SESSIONS idle sessions (connected, one QoS 1 subscription each): the broker's RSS growth per session. */
async function idleSessions(broker) {
  const native = loadGenerator();
  const before = rssBytes(broker.child.pid);
  const [cmd, argv] = pinned(1, native, [String(broker.port), "idle", String(SESSIONS)]);
  const child = spawn(cmd, argv, { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
  let out = "", err = "";
  child.stderr.on("data", (d) => { err += d.toString(); });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`idle sessions: not ready in 120 s: ${err}`)), 120_000);
      child.stdout.on("data", (d) => { out += d.toString(); if (out.includes('"ready"')) { clearTimeout(timer); resolve(); } });
      child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`idle sessions: load exited (${code}): ${err}`)); });
    });
    await sleep(1500); // let the broker settle (and a Node broker's young GC run)
    const after = rssBytes(broker.child.pid);
    return { sessions: SESSIONS, rssBefore: before, rssAfter: after, bytesPerSession: (after - before) / SESSIONS };
  } finally {
    child.removeAllListeners("exit");
    const gone = new Promise((r) => child.once("exit", r));
    child.stdin.end(); // the load holds the sessions until stdin closes
    setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    await gone;
  }
}

const k = (n) => Math.round(n).toLocaleString("en-US");
const pct = (f) => `${(f * 100).toFixed(0)}%`;
const ms = (x) => (x >= 1000 ? ">= 1 s" : `${x.toFixed(2)} ms`); // mqtt_load's histogram ends at 1 s

/** Run every case on every broker (alternating, a fresh broker each time); print and return the rows and ratios. */
export async function benchBrokers() {
  const names = pick("BENCH_MQTT_BROKERS", Object.keys(BROKERS));
  const caseIds = pick("BENCH_MQTT_CASES", [...CASES.map((c) => c.id), "idle"]);
  const native = loadGenerator();
  const cases = CASES.filter((c) => caseIds.includes(c.id) && (native || c.pubs === 1 && c.subs === 10));
  const rows = [], memory = [];
  for (const c of cases) {
    console.log(`  ${c.title} (${c.window} in flight):`);
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of names) {
        const b = await BROKERS[name]();
        try {
          runs[name].push(await runLoad(b, c));
        } finally {
          await b.stop();
        }
      }
    }
    for (const name of names) {
      const rs = runs[name], m = (f) => median(rs.map(f));
      const row = { case: c.id, broker: name, deliveredPerSec: Math.round(m((r) => r.delivered / r.seconds)),
        p50Ms: m((r) => r.p50Ms), p99Ms: m((r) => r.p99Ms), ackP99Ms: c.qos ? m((r) => r.ackP99Ms) : undefined,
        brokerCpuUsPerDelivery: +m((r) => r.brokerCpuUs).toFixed(2), brokerCpuShare: +m((r) => r.brokerCpu).toFixed(2),
        loadCpuShare: +m((r) => r.loadCpu).toFixed(2) };
      rows.push(row);
      console.log(`    ${name.padEnd(16)} ${k(row.deliveredPerSec).padStart(9)} deliveries/s  p50 ${ms(row.p50Ms)}  p99 ${ms(row.p99Ms)}` +
        (c.qos && row.ackP99Ms !== undefined ? `  PUBACK p99 ${ms(row.ackP99Ms)}` : "") +
        `  broker ${row.brokerCpuUsPerDelivery.toFixed(2)} us CPU/delivery, at ${pct(row.brokerCpuShare)} of its core; load at ${pct(row.loadCpuShare)}`);
    }
  }
  if (caseIds.includes("idle") && native) {
    console.log(`  ${k(SESSIONS)} idle sessions (connected, subscribed):`);
    for (const name of names.filter((n) => n !== "tsmongoose-w1000")) { // (the same broker as tsmongoose when idle)
      const b = await BROKERS[name]();
      try {
        const r = { broker: name, ...(await idleSessions(b)) };
        memory.push(r);
        console.log(`    ${name.padEnd(16)} +${((r.rssAfter - r.rssBefore) / 1024 ** 2).toFixed(1)} MB RSS, ${k(r.bytesPerSession)} bytes per session`);
      } finally {
        await b.stop();
      }
    }
  }
  const ratios = {};
  const get = (c, n, f) => rows.find((r) => r.case === c && r.broker === n)?.[f];
  const ours = names.filter((n) => n.startsWith("tsmongoose")), peers = names.filter((n) => !n.startsWith("tsmongoose"));
  for (const c of cases) {
    for (const o of ours) {
      const tag = o === "tsmongoose" ? c.id : `${c.id}_${o.slice("tsmongoose-".length)}`;
      for (const peer of peers) {
        const x = get(c.id, o, "deliveredPerSec"), y = get(c.id, peer, "deliveredPerSec");
        if (x && y) ratios[`${tag}_vs_${peer}`] = +(x / y).toFixed(2);
        const oc = get(c.id, o, "brokerCpuUsPerDelivery"), pc = get(c.id, peer, "brokerCpuUsPerDelivery");
        if (oc && pc) ratios[`${tag}_cpu_vs_${peer}`] = +(pc / oc).toFixed(2);
      }
    }
  }
  return { rows, memory, ratios, load: native ? "mqtt_load.c" : "mqtt-load.mjs" };
}
