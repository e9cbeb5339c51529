// mqtt-pub.mjs IMPL URL QOS COUNT: one MQTT publisher (IMPL tsmongoose or
// mqttjs) sends COUNT 64-byte messages to "bench/pub" at QOS as fast as the
// client allows (QoS 1: at most 1000 unacknowledged), then one QoS 1 marker;
// the broker handles a connection's packets in order, so the marker's PUBACK
// means every message reached it. Also reports the publisher's own CPU time
// (user + system), which a busy machine or a slow broker does not inflate. Both clients run the same loop: batches of
// up to 2000 between event-loop turns; QoS 1 refills at half a window. Prints {"ms": ..., "count": ...}.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [impl, url, qosArg, countArg] = process.argv.slice(2);
const qos = Number(qosArg), count = Number(countArg);
const payload = Buffer.alloc(64, 0x61);
const WINDOW = 1000;
const cpuMs = (since) => { const d = process.cpuUsage(since); return (d.user + d.system) / 1000; };

async function tsmongoose() {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const { Manager, MG_EV_MQTT_OPEN, MG_EV_MQTT_CMD, MG_EV_ERROR, MQTT_CMD_PUBACK, init } = await import(join(root, "dist", "index.mjs"));
  await init();
  return new Promise((resolve, reject) => {
    let sent = 0, acked = 0, t0 = 0, marker = -1, conn, cpu0;
    const pump = () => {
      // Batches: the socket gets the bytes between batches.
      let n = 0;
      while (sent < count && n < 2000 && (qos === 0 || sent - acked < WINDOW)) {
        conn.mqttPub("bench/pub", payload, { qos });
        sent++, n++;
      }
      if (sent === count && marker < 0) marker = conn.mqttPub("bench/pub", payload, { qos: 1 });
      else if (sent < count && (qos === 0 || sent - acked < WINDOW)) setImmediate(pump);
    };
    const mgr = new Manager((c, ev, data) => {
      if (ev === MG_EV_ERROR) reject(new Error(data));
      if (ev === MG_EV_MQTT_OPEN) { conn = c; t0 = performance.now(); cpu0 = process.cpuUsage(); pump(); }
      if (ev === MG_EV_MQTT_CMD && data.cmd === MQTT_CMD_PUBACK) {
        if (data.id === marker) {
          resolve({ ms: performance.now() - t0, cpuMs: cpuMs(cpu0), count });
          mgr.close();
          return;
        }
        acked++;
        if (qos === 1 && sent - acked === WINDOW / 2 && sent < count) setImmediate(pump);
      }
    });
    mgr.mqttConnect(url, { keepalive: 0 });
    mgr.run({ signals: [] }).catch(reject);
  });
}

async function mqttjs() {
  const { default: mqtt } = await import("mqtt");
  const client = mqtt.connect(url, { reconnectPeriod: 0 });
  await new Promise((r, j) => { client.once("connect", r); client.once("error", j); });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let sent = 0, acked = 0;
  await new Promise((resolve) => {
    const pump = () => {
      let n = 0;
      while (sent < count && n < 2000 && (qos === 0 || sent - acked < WINDOW)) {
        client.publish("bench/pub", payload, { qos }, qos === 1 ? () => { acked++; if (sent - acked === WINDOW / 2 && sent < count) setImmediate(pump); } : undefined);
        sent++, n++;
      }
      if (sent === count) client.publish("bench/pub", payload, { qos: 1 }, () => resolve());
      else if (qos === 0) setImmediate(pump);
    };
    pump();
  });
  const ms = performance.now() - t0;
  const cpu = cpuMs(cpu0);
  client.end(true);
  return { ms, cpuMs: cpu, count };
}

const r = impl === "tsmongoose" ? await tsmongoose() : await mqttjs();
console.log(JSON.stringify(r));
process.exit(0);
