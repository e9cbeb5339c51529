// mqtt-broker-component.test.ts: MqttBroker as a component: in-process
// publish/subscribe, over the in-memory network (the browser path), `$SYS`
// statistics, two brokers joined by a bus (publishes, retained, takeover),
// and the graceful close (DISCONNECT 0x8B / close, listeners stopped, owed
// QoS 1 delivered first, sessions saved to the store).
import * as net from "node:net";
import {
  Manager, memoryNetwork, MemorySessionStore, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MqttBroker,
  type MqttBrokerMessage, type MqttBusMessage, type MqttBrokerBus, type MqttMessage, type MqttStoredSession,
} from "tsmongoose";
import { cleanBrokerTests, raw, startBroker } from "./helpers/broker";
import { jsConnect } from "./helpers/mqtt-js";
import { until } from "./helpers/mqtt-peers";
import { subscribePacket } from "./helpers/mqtt-raw";

afterEach(cleanBrokerTests);

test("broker.publish and broker.subscribe: in process, both ways, with noLocal", async () => {
  const b = await startBroker();
  const c = await jsConnect(b.url, { protocolVersion: 5, clientId: "js" });
  await c.c.subscribeAsync("in/#", { qos: 1 });
  const seen: MqttBrokerMessage[] = [];
  const own: string[] = [];
  const off = b.broker.subscribe("from/+", (m) => seen.push(m));
  b.broker.subscribe("from/#", (m) => own.push(new TextDecoder().decode(m.payload)), { noLocal: true });
  b.broker.publish("in/x", "to the client", { qos: 1 });
  b.broker.publish("from/self", "mine");
  await c.c.publishAsync("from/js", "hello", { qos: 1, properties: { userProperties: { k: "v" } } });
  await until(() => c.got.length === 1 && seen.length === 2, "both directions");
  expect(c.got[0]).toMatchObject({ topic: "in/x", text: "to the client", qos: 1 });
  expect(seen[1]).toMatchObject({ topic: "from/js", qos: 1, retain: false, origin: "js", properties: [{ id: 0x26, value: ["k", "v"] }] });
  expect(own).toEqual(["hello"]);
  off();
  await c.c.publishAsync("from/js", "again", { qos: 1 });
  expect(seen).toHaveLength(2);
});

test("broker.publish keeps a copy of a Buffer payload: a caller reusing it does not change the retained message", async () => {
  const b = await startBroker();
  const buf = Buffer.from("kept as published");
  b.broker.publish("keep/r", buf, { retain: true });
  buf.fill(0x78); // the caller reuses its buffer at once
  const c = await jsConnect(b.url, { protocolVersion: 5, clientId: "keep" });
  await c.c.subscribeAsync("keep/#", { qos: 1 });
  await until(() => c.got.length === 1, "the retained message");
  expect(c.got[0]).toMatchObject({ topic: "keep/r", text: "kept as published", retain: true });
});

test("over the in-memory network (the browser path): a broker and our own client on mem://", async () => {
  const m = new Manager(undefined, { network: memoryNetwork() });
  const broker = new MqttBroker(m);
  const got: string[] = [];
  try {
    broker.listen("mem://broker");
    m.mqttConnect("mem://broker", {
      version: 5,
      handler: (conn, ev, data) => {
        if (ev === MG_EV_MQTT_OPEN) { conn.mqttSub("echo/#", { qos: 1 }); conn.mqttPub("echo/a", "over memory", { qos: 2 }); }
        if (ev === MG_EV_MQTT_MSG) got.push((data as MqttMessage).text);
      },
    });
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) await m.poll(10);
    expect(got).toEqual(["over memory"]);
    expect(broker.stats()).toMatchObject({ clients: 1, sessions: 1, messagesIn: 1, messagesOut: 1 });
  } finally {
    await broker.close({ timeoutMs: 100 });
    m.close();
  }
});

test("$SYS/broker statistics when sys is on; # and + do not match $SYS", async () => {
  const b = await startBroker({ sys: { intervalMs: 100 } });
  const all = await jsConnect(b.url, { protocolVersion: 4 });
  await all.c.subscribeAsync("#");
  const sys = await jsConnect(b.url, { protocolVersion: 4 });
  await sys.c.subscribeAsync("$SYS/broker/#");
  await until(() => sys.got.some((g) => g.topic === "$SYS/broker/clients/connected" && g.text === "2"), "clients/connected 2");
  const topics = new Set(sys.got.map((g) => g.topic));
  for (const t of ["version", "uptime", "messages/received", "messages/sent", "bytes/received", "bytes/sent", "subscriptions/count"]) {
    expect(topics).toContain(`$SYS/broker/${t}`);
  }
  expect(all.got.filter((g) => g.topic.startsWith("$"))).toEqual([]);
});

