// mqtt-broker-sessions.test.ts: MqttBroker sessions (MQTT 4.1, 3.1.2-4, MQTT 5
// Clean Start + Session Expiry Interval) against mqtt.js (3.1.1 and 5) and raw
// bytes (a client that leaves deliveries unacknowledged): Session Present,
// subscriptions kept, QoS 1/2 queued while offline, resent on reconnect with
// DUP (4.4.0-1), PUBREL resent, expiry, takeover (MQTT 5: DISCONNECT 0x8E).
import mqtt from "mqtt";
import { cleanBrokerTests, raw, startBroker } from "./helpers/broker";
import { ackPacket, props, prop, subscribePacket } from "./helpers/mqtt-raw";
import { until } from "./helpers/mqtt-peers";

const clients = new Set<{ end(force?: boolean): unknown }>();
afterEach(async () => {
  for (const c of clients) c.end(true);
  clients.clear();
  await cleanBrokerTests();
});

interface Got { topic: string; text: string; qos: number }

/** Connect mqtt.js; resolves with the client, its CONNACK and what it receives. */
async function connect(url: string, opts: mqtt.IClientOptions): Promise<{ c: mqtt.MqttClient; present: boolean; got: Got[] }> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.add(c);
  const got: Got[] = [];
  c.on("message", (topic, payload, packet) => got.push({ topic, text: payload.toString(), qos: packet.qos }));
  const present = await new Promise<boolean>((resolve, reject) => {
    c.once("connect", (ack) => resolve(ack.sessionPresent));
    c.once("error", reject);
  });
  return { c, present, got };
}

describe.each([4, 5] as const)("mqtt.js, MQTT version %d", (version) => {
  test("a persistent session keeps its subscriptions and gets the QoS 1/2 messages sent while it was away", async () => {
    const b = await startBroker();
    const props5 = version === 5 ? { properties: { sessionExpiryInterval: 300 } } : {};
    const first = await connect(b.url, { protocolVersion: version, clientId: `p${version}`, clean: false, ...props5 });
    expect(first.present).toBe(false);
    await first.c.subscribeAsync({ "q/#": { qos: 2 } });
    await first.c.endAsync();
    await until(() => b.broker.stats().clients === 0, "the subscriber's connection to close");
    expect(b.broker.stats().sessions).toBe(1);
    const pub = await connect(b.url, { protocolVersion: version });
    await pub.c.publishAsync("q/1", "one", { qos: 1 });
    await pub.c.publishAsync("q/2", "two", { qos: 2 });
    await pub.c.publishAsync("q/0", "zero", { qos: 0 }); // QoS 0 is not kept for an offline client
    await pub.c.publishAsync("other", "no", { qos: 1 });
    expect(b.broker.stats().queued).toBe(2);
    const back = await connect(b.url, { protocolVersion: version, clientId: `p${version}`, clean: false, ...props5 });
    expect(back.present).toBe(true);
    await until(() => back.got.length >= 2, "the queued messages");
    expect(back.got).toEqual([{ topic: "q/1", text: "one", qos: 1 }, { topic: "q/2", text: "two", qos: 2 }]);
    // The subscription is still there.
    await pub.c.publishAsync("q/3", "three", { qos: 1 });
    await until(() => back.got.length >= 3, "a message on the kept subscription");
    // A clean connection starts over.
    await back.c.endAsync();
    const clean = await connect(b.url, { protocolVersion: version, clientId: `p${version}`, clean: true });
    expect(clean.present).toBe(false);
    await pub.c.publishAsync("q/4", "four", { qos: 1 });
    await until(() => b.broker.stats().messagesIn >= 6, "the publish");
    expect(clean.got).toEqual([]);
  });

  test("session takeover: the newest connection with an id wins; the old one is told (MQTT 5: DISCONNECT 0x8E)", async () => {
    const b = await startBroker();
    const old = await connect(b.url, { protocolVersion: version, clientId: "same" });
    const reasons: number[] = [];
    old.c.on("disconnect", (p) => reasons.push(p.reasonCode ?? -1));
    const closed = new Promise<void>((r) => old.c.stream.once("close", () => r()));
    const fresh = await connect(b.url, { protocolVersion: version, clientId: "same" });
    await closed;
    if (version === 5) expect(reasons).toEqual([0x8e]);
    await fresh.c.subscribeAsync("t");
    await fresh.c.publishAsync("t", "still here", { qos: 1 });
    await until(() => fresh.got.length === 1, "the new connection to work");
    expect(b.broker.stats().clients).toBe(1);
  });
});

