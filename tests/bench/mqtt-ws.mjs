// mqtt-ws.mjs: MQTT over WebSocket against MQTT over TCP, side by side in
// one run (alone: `node tests/bench/mqtt-ws.mjs` after a build). The same
// mqtt.js load as the MQTT bench (mqtt-load.mjs: 1 publisher, 10
// subscribers, 64 B, QoS 0 and 1) against examples/mqtt-broker.ts on
// mqtt:// and on ws:// (WS_PORT), and against aedes on node:net and on the
// `ws` package (tests/fixtures/aedes-ws-broker.mjs). Prints deliveries per
// second, p99, the broker's CPU time per delivery and the load's CPU share,
// then the ratios: what WebSocket framing costs each broker (ws / tcp), and
// ours against aedes over ws. Brokers on CPU 0, the load on CPU 1 when
// taskset exists (BENCH_PIN=0: no pinning).
// Part 2, the cost of the framing alone: our client publishing through our
// listener to our subscriber, all in this process (one manager, loopback
// sockets), 20000 x 64 B in a window of 50: CPU time per message of the
// whole exchange over mqtt:// and over ws:// (the mqtt.js load of part 1 is
// itself slower over `ws`, which moves part 1's numbers too).
// Environment: BENCH_MQTT_SECONDS (5), BENCH_MQTT_ROUNDS (1), BENCH_MQTT_WS_ONLY
// (a comma list of the broker names below, to run some of them; no ratios then).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuSeconds, here, median, PIN, pinned, root, start } from "./mqtt-common.mjs";

const env = process.env;
const SECONDS = Number(env.BENCH_MQTT_SECONDS || 5);
const ROUNDS = Number(env.BENCH_MQTT_ROUNDS || 1);

/** Start a broker on CPU 0; resolve once `ready` matches its output, with the URL it builds from the match. */
async function startBroker(args, ready, url, extraEnv) {
  const b = await start(0, process.execPath, args, ready, extraEnv);
  return { child: b.child, url: url(b.match), stop: b.stop };
}

/** mqtt-load.mjs against `url`; adds brokerCpuUs, the broker's CPU per delivery over the measured window. */
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

const example = join(root, "build", "examples", "mqtt-broker.mjs");
const BROKERS = {
  "tsmongoose tcp": () => startBroker([example], /running on (mqtt:\/\/127\.0\.0\.1:\d+)/, (m) => m[1], { PORT: "0" }),
  "tsmongoose ws": () => startBroker([example], /running on (ws:\/\/127\.0\.0\.1:\d+\/mqtt)/, (m) => m[1], { PORT: "0", WS_PORT: "0" }),
  "aedes tcp": () => startBroker([join(root, "tests", "fixtures", "aedes-broker.mjs")], /aedes listening on (\d+)/, (m) => `mqtt://127.0.0.1:${m[1]}`, { PORT: "0" }),
  "aedes ws": () => startBroker([join(root, "tests", "fixtures", "aedes-ws-broker.mjs")], /aedes ws listening on (\d+)/, (m) => `ws://127.0.0.1:${m[1]}/mqtt`, { PORT: "0" }),
};

const ONLY = env.BENCH_MQTT_WS_ONLY ? env.BENCH_MQTT_WS_ONLY.split(",") : undefined;
if (ONLY) for (const k of Object.keys(BROKERS)) if (!ONLY.includes(k)) delete BROKERS[k];

