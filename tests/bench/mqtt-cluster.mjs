// mqtt-cluster.mjs: what a delivery across workers costs, side by side in one
// run (`node tests/bench/mqtt-cluster.mjs` after a build; not part of run.mjs).
// examples/mqtt-broker-cluster.ts runs with 2 workers; one mqtt.js subscriber
// sits on worker A, one publisher on A (same worker) and one on B (across,
// through the primary's relay). Per case, alternating same/across:
//   - latency: one message at a time, publish -> delivery (median, p99);
//   - rate: COUNT messages pipelined, deliveries per second;
//   - CPU time of the primary, worker A and worker B per delivery (/proc).
// Environment: BENCH_MQTTC_COUNT (20000), BENCH_MQTTC_PINGS (1000), BENCH_MQTTC_ROUNDS (2).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const COUNT = Number(process.env.BENCH_MQTTC_COUNT || 20_000);
const PINGS = Number(process.env.BENCH_MQTTC_PINGS || 1000);
const ROUNDS = Number(process.env.BENCH_MQTTC_ROUNDS || 2);
const TICK = 1e6 / 100; // µs per clock tick (USER_HZ 100 on Linux)

const child = spawn(process.execPath, [join(root, "build", "examples", "mqtt-broker-cluster.mjs")], {
  cwd: root, env: { ...process.env, PORT: "0", WORKERS: "2", LOG_CLIENTS: "1" }, stdio: ["ignore", "pipe", "inherit"],
});
let out = "";
const waiters = new Set();
child.stdout.setEncoding("utf8").on("data", (d) => { out += d; for (const w of [...waiters]) w(); });
const waitFor = (re, count = 1) => new Promise((resolve, reject) => {
  const g = new RegExp(re.source, "g");
  const check = () => {
    const m = [...out.matchAll(g)];
    if (m.length >= count) { waiters.delete(check); clearTimeout(t); resolve(m); }
  };
  const t = setTimeout(() => reject(new Error(`no ${re} in:\n${out}`)), 20_000);
  waiters.add(check);
  check();
});

const cpuUs = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) * TICK; // utime + stime
};

let seq = 0;
async function client() {
  const clientId = `bench-${++seq}`;
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId, reconnectPeriod: 0 });
  await new Promise((resolve, reject) => { c.once("connect", resolve); c.once("error", reject); });
  const [m] = await waitFor(new RegExp(`worker (\\d+) client ${clientId}\\n`));
  return { c, pid: Number(m[1]) };
}

const found = await waitFor(/worker (\d+) listening on mqtt:\/\/127\.0\.0\.1:(\d+)/, 2);
const port = Number(found[0][2]);
const sub = await client();
let same;
let across;
for (let i = 0; i < 20 && !(same && across); i++) {
  const p = await client();
  if (p.pid === sub.pid && !same) same = p;
  else if (p.pid !== sub.pid && !across) across = p;
  else p.c.end(true);
}
if (!same || !across) throw new Error("could not place the publishers on both workers");
const workerB = across.pid;

let onMsg = () => {};
sub.c.on("message", () => onMsg());
await sub.c.subscribeAsync("bench/#", { qos: 1 });

async function latency(pub, qos) {
  const times = [];
  for (let i = 0; i < PINGS; i++) {
    const t0 = process.hrtime.bigint();
    const got = new Promise((r) => { onMsg = r; });
    pub.c.publish("bench/ping", "x", { qos });
    await got;
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], p99: times[Math.floor(times.length * 0.99)] };
}

// At most WINDOW messages between publish and delivery: the broker's session
// queue (maxQueuedMessages 1000 + maxInflight 20) drops beyond what a slower
// subscriber holds, and this measures the path, not that limit.
const WINDOW = 500;
async function rate(pub, qos) {
  let n = 0;
  let wake = () => {};
  const all = new Promise((r) => { onMsg = () => { if (++n === COUNT) r(); wake(); }; });
  const cpu0 = [child.pid, sub.pid, workerB].map(cpuUs);
  const t0 = process.hrtime.bigint();
  const payload = Buffer.alloc(64, 97);
  for (let i = 0; i < COUNT; i++) {
    while (i - n >= WINDOW) await new Promise((r) => { wake = r; });
    pub.c.publish("bench/rate", payload, { qos });
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  const stuck = setInterval(() => console.error(`  (rate: ${n} of ${COUNT} delivered so far)`), 10_000);
  await all;
  clearInterval(stuck);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = [child.pid, sub.pid, workerB].map((p, i) => (cpuUs(p) - cpu0[i]) / COUNT);
  return { perSec: COUNT / s, cpu };
}

const f = (x) => x.toFixed(0).padStart(8);
const g = (x) => x.toFixed(2).padStart(6);
console.log(`mqtt-cluster: 2 workers, subscriber on worker A; ${PINGS} pings, ${COUNT} x 64 B per rate run`);
console.log("case            qos  median µs  p99 µs  deliveries/s  CPU µs/delivery: primary  worker A  worker B");
for (let r = 0; r < ROUNDS; r++) {
  for (const qos of [0, 1]) {
    for (const [name, pub] of [["same worker", same], ["across workers", across]]) {
      const l = await latency(pub, qos);
      const t = await rate(pub, qos);
      console.log(`${name.padEnd(15)} ${qos}    ${f(l.median)} ${f(l.p99)}   ${f(t.perSec)}      ${g(t.cpu[0])}                    ${g(t.cpu[1])}    ${g(t.cpu[2])}`);
    }
  }
}
for (const c of [sub, same, across]) c.c.end(true);
child.kill("SIGTERM");
await new Promise((r) => child.on("exit", r));
