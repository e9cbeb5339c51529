// mqtt-broker.ts: a small MQTT broker (3.1.1 and 5) built on mqttListen():
// subscriptions with `+` and `#`, retained messages, QoS 0, 1 and 2 both
// ways (granted as asked; QoS 2 exactly once), will messages, clean
// disconnects, and a graceful shutdown: stop accepting, deliver what is owed
// at QoS 1 and 2, then close every client cleanly (MQTT 5: DISCONNECT with
// reason 0x8B "server shutting down"). A message larger than a client's
// Maximum Packet Size is dropped for that client (MQTT 5 3.1.2-25). PORT (default 1883; 0 = any free port).
// TLS_CERT and TLS_KEY (PEM files) add an mqtts:// listener on TLS_PORT
// (default 8883; 0 = any free port) serving the same broker.
import { readFileSync } from "node:fs";
import {
  init, Manager, MG_EV_CLOSE, MG_EV_MQTT_CMD, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ,
  MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBSCRIBE,
  MQTT_CMD_UNSUBSCRIBE,
} from "tsmongoose";
import type { Connection, MqttMessage, MqttProperty } from "tsmongoose";

const port = Number(process.env.PORT ?? 1883);
const tlsPort = Number(process.env.TLS_PORT ?? 8883);
const { TLS_CERT: certFile, TLS_KEY: keyFile } = process.env;

interface Will { topic: string; message: Uint8Array; qos: number; retain: boolean }
interface Client {
  conn: Connection;
  id: string;
  version: number;
  subs: Map<string, number>; // topic filter -> granted QoS
  will?: Will;
  owed: Set<number>; // QoS 1/2 deliveries not yet acknowledged (PUBACK / PUBCOMP)
  received: Set<number>; // QoS 2 publishes taken, PUBREL not yet seen: a resend is not delivered again
}

const clients = new Map<Connection, Client>();
const retained = new Map<string, { data: Uint8Array; qos: number; props: MqttProperty[] }>();
let shuttingDown = false;

/** MQTT topic matching: `+` is one level, `#` the rest (and the parent); `$` topics need an explicit first level. */
function matches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** Properties forwarded to subscribers (a topic alias belongs to one connection only). */
function forwardable(props: MqttProperty[]): MqttProperty[] {
  return props.filter((p) => p.id !== 0x23 && p.id !== 0x0b);
}

function deliver(c: Client, topic: string, data: Uint8Array, qos: number, retain: boolean, props: MqttProperty[]): void {
  if (c.conn.closed || c.conn.isClosing || c.conn.isDraining) return;
  let id: number;
  try {
    id = c.conn.mqttPub(topic, data, { qos: qos as 0 | 1 | 2, retain, properties: c.version === 5 ? props : undefined });
  } catch (err) {
    // Over the client's Maximum Packet Size: MQTT 5 says drop it for this
    // client and go on as if it had been delivered (3.1.2-25).
    if (err instanceof RangeError) return;
    throw err;
  }
  if (id > 0) c.owed.add(id);
}

function publish(topic: string, data: Uint8Array, qos: number, retain: boolean, props: MqttProperty[]): void {
  if (retain) {
    if (data.length === 0) retained.delete(topic); // an empty retained message clears it
    else retained.set(topic, { data, qos, props });
  }
  for (const c of clients.values()) {
    let best = -1;
    for (const [filter, granted] of c.subs) if (matches(filter, topic)) best = Math.max(best, granted);
    if (best >= 0) deliver(c, topic, data, Math.min(qos, best), false, props);
  }
}

