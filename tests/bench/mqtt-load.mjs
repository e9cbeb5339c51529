// mqtt-load.mjs URL QOS SECONDS WARMUP: the broker load: one mqtt.js
// publisher and 10 mqtt.js subscribers on "bench/fan", 64-byte payloads at
// QOS, a closed loop of at most 100 messages in flight (each delivered to
// all 10). Prints {"phase":"measure"} when WARMUP seconds are over, then
// {"delivered": n, "seconds": s, "p50Ms": x, "p99Ms": y, "loadCpu": f}:
// deliveries (one per subscriber per message) counted after the warm-up, and
// the share of one core this load process used meanwhile (near 1: the load,
// not the broker, sets the pace).
import mqtt from "mqtt";

const [url, qosArg, secArg, warmArg] = process.argv.slice(2);
const qos = Number(qosArg), seconds = Number(secArg), warmup = Number(warmArg);
const SUBS = 10, WINDOW = 100;

const connect = () => new Promise((resolve, reject) => {
  const c = mqtt.connect(url, { reconnectPeriod: 0, keepalive: 0 });
  c.once("connect", () => resolve(c));
  c.once("error", reject);
});

const subs = await Promise.all(Array.from({ length: SUBS }, connect));
await Promise.all(subs.map((s) => s.subscribeAsync("bench/fan", { qos })));
const pub = await connect();

const sentAt = new Float64Array(1 << 20);
const counts = new Uint8Array(1 << 20);
let sent = 0, done = 0, delivered = 0, recording = false, stop = false, pumping = false;
const lat = [];
const payload = Buffer.alloc(64, 0x62);

function pump() {
  pumping = false;
  while (!stop && sent - done < WINDOW) {
    const seq = sent++ & 0xfffff;
    payload.writeUInt32BE(seq, 0);
    sentAt[seq] = performance.now();
    counts[seq] = 0;
    pub.publish("bench/fan", Buffer.from(payload), { qos });
  }
}

for (const s of subs) {
  s.on("message", (_t, p) => {
    const seq = p.readUInt32BE(0);
    if (recording) {
      delivered++;
      if ((delivered & 7) === 0) lat.push(performance.now() - sentAt[seq]);
    }
    if (++counts[seq] === SUBS) {
      done++;
      if (!pumping && !stop) { pumping = true; setImmediate(pump); }
    }
  });
}

pump();
await new Promise((r) => setTimeout(r, warmup * 1000));
recording = true;
console.log(JSON.stringify({ phase: "measure" }));
const t0 = performance.now(), cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
recording = false;
stop = true;
const elapsed = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
lat.sort((a, b) => a - b);
const q = (f) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(f * lat.length))] : NaN);
console.log(JSON.stringify({ delivered, seconds: elapsed, p50Ms: q(0.5), p99Ms: q(0.99), loadCpu: (cpu.user + cpu.system) / 1e6 / elapsed }));
for (const c of [...subs, pub]) c.end(true);
process.exit(0);