/** Buses joining `n` brokers in this process (delivered on a later tick, as over IPC). */
function buses(n: number): MqttBrokerBus[] {
  const handlers: ((m: MqttBusMessage) => void)[] = [];
  return Array.from({ length: n }, (_, i) => ({
    send: (m: MqttBusMessage) => { for (const [j, h] of handlers.entries()) if (j !== i) setImmediate(() => h(structuredClone(m))); },
    onMessage: (cb: (m: MqttBusMessage) => void) => { handlers[i] = cb; },
  }));
}

test("two brokers joined by a bus act as one: publishes cross, retained is seen from both, a client id taken over across them", async () => {
  const [busA, busB] = buses(2);
  const store = new MemorySessionStore(); // shared: sessions follow a client across brokers
  const a = await startBroker({ bus: busA, store });
  const b = await startBroker({ bus: busB, store });
  const onA = await jsConnect(a.url, { protocolVersion: 5 });
  await onA.c.subscribeAsync("x/#", { qos: 1 });
  const onB = await jsConnect(b.url, { protocolVersion: 4 });
  await onB.c.publishAsync("x/1", "from B", { qos: 1 });
  await until(() => onA.got.length === 1, "B's publish on A");
  await onA.c.publishAsync("kept/t", "retained on A", { qos: 1, retain: true });
  await until(() => b.broker.stats().retained === 1, "the retained message on B");
  const late = await jsConnect(b.url, { protocolVersion: 5 });
  await late.c.subscribeAsync("kept/#");
  await until(() => late.got.length === 1, "the retained message from B");
  expect(late.got[0]).toMatchObject({ text: "retained on A", retain: true });
  // Takeover: the same id on the other broker closes the first (MQTT 5: 0x8E).
  const first = await jsConnect(a.url, { protocolVersion: 5, clientId: "roamer", clean: false, properties: { sessionExpiryInterval: 60 } });
  await first.c.subscribeAsync("roam/#", { qos: 1 });
  const reasons: number[] = [];
  first.c.on("disconnect", (p) => reasons.push(p.reasonCode ?? -1));
  await until(() => a.broker.stats().subscriptions >= 2, "the subscription");
  const closed = new Promise<void>((r) => first.c.stream.once("close", () => r()));
  await jsConnect(b.url, { protocolVersion: 5, clientId: "roamer", clean: false, properties: { sessionExpiryInterval: 60 } });
  await closed;
  expect(reasons).toEqual([0x8e]);
});

test("close(): stop accepting, deliver what is owed, DISCONNECT 0x8B (3.1.1: close), save the sessions", async () => {
  const saved = new Map<string, MqttStoredSession>();
  const store = new MemorySessionStore();
  const spy = { load: (id: string) => store.load(id), delete: (id: string) => store.delete(id), save: (id: string, s: MqttStoredSession) => { saved.set(id, s); store.save(id, s); } };
  const b = await startBroker({ store: spy });
  const v5 = await jsConnect(b.url, { protocolVersion: 5, clientId: "five", clean: false, properties: { sessionExpiryInterval: 600 } });
  await v5.c.subscribeAsync("c/#", { qos: 1 });
  const reasons: number[] = [];
  v5.c.on("disconnect", (p) => reasons.push(p.reasonCode ?? -1));
  const v4 = await jsConnect(b.url, { protocolVersion: 4, clientId: "four", clean: false });
  const v4closed = new Promise<void>((r) => v4.c.stream.once("close", () => r()));
  // A slow subscriber: holds its PUBACK until the broker is closing.
  const slow = raw(b.port);
  await slow.connect({ version: 4, clientId: "slow", clean: false });
  slow.send(subscribePacket(1, [["c/#", 1]], 4));
  await slow.next((p) => p.type === 9);
  b.broker.publish("c/owed", "owed", { qos: 1 });
  await slow.next((p) => p.type === 3);
  const closing = b.broker.close({ timeoutMs: 5000 });
  const id = slow.publishes(4)[0].id;
  setTimeout(() => slow.send(Buffer.from([0x40, 2, id >> 8, id & 255])), 100); // PUBACK, late
  await closing;
  expect(reasons).toEqual([0x8b]);
  await v4closed;
  await slow.closed;
  expect(v5.got.map((g) => g.text)).toEqual(["owed"]);
  expect([...saved.keys()].sort()).toEqual(["five", "four", "slow"]);
  expect(saved.get("slow")!.inflight).toEqual([]); // its PUBACK came before the goodbye
  expect(saved.get("five")!.subscriptions).toEqual([{ filter: "c/#", qos: 1, options: 0 }]);
  // The listener is gone.
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect(b.port, "127.0.0.1");
    s.once("connect", () => { s.destroy(); resolve(false); });
    s.once("error", () => resolve(true));
  });
  expect(refused).toBe(true);
});