function onPacket(conn: Connection, m: MqttMessage): void {
  const c = clients.get(conn);
  switch (m.cmd) {
    case MQTT_CMD_CONNECT: {
      const info = m.connect()!;
      let id = info.clientId;
      const props: MqttProperty[] = [];
      if (id === "") {
        id = `auto-${conn.id}`;
        if (info.version === 5) props.push({ id: 0x12, value: id }); // Assigned Client Identifier
      }
      for (const other of clients.values()) {
        if (other.id === id) other.conn.close(); // session takeover: the newest connection wins
      }
      if (info.version === 5) props.push({ id: 0x22, value: 16 }); // topic aliases (no Maximum QoS: all of 0..2)
      const will = info.will ? { topic: info.will.topic, message: info.will.message, qos: info.will.qos, retain: info.will.retain } : undefined;
      clients.set(conn, { conn, id, version: info.version, subs: new Map(), will, owed: new Set(), received: new Set() });
      conn.mqttConnack(0, { properties: props });
      break;
    }
    case MQTT_CMD_SUBSCRIBE: {
      const codes: number[] = [];
      const filters = m.topics();
      for (const f of filters) {
        const granted = f.qos; // every QoS is served as asked
        c!.subs.set(f.topic, granted);
        codes.push(granted);
      }
      conn.mqttSuback(m.id, codes);
      for (const f of filters) {
        for (const [topic, r] of retained) if (matches(f.topic, topic)) deliver(c!, topic, r.data, Math.min(r.qos, c!.subs.get(f.topic)!), true, r.props);
      }
      break;
    }
    case MQTT_CMD_UNSUBSCRIBE: {
      const filters = m.topics();
      const codes = filters.map((f) => (c!.subs.delete(f.topic) ? 0 : 0x11)); // 0x11: no subscription existed
      conn.mqttUnsuback(m.id, codes);
      break;
    }
    case MQTT_CMD_PUBLISH:
      if (m.qos === 1) conn.mqttPuback(m.id);
      if (m.qos === 2) {
        conn.mqttPubrec(m.id);
        // QoS 2 is exactly once: a resent PUBLISH (same id, before PUBREL) is not delivered again.
        if (c!.received.has(m.id)) break;
        c!.received.add(m.id);
      }
      publish(m.topic, m.data, m.qos, m.retain, forwardable(m.properties()));
      break;
    case MQTT_CMD_PUBREL: {
      const known = c!.received.delete(m.id);
      conn.mqttPubcomp(m.id, { reason: known || c!.version !== 5 ? 0 : 0x92 }); // 0x92: packet identifier not found
      break;
    }
    case MQTT_CMD_PUBREC: // a subscriber took our QoS 2 delivery: release it (or it refused it)
      if (m.ack >= 0x80) c?.owed.delete(m.id);
      else conn.mqttPubrel(m.id);
      break;
    case MQTT_CMD_PUBACK:
    case MQTT_CMD_PUBCOMP:
      c?.owed.delete(m.id);
      break;
    case MQTT_CMD_PINGREQ:
      conn.mqttPong();
      break;
    case MQTT_CMD_DISCONNECT:
      if (c) c.will = undefined; // a clean disconnect drops the will
      conn.drain();
      break;
  }
}

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_MQTT_CMD) onPacket(conn, data as MqttMessage);
  if (ev === MG_EV_CLOSE) {
    const c = clients.get(conn);
    clients.delete(conn);
    if (c?.will && !shuttingDown) publish(c.will.topic, c.will.message, c.will.qos, c.will.retain, []);
  }
});

// Shutdown, after the listener closed: wait (bounded) for the QoS 1 and 2
// deliveries clients still owe a PUBACK or PUBCOMP for, then say goodbye.
mgr.onShutdown(async (signal) => {
  shuttingDown = true;
  console.log(`Received ${signal ?? "shutdown"}, ${clients.size} client(s) connected`);
  const deadline = Date.now() + 5000;
  const owed = () => [...clients.values()].reduce((n, c) => n + c.owed.size, 0);
  while (owed() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  console.log(`Delivered what was owed (${owed()} unacknowledged left), closing clients`);
  for (const c of clients.values()) {
    if (c.conn.closed || c.conn.isDraining) continue;
    if (c.version === 5) c.conn.mqttDisconnect({ reason: 0x8b }); // server shutting down
    else c.conn.drain(); // 3.1.1 has no server DISCONNECT: close after the output is out
  }
});

const listener = mgr.mqttListen(`mqtt://127.0.0.1:${port}`);
console.log(`MQTT broker running on mqtt://127.0.0.1:${listener.localAddr.port}`);
if (certFile && keyFile) {
  const tls = { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
  const tlsListener = mgr.mqttListen(`mqtts://127.0.0.1:${tlsPort}`, { tls });
  console.log(`MQTT broker running on mqtts://127.0.0.1:${tlsListener.localAddr.port}`);
}
if (process.env.WS_PORT !== undefined) { // MQTT over WebSocket, for browsers: mqtt.connect("ws://host:WS_PORT/mqtt")
  console.log(`MQTT broker running on ws://127.0.0.1:${mgr.mqttListen(`ws://127.0.0.1:${process.env.WS_PORT}/mqtt`).localAddr.port}/mqtt`);
}
console.log("Press Ctrl+C to stop");
const report = await mgr.run({ shutdownTimeoutMs: 10_000 });
console.log(`Broker stopped: ${report.drained} connection(s) drained, ${report.forced.length} forced`);