export async function benchMqttWs() {
  if (!existsSync(example)) throw new Error("build first: node scripts/setup.mjs --build");
  console.log(`\nMQTT over WebSocket vs TCP (mqtt.js: 1 publisher, 10 subscribers, 64 B, ${SECONDS}s per run)${PIN ? "; broker on CPU 0, load on CPU 1" : ""}`);
  const rows = [];
  for (const qos of [0, 1]) {
    const runs = Object.fromEntries(Object.keys(BROKERS).map((k) => [k, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, launch] of Object.entries(BROKERS)) {
        const b = await launch();
        try {
          runs[name].push(await runLoad(b.url, qos, b.child.pid));
        } finally {
          await b.stop();
        }
      }
    }
    for (const [name, rs] of Object.entries(runs)) {
      const row = {
        qos, broker: name, deliveredPerSec: Math.round(median(rs.map((r) => r.delivered / r.seconds))),
        p99Ms: +median(rs.map((r) => r.p99Ms)).toFixed(2), brokerCpuUs: +median(rs.map((r) => r.brokerCpuUs)).toFixed(2),
        loadCpu: +median(rs.map((r) => r.loadCpu)).toFixed(2),
      };
      rows.push(row);
      console.log(`  QoS ${qos} ${name.padEnd(15)} ${String(row.deliveredPerSec).padStart(8)} deliveries/s  p99 ${row.p99Ms.toFixed(2)} ms  ` +
        `broker ${row.brokerCpuUs.toFixed(2)} us CPU per delivery  load at ${(row.loadCpu * 100).toFixed(0)}% of its core`);
    }
  }
  if (ONLY) return { rows };
  const get = (name, qos) => rows.find((r) => r.broker === name && r.qos === qos);
  const ratios = {};
  for (const qos of [0, 1]) {
    ratios[`tsmongoose_ws_over_tcp_rate_qos${qos}`] = +(get("tsmongoose ws", qos).deliveredPerSec / get("tsmongoose tcp", qos).deliveredPerSec).toFixed(2);
    ratios[`tsmongoose_ws_over_tcp_cpu_qos${qos}`] = +(get("tsmongoose ws", qos).brokerCpuUs / get("tsmongoose tcp", qos).brokerCpuUs).toFixed(2);
    ratios[`aedes_ws_over_tcp_cpu_qos${qos}`] = +(get("aedes ws", qos).brokerCpuUs / get("aedes tcp", qos).brokerCpuUs).toFixed(2);
    ratios[`ws_tsmongoose_vs_aedes_rate_qos${qos}`] = +(get("tsmongoose ws", qos).deliveredPerSec / get("aedes ws", qos).deliveredPerSec).toFixed(2);
    ratios[`ws_aedes_vs_tsmongoose_cpu_qos${qos}`] = +(get("aedes ws", qos).brokerCpuUs / get("tsmongoose ws", qos).brokerCpuUs).toFixed(2);
  }
  console.log("  ratios:", JSON.stringify(ratios));
  return { rows, ratios };
}

/** Part 2: CPU per message of our client -> our listener -> our subscriber, in this process. */
export async function benchMqttWsInProcess(rounds = 3) {
  const mg = await import(join(root, "dist", "index.mjs"));
  await mg.init();
  const N = 20000, WINDOW = 50;
  async function once(scheme, qos) {
    const mgr = new mg.Manager();
    let subConn, got = 0, sent = 0, ready = 0;
    const l = mgr.mqttListen(`${scheme}://127.0.0.1:0/mqtt`, { handler: (c, ev, m) => {
      if (ev !== mg.MG_EV_MQTT_CMD) return;
      if (m.cmd === mg.MQTT_CMD_CONNECT) c.mqttConnack(0);
      else if (m.cmd === mg.MQTT_CMD_SUBSCRIBE) { subConn = c; c.mqttSuback(m.id, [qos]); }
      else if (m.cmd === mg.MQTT_CMD_PUBLISH) { if (m.qos === 1) c.mqttPuback(m.id); subConn.mqttPub(m.topic, m.data, { qos: m.qos }); }
    } });
    const url = `${scheme}://127.0.0.1:${l.localAddr.port}/mqtt`;
    const payload = new Uint8Array(64);
    mgr.mqttConnect(url, { handler: (c, ev, m) => {
      if (ev === mg.MG_EV_MQTT_OPEN) c.mqttSub("b", { qos });
      else if (ev === mg.MG_EV_MQTT_CMD && m.cmd === mg.MQTT_CMD_SUBACK) ready++;
      else if (ev === mg.MG_EV_MQTT_MSG) got++;
    } });
    const pub = mgr.mqttConnect(url, { handler: (_c, ev) => { if (ev === mg.MG_EV_MQTT_OPEN) ready++; } });
    const deadline = Date.now() + 60_000;
    while (ready < 2 && Date.now() < deadline) await mgr.poll(5);
    const t0 = process.cpuUsage();
    while (got < N && Date.now() < deadline) {
      while (sent < N && sent - got < WINDOW) { pub.mqttPub("b", payload, { qos }); sent++; }
      await mgr.poll(1);
    }
    const cpu = process.cpuUsage(t0);
    mgr.close();
    if (got < N) throw new Error(`${scheme} QoS ${qos}: ${got} of ${N} delivered in 60 s`);
    return (cpu.user + cpu.system) / N;
  }
  console.log(`\nMQTT over WebSocket vs TCP, our client and listener in one process: CPU per message (20000 x 64 B, median of ${rounds})`);
  const ratios = {};
  for (const qos of [0, 1]) {
    const us = { mqtt: [], ws: [] };
    for (let r = 0; r < rounds; r++) for (const scheme of ["mqtt", "ws"]) us[scheme].push(await once(scheme, qos));
    const tcp = median(us.mqtt), ws = median(us.ws);
    console.log(`  QoS ${qos}  mqtt:// ${tcp.toFixed(2)} us  ws:// ${ws.toFixed(2)} us  ws/tcp ${(ws / tcp).toFixed(2)}`);
    ratios[`in_process_ws_over_tcp_cpu_qos${qos}`] = +(ws / tcp).toFixed(2);
  }
  return ratios;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchMqttWs();
  await benchMqttWsInProcess();
}
