// mqtt-broker-flow.test.ts: MqttBroker flow control against raw MQTT 5 bytes
// and mqtt.js: the client's Receive Maximum (3.3.4-9), the broker's own
// (DISCONNECT 0x93), Message Expiry Interval (queued messages expire, the
// rest is forwarded with the time left), topic aliases to the client, the
// keep alive cap (Server Keep Alive, a silent client closed after 1.5x), and
// what CONNACK advertises.
import { cleanBrokerTests, raw, startBroker } from "./helpers/broker";
import { jsConnect } from "./helpers/mqtt-js";
import { until } from "./helpers/mqtt-peers";
import { ackPacket, propValues, prop, props, publishPacket, subscribePacket } from "./helpers/mqtt-raw";

afterEach(cleanBrokerTests);

test("the client's Receive Maximum: never more QoS 1/2 in flight to it; the rest follows each PUBACK", async () => {
  const b = await startBroker();
  const r = raw(b.port);
  await r.connect({ version: 5, clientId: "rm", props: props(prop.u16(0x21, 2)) });
  r.send(subscribePacket(1, [["rm/#", 1]], 5));
  await r.next((p) => p.type === 9);
  for (let i = 0; i < 6; i++) b.broker.publish("rm/t", `m${i}`, { qos: 1 });
  await r.until((ps) => ps.filter((p) => p.type === 3).length === 2);
  expect(b.broker.stats()).toMatchObject({ inflight: 2, queued: 4 });
  const seen = new Set<number>();
  while (seen.size < 6) {
    const pubs = r.publishes(5).filter((p) => !seen.has(p.id));
    for (const p of pubs) { seen.add(p.id); r.send(ackPacket(4, p.id)); }
    expect(b.broker.stats().inflight).toBeLessThanOrEqual(2);
    if (seen.size < 6) await r.until((ps) => ps.filter((p) => p.type === 3).length > seen.size);
  }
  expect(r.publishes(5).map((p) => p.payload)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
});

test("the broker's Receive Maximum is advertised and enforced: DISCONNECT 0x93 when a client exceeds it", async () => {
  const b = await startBroker({ limits: { receiveMaximum: 3 } });
  const r = raw(b.port);
  const ack = await r.connect({ version: 5 });
  expect(propValues(ack.props, 0x21)).toEqual([3]);
  for (let id = 1; id <= 4; id++) r.send(publishPacket("q2", "x", { qos: 2, id, version: 5 })); // no PUBREL
  const d = await r.next((p) => p.type === 14);
  expect(d.body[0]).toBe(0x93);
  await r.closed;
});

test("Message Expiry Interval: a queued message expires; one delivered later carries the time left", async () => {
  const b = await startBroker();
  const opts = { version: 5 as const, clientId: "exp", clean: false, props: props(prop.u32(0x11, 60)) };
  const r = raw(b.port);
  await r.connect(opts);
  r.send(subscribePacket(1, [["ex/#", 1]], 5));
  await r.next((p) => p.type === 9);
  await r.close();
  await until(() => b.broker.stats().clients === 0, "the close");
  b.broker.publish("ex/short", "gone", { qos: 1, properties: [{ id: 0x02, value: 1 }] });
  b.broker.publish("ex/long", "kept", { qos: 1, properties: [{ id: 0x02, value: 100 }] });
  await new Promise((res) => setTimeout(res, 2100)); // let the 1 s one expire: time is what is tested
  const r2 = raw(b.port);
  await r2.connect(opts);
  await r2.next((p) => p.type === 3);
  const pubs = r2.publishes(5);
  expect(pubs.map((p) => p.payload)).toEqual(["kept"]);
  const left = propValues(pubs[0].props, 0x02)[0];
  expect(left).toBeLessThanOrEqual(98);
  expect(left).toBeGreaterThan(80);
});

test("topic aliases to the client, up to its Topic Alias Maximum", async () => {
  const b = await startBroker();
  const r = raw(b.port);
  await r.connect({ version: 5, props: props(prop.u16(0x22, 1)) });
  r.send(subscribePacket(1, [["al/#", 0]], 5));
  await r.next((p) => p.type === 9);
  for (const t of ["al/a", "al/a", "al/b", "al/a"]) b.broker.publish(t, "x");
  await r.until((ps) => ps.filter((p) => p.type === 3).length === 4);
  const got = r.publishes(5).map((p) => [p.topic, propValues(p.props, 0x23)]);
  expect(got).toEqual([["al/a", [1]], ["", [1]], ["al/b", []], ["", [1]]]);
  // Without a Topic Alias Maximum: none.
  const plain = raw(b.port);
  await plain.connect({ version: 5 });
  plain.send(subscribePacket(1, [["al/#", 0]], 5));
  await plain.next((p) => p.type === 9);
  b.broker.publish("al/a", "y");
  b.broker.publish("al/a", "z");
  await plain.until((ps) => ps.filter((p) => p.type === 3).length === 2);
  expect(plain.publishes(5).map((p) => p.topic)).toEqual(["al/a", "al/a"]);
});

test("keep alive cap: Server Keep Alive for a client asking more (or 0); a silent client is closed after 1.5x", async () => {
  const b = await startBroker({ limits: { maxKeepalive: 1 } });
  const asks0 = raw(b.port);
  expect(propValues((await asks0.connect({ version: 5, keepalive: 0 })).props, 0x13)).toEqual([1]);
  const asks1 = raw(b.port);
  expect(propValues((await asks1.connect({ version: 5, keepalive: 1 })).props, 0x13)).toEqual([]); // its own is within the cap
  const t0 = Date.now();
  await asks0.closed; // silent: closed at 1.5 s
  expect(Date.now() - t0).toBeGreaterThan(1000);
  const v4 = raw(b.port);
  await v4.connect({ version: 4, keepalive: 0 });
  await v4.closed; // 3.1.1: held to the cap as well
});

test("CONNACK advertises what the broker does: Receive Maximum, Maximum Packet Size, Topic Alias Maximum, Maximum QoS when limited", async () => {
  const b = await startBroker({ limits: { maxQos: 1, maxPacketSize: 4096 } });
  const c = await jsConnect(b.url, { protocolVersion: 5 });
  expect(c.connack.properties).toMatchObject({ receiveMaximum: 1024, maximumPacketSize: 4096, topicAliasMaximum: 16, maximumQoS: 1 });
  expect(c.connack.properties?.wildcardSubscriptionAvailable).toBeUndefined(); // absent = available
  const granted = await c.c.subscribeAsync("t", { qos: 2 });
  expect(granted[0].qos).toBe(1);
});