test("MQTT 5: a session ends Session Expiry Interval seconds after its connection (0: at once)", async () => {
  const b = await startBroker();
  const a = await connect(b.url, { protocolVersion: 5, clientId: "e0", clean: false });
  await a.c.subscribeAsync("x", { qos: 1 });
  await a.c.endAsync();
  await until(() => b.broker.stats().sessions === 0, "the expiry-0 session to go");
  const c = await connect(b.url, { protocolVersion: 5, clientId: "e1", clean: false, properties: { sessionExpiryInterval: 1 } });
  await c.c.subscribeAsync("x", { qos: 1 });
  await c.c.endAsync();
  await until(() => b.broker.stats().clients === 0, "the connection to close");
  expect(b.broker.stats().sessions).toBe(1);
  const t0 = Date.now();
  await until(() => b.broker.stats().sessions === 0, "the 1 s session to expire", 5000);
  expect(Date.now() - t0).toBeGreaterThan(500);
  const again = await connect(b.url, { protocolVersion: 5, clientId: "e1", clean: false, properties: { sessionExpiryInterval: 1 } });
  expect(again.present).toBe(false);
});

test("3.1.1 persistent sessions never expire unless limits.maxSessionExpiry caps them", async () => {
  const b = await startBroker({ limits: { maxSessionExpiry: 1 } });
  const a = await connect(b.url, { protocolVersion: 4, clientId: "cap", clean: false });
  await a.c.endAsync();
  await until(() => b.broker.stats().clients === 0, "the connection to close");
  expect(b.broker.stats().sessions).toBe(1);
  await until(() => b.broker.stats().sessions === 0, "the capped session to expire", 5000);
});

describe.each([4, 5] as const)("raw client, MQTT version %d", (version) => {
  test("an unacknowledged QoS 1 delivery is sent again on reconnect, same id, with DUP (4.4.0-1)", async () => {
    const b = await startBroker();
    const expiry = version === 5 ? props(prop.u32(0x11, 60)) : undefined;
    const r = raw(b.port);
    expect((await r.connect({ version, clientId: "dup", clean: false, props: expiry })).present).toBe(false);
    r.send(subscribePacket(1, [["d/t", 1]], version));
    await r.next((p) => p.type === 9);
    b.broker.publish("d/t", "owed", { qos: 1 });
    const first = (await r.next((p) => p.type === 3)) && r.publishes(version)[0];
    expect(first).toMatchObject({ topic: "d/t", payload: "owed", qos: 1, dup: false });
    await r.close();
    await until(() => b.broker.stats().clients === 0, "the broker to see the close");
    expect(b.broker.stats().inflight).toBe(1);
    const r2 = raw(b.port);
    expect((await r2.connect({ version, clientId: "dup", clean: false, props: expiry })).present).toBe(true);
    await r2.next((p) => p.type === 3);
    expect(r2.publishes(version)[0]).toMatchObject({ topic: "d/t", payload: "owed", qos: 1, dup: true, id: first.id });
    r2.send(ackPacket(4, first.id));
    await until(() => b.broker.stats().inflight === 0, "the PUBACK to clear it");
  });

  test("QoS 2: a delivery in the PUBREL state gets its PUBREL again on reconnect", async () => {
    const b = await startBroker();
    const expiry = version === 5 ? props(prop.u32(0x11, 60)) : undefined;
    const r = raw(b.port);
    await r.connect({ version, clientId: "rel", clean: false, props: expiry });
    r.send(subscribePacket(1, [["r/t", 2]], version));
    await r.next((p) => p.type === 9);
    b.broker.publish("r/t", "twice?", { qos: 2 });
    await r.next((p) => p.type === 3);
    const id = r.publishes(version)[0].id;
    r.send(ackPacket(5, id)); // PUBREC
    await r.next((p) => p.type === 6);
    await r.close(); // no PUBCOMP
    await until(() => b.broker.stats().clients === 0, "the broker to see the close");
    const r2 = raw(b.port);
    expect((await r2.connect({ version, clientId: "rel", clean: false, props: expiry })).present).toBe(true);
    const rel = await r2.next((p) => p.type === 6);
    expect(rel.body.readUInt16BE(0)).toBe(id);
    expect(r2.publishes(version)).toEqual([]); // not the PUBLISH again
    r2.send(ackPacket(7, id));
    await until(() => b.broker.stats().inflight === 0, "the PUBCOMP to clear it");
  });
});

test("MQTT 5 DISCONNECT may change the Session Expiry Interval, but not from 0 (protocol error 0x82)", async () => {
  const b = await startBroker();
  const r = raw(b.port);
  await r.connect({ version: 5, clientId: "d60", clean: false, props: props(prop.u32(0x11, 60)) });
  r.send(Buffer.from([0xe0, 7, 0x00, 5, ...prop.u32(0x11, 0)])); // DISCONNECT, Session Expiry Interval 0: ends it now
  await r.closed;
  await until(() => b.broker.stats().sessions === 0, "the session to end with its connection");
  const z = raw(b.port);
  await z.connect({ version: 5, clientId: "d0" });
  z.send(Buffer.from([0xe0, 7, 0x00, 5, ...prop.u32(0x11, 60)]));
  const d = await z.next((p) => p.type === 14);
  expect(d.body[0]).toBe(0x82);
  await z.closed;
  await until(() => b.broker.stats().sessions === 0, "no session kept");
});
