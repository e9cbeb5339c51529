// mqtt-bridge.mjs: an edge broker with a bridge, side by side in one run
// (`node tests/bench/mqtt-bridge.mjs` after a build): servers/mqtt-bridge-edge.mjs
// (an MqttBroker and an MqttBridge in one Node process) against a mosquitto
// edge with a `connection` bridge, both forwarding to the same central
// mosquitto. The load is the same for both: mosquitto_pub -l sends COUNT
// QoS 1 messages to the edge, mosquitto_sub on the central broker waits for
// all of them. Printed: messages per second end to end, and the edge
// process's CPU time per message (its own cost: broker side plus bridge).
// Environment: BENCH_BRIDGE_COUNT (20000), BENCH_BRIDGE_ROUNDS (3; medians).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const COUNT = Number(process.env.BENCH_BRIDGE_COUNT || 20_000);
const ROUNDS = Number(process.env.BENCH_BRIDGE_ROUNDS || 3);
const TICK = 100; // clock ticks per second of /proc/<pid>/stat (Linux's USER_HZ)

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once("error", reject);
  s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** Start a process; resolve once `ready` matches its output. */
function start(cmd, args, ready, env = {}) {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 15_000);
    const check = (d) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, match: m, out: () => out }); }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited (${code}): ${out}`)); });
  });
}

async function stop(p) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once("exit", r));
  p.child.kill("SIGTERM");
  const t = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(t);
}

/** utime + stime of a process, in seconds. */
function cpuOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = f.slice(f.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

async function mosquitto(port, dir, extra = "") {
  const conf = join(dir, `m-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages ${COUNT * 2}\n${extra}\n`);
  return start("/usr/sbin/mosquitto", ["-c", conf, "-v"], /running/);
}

/** One run: COUNT QoS 1 messages through the edge at `edgePort`; returns rate and edge CPU per message. */
async function round(edgePid, edgePort, centralPort, topicUp) {
  const sub = spawn("mosquitto_sub", ["-p", String(centralPort), "-q", "1", "-t", `${topicUp}/#`, "-C", String(COUNT)], { stdio: ["ignore", "ignore", "inherit"] });
  const subDone = new Promise((r) => sub.once("exit", r));
  await new Promise((r) => setTimeout(r, 300)); // its SUBSCRIBE is in (a bench, not a test: no deadline needed beyond the cap below)
  const cpu0 = cpuOf(edgePid);
  const t0 = process.hrtime.bigint();
  const pub = spawn("mosquitto_pub", ["-p", String(edgePort), "-q", "1", "-t", "sensors/x", "-l"], { stdio: ["pipe", "ignore", "inherit"] });
  pub.stdin.end(Array.from({ length: COUNT }, (_, i) => `m${i}`).join("\n") + "\n");
  const cap = setTimeout(() => { sub.kill("SIGKILL"); pub.kill("SIGKILL"); }, 120_000);
  await subDone;
  clearTimeout(cap);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuOf(edgePid) - cpu0;
  await new Promise((r) => (pub.exitCode !== null ? r() : pub.once("exit", r)));
  return { rate: COUNT / secs, usPerMsg: (cpu * 1e6) / COUNT };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), "bench-bridge-"));
const centralPort = await freePort();
const central = await mosquitto(centralPort, dir);
const results = {};
try {
  // Ours: MqttBroker + MqttBridge, MQTT 5 upstream, QoS 1 out.
  const ours = await start(process.execPath, [join(root, "tests", "bench", "servers", "mqtt-bridge-edge.mjs")], /bridge up/,
    { UPSTREAM: `mqtt://127.0.0.1:${centralPort}` });
  const oursPort = Number(/edge on (\d+)/.exec(ours.out())[1]);
  const r1 = [];
  for (let i = 0; i < ROUNDS; i++) r1.push(await round(ours.child.pid, oursPort, centralPort, "site/bench/sensors"));
  await stop(ours);
  // mosquitto's own bridge, configured the same way.
  const edgePort = await freePort();
  const edge = await mosquitto(edgePort, dir, [
    "connection bench", `address 127.0.0.1:${centralPort}`, "bridge_protocol_version mqttv50", "cleansession false",
    "remote_clientid bridge-mosq-bench", "topic sensors/# out 1 \"\" site/mosq/",
  ].join("\n"));
  await new Promise((r) => setTimeout(r, 1000)); // its bridge connects and subscribes locally
  const r2 = [];
  for (let i = 0; i < ROUNDS; i++) r2.push(await round(edge.child.pid, edgePort, centralPort, "site/mosq/sensors"));
  await stop(edge);
  results.tsmongoose = { rate: median(r1.map((r) => r.rate)), usPerMsg: median(r1.map((r) => r.usPerMsg)) };
  results.mosquitto = { rate: median(r2.map((r) => r.rate)), usPerMsg: median(r2.map((r) => r.usPerMsg)) };
} finally {
  await stop(central);
  rmSync(dir, { recursive: true, force: true });
}
const { tsmongoose: a, mosquitto: b } = results;
console.log(`edge broker + bridge, ${COUNT} QoS 1 messages, median of ${ROUNDS}`);
console.log(`| | tsmongoose (MqttBroker + MqttBridge) | mosquitto (bridge) | ratio |`);
console.log(`| --- | ---: | ---: | ---: |`);
console.log(`| messages/s end to end | ${Math.round(a.rate)} | ${Math.round(b.rate)} | ${(a.rate / b.rate).toFixed(2)}x |`);
console.log(`| edge CPU per message | ${a.usPerMsg.toFixed(2)} us | ${b.usPerMsg.toFixed(2)} us | ${(a.usPerMsg / b.usPerMsg).toFixed(2)}x |`);
