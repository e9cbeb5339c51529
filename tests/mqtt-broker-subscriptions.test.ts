// mqtt-broker-subscriptions.test.ts: MqttBroker subscription options (MQTT 5
// No Local 3.8.3-3, Retain As Published, Retain Handling 0/1/2), subscription
// identifiers, shared subscriptions ($share/group/filter), overlapping
// subscriptions (one delivery, highest QoS, every matching id), topic filter
// validation (SUBACK 0x8F / 0x80) and `$` topics, against mqtt.js and raw bytes.
import { cleanBrokerTests, raw, startBroker } from "./helpers/broker";
import { jsConnect } from "./helpers/mqtt-js";
import { until } from "./helpers/mqtt-peers";
import { subscribePacket, propValues, props, prop } from "./helpers/mqtt-raw";

afterEach(cleanBrokerTests);

test("No Local: a client's own publishes are not sent back to it on that subscription", async () => {
  const b = await startBroker();
  const c = await jsConnect(b.url, { protocolVersion: 5, clientId: "nl" });
  await c.c.subscribeAsync({ "nl/a": { qos: 1, nl: true }, "nl/b": { qos: 1 } });
  await c.c.publishAsync("nl/a", "mine", { qos: 1 });
  await c.c.publishAsync("nl/b", "echo", { qos: 1 });
  const other = await jsConnect(b.url, { protocolVersion: 5 });
  await other.c.publishAsync("nl/a", "theirs", { qos: 1 });
  await until(() => c.got.length === 2, "two deliveries");
  expect(c.got.map((g) => g.text).sort()).toEqual(["echo", "theirs"]);
});

test("Retain As Published keeps the retain flag on forwards; Retain Handling 0/1/2 decide retained messages at SUBSCRIBE", async () => {
  const b = await startBroker();
  b.broker.publish("rh/t", "kept", { retain: true, qos: 1 });
  const rap = await jsConnect(b.url, { protocolVersion: 5 });
  await rap.c.subscribeAsync({ "rap/#": { qos: 1, rap: true } });
  const plain = await jsConnect(b.url, { protocolVersion: 5 });
  await plain.c.subscribeAsync({ "rap/#": { qos: 1 } });
  b.broker.publish("rap/x", "r", { retain: true, qos: 1 });
  await until(() => rap.got.length === 1 && plain.got.length === 1, "the forwards");
  expect(rap.got[0].retain).toBe(true);
  expect(plain.got[0].retain).toBe(false);
  // Retain Handling: 0 every SUBSCRIBE, 1 only a new subscription, 2 never.
  const counts: number[] = [];
  for (const rh of [0, 1, 2] as const) {
    const c = await jsConnect(b.url, { protocolVersion: 5 });
    await c.c.subscribeAsync({ "rh/t": { qos: 1, rh } });
    await c.c.subscribeAsync({ "rh/t": { qos: 1, rh } }); // again: not new
    await c.c.publishAsync("rh/marker", "m"); // nobody listens; one round trip more
    await c.c.subscribeAsync({ "rh/marker2": { qos: 0 } });
    counts.push(c.got.filter((g) => g.retain).length);
  }
  expect(counts).toEqual([2, 1, 0]);
});

test("subscription identifiers: sent with each publish, every matching one; overlapping subscriptions deliver once at the highest QoS", async () => {
  const b = await startBroker();
  const r = raw(b.port);
  await r.connect({ version: 5, clientId: "ids" });
  r.send(subscribePacket(1, [["o/+", 0]], 5, props(prop.varint(0x0b, 7))));
  r.send(subscribePacket(2, [["o/#", 2]], 5, props(prop.varint(0x0b, 300))));
  r.send(subscribePacket(3, [["o/x", 1]], 5));
  await r.until((ps) => ps.filter((p) => p.type === 9).length === 3);
  b.broker.publish("o/x", "one", { qos: 2 });
  await r.next((p) => p.type === 3);
  await new Promise((res) => setImmediate(res));
  const pubs = r.publishes(5);
  expect(pubs).toHaveLength(1);
  expect(pubs[0].qos).toBe(2);
  expect(propValues(pubs[0].props, 0x0b).sort((x, y) => x - y)).toEqual([7, 300]);
});

test("shared subscriptions: round robin among the group's members, each message once per group; no retained messages", async () => {
  const b = await startBroker();
  b.broker.publish("sh/t", "old", { retain: true });
  const members = await Promise.all([0, 1, 2].map(() => jsConnect(b.url, { protocolVersion: 5 })));
  for (const m of members) await m.c.subscribeAsync("$share/g/sh/#", { qos: 1 });
  const solo = await jsConnect(b.url, { protocolVersion: 5 });
  await solo.c.subscribeAsync("sh/#", { qos: 1 });
  for (let i = 0; i < 9; i++) b.broker.publish("sh/t", `m${i}`, { qos: 1 });
  await until(() => members.reduce((n, m) => n + m.got.length, 0) === 9 && solo.got.length === 10, "the deliveries");
  expect(members.map((m) => m.got.length)).toEqual([3, 3, 3]);
  expect(members.flatMap((m) => m.got.map((g) => g.text)).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `m${i}`).sort());
  expect(solo.got[0]).toMatchObject({ text: "old", retain: true });
});

describe.each([4, 5] as const)("MQTT %d topic filters", (version) => {
  test("invalid filters get SUBACK 0x8F (3.1.1: 0x80), valid ones in the same SUBSCRIBE are granted; $ topics need an explicit first level", async () => {
    const b = await startBroker();
    const r = raw(b.port);
    await r.connect({ version });
    r.send(subscribePacket(9, [["a/#/b", 1], ["a+/b", 1], ["ok/+", 1], ["#", 1], ["$share/g", 1]], version));
    const ack = await r.next((p) => p.type === 9);
    const codes = [...ack.body.subarray(version === 5 ? 3 : 2)];
    const bad = version === 5 ? 0x8f : 0x80;
    expect(codes).toEqual([bad, bad, 1, 1, bad]);
    b.broker.publish("$SYS/x", "sys");
    b.broker.publish("ok/y", "normal");
    b.broker.publish("other", "marker");
    await r.until((ps) => ps.filter((p) => p.type === 3).length >= 2);
    // In order: not the $SYS one (# does not match it), ok/y once though two subscriptions match.
    expect(r.publishes(version).map((p) => p.payload)).toEqual(["normal", "marker"]);
  });
});
