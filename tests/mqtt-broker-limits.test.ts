// mqtt-broker-limits.test.ts: each MqttBroker limit against a flooding client
// beside a well-behaved one that must keep every delivery, with the broker's
// own counts (stats()) bounded: queued messages and bytes per session,
// in-flight per client, retained count and bytes, sessions, subscriptions per
// client, packet size (MQTT 5: 0x97 quota exceeded, 0x95 packet too large).
import { cleanBrokerTests, raw, startBroker } from "./helpers/broker";
import { jsConnect, jsRefused } from "./helpers/mqtt-js";
import { until } from "./helpers/mqtt-peers";
import { publishPacket, subscribePacket } from "./helpers/mqtt-raw";

afterEach(cleanBrokerTests);

test("queued messages and bytes per session: an offline session keeps at most the limit; the online subscriber gets everything", async () => {
  const b = await startBroker({ limits: { maxQueuedMessages: 50, maxQueuedBytes: 40 * 100 } });
  const away = await jsConnect(b.url, { protocolVersion: 4, clientId: "away", clean: false });
  await away.c.subscribeAsync("f/#", { qos: 1 });
  await away.c.endAsync();
  const good = await jsConnect(b.url, { protocolVersion: 4 });
  await good.c.subscribeAsync("g/#", { qos: 1 });
  const flood = await jsConnect(b.url, { protocolVersion: 4 });
  const body = "x".repeat(100);
  const flooding = Promise.all(Array.from({ length: 500 }, (_, i) => flood.c.publishAsync("f/t", `${i}:${body}`, { qos: 1 })));
  const polite = await jsConnect(b.url, { protocolVersion: 4 });
  for (let i = 0; i < 50; i++) await polite.c.publishAsync("g/t", `g${i}`, { qos: 1 });
  await flooding;
  await until(() => good.got.length === 50, "every message at the good subscriber");
  expect(good.got.map((g) => g.text)).toEqual(Array.from({ length: 50 }, (_, i) => `g${i}`));
  const s = b.broker.stats();
  // The byte limit (4000 bytes of ~104-byte payloads) bites before the count limit (50).
  expect(s.queued).toBeGreaterThanOrEqual(38);
  expect(s.queued).toBeLessThanOrEqual(40);
  expect(s.queuedBytes).toBeLessThanOrEqual(4000);
  expect(s.queued + s.dropped).toBe(500);
  const back = await jsConnect(b.url, { protocolVersion: 4, clientId: "away", clean: false });
  await until(() => back.got.length === s.queued, "the queued ones");
  expect(back.got.map((g) => Number(g.text.split(":")[0]))).toEqual(Array.from({ length: s.queued }, (_, i) => i)); // the oldest kept, new ones refused
});

test("in flight per client: a subscriber that never acknowledges holds at most maxInflight, the rest queue up to the limit", async () => {
  const b = await startBroker({ limits: { maxInflight: 5, maxQueuedMessages: 20 } });
  const stuck = raw(b.port);
  await stuck.connect({ version: 4, clientId: "stuck" });
  stuck.send(subscribePacket(1, [["i/#", 1]], 4));
  await stuck.next((p) => p.type === 9);
  const good = await jsConnect(b.url, { protocolVersion: 5 });
  await good.c.subscribeAsync("g/#", { qos: 1 });
  for (let i = 0; i < 200; i++) {
    b.broker.publish("i/t", `m${i}`, { qos: 1 });
    if (i % 10 === 0) b.broker.publish("g/t", `g${i}`, { qos: 1 }); // 20: within the good subscriber's window (5) and queue (20)
  }
  await until(() => good.got.length === 20, "every message at the good subscriber");
  await stuck.until((ps) => ps.filter((p) => p.type === 3).length === 5);
  await until(() => b.broker.stats().inflight === 5, "the good subscriber's last PUBACKs"); // the stuck one's 5 stay
  expect(b.broker.stats()).toMatchObject({ inflight: 5, queued: 20, dropped: 200 - 25 });
  expect(stuck.packets.filter((p) => p.type === 3)).toHaveLength(5);
});

test("a subscriber that stops reading: the broker's unsent output to it stays bounded; the good subscriber keeps every message", async () => {
  const b = await startBroker({ limits: { maxQueuedBytes: 1 << 20 } });
  const stuck = raw(b.port);
  await stuck.connect({ version: 4 });
  stuck.send(subscribePacket(1, [["s/#", 0]], 4));
  await stuck.next((p) => p.type === 9);
  stuck.socket.pause(); // reads nothing from now on
  const good = await jsConnect(b.url, { protocolVersion: 4 });
  await good.c.subscribeAsync("s/#");
  const payload = new Uint8Array(10_000);
  for (let round = 1; round <= 40; round++) { // 20 MB in all, 500 KB at a time
    for (let i = 0; i < 50; i++) b.broker.publish("s/t", payload);
    await until(() => good.got.length === round * 50, `round ${round} at the good subscriber`);
  }
  const out = Math.max(...b.mgr.connections.filter((c) => c.isAccepted).map((c) => c.sendLen));
  expect(out).toBeLessThanOrEqual((1 << 20) + 10_100);
  expect(b.broker.stats().dropped).toBeGreaterThan(0);
}, 60_000);

test("retained store: count and bytes bounded; earlier retained messages stay", async () => {
  const b = await startBroker({ limits: { maxRetained: 10, maxRetainedBytes: 5000 } });
  const good = await jsConnect(b.url, { protocolVersion: 5 });
  await good.c.publishAsync("keep/me", "first", { qos: 1, retain: true });
  const flood = await jsConnect(b.url, { protocolVersion: 5 });
  await Promise.all(Array.from({ length: 100 }, (_, i) => flood.c.publishAsync(`r/${i}`, "y".repeat(400), { qos: 1, retain: true })));
  const s = b.broker.stats();
  expect(s.retained).toBeLessThanOrEqual(10);
  expect(s.retainedBytes).toBeLessThanOrEqual(5000);
  const late = await jsConnect(b.url, { protocolVersion: 5 });
  await late.c.subscribeAsync("keep/#");
  await until(() => late.got.length === 1, "the first retained message");
  expect(late.got[0].text).toBe("first");
});

describe.each([4, 5] as const)("MQTT %d", (version) => {
  test("sessions and subscriptions per client: refused over the limit (0x97; 3.1.1: CONNACK 3, SUBACK 0x80)", async () => {
    const b = await startBroker({ limits: { maxSessions: 2, maxSubscriptionsPerClient: 2 } });
    const a = await jsConnect(b.url, { protocolVersion: version });
    await jsConnect(b.url, { protocolVersion: version });
    expect(await jsRefused(b.url, { protocolVersion: version })).toBe(version === 5 ? 0x97 : 3);
    const codes = await new Promise<number[]>((resolve) => a.c.subscribe({ a: { qos: 0 }, b: { qos: 1 }, c: { qos: 1 } }, (err, g) => {
      resolve((err as { packet?: { granted?: number[] } } | null)?.packet?.granted ?? (g ?? []).map((x) => x.qos));
    }));
    expect(codes).toEqual([0, 1, version === 5 ? 0x97 : 0x80]);
    expect(b.broker.stats().sessions).toBe(2);
  });

  test("packet size: a client sending more than maxPacketSize is disconnected (MQTT 5: 0x95); the others go on", async () => {
    const b = await startBroker({ limits: { maxPacketSize: 1024 } });
    const good = await jsConnect(b.url, { protocolVersion: version });
    await good.c.subscribeAsync("p/#", { qos: 1 });
    const big = raw(b.port);
    await big.connect({ version });
    big.send(publishPacket("p/big", "z".repeat(2000), { qos: 1, id: 1, version }));
    if (version === 5) expect((await big.next((p) => p.type === 14)).body[0]).toBe(0x95);
    await big.closed;
    await good.c.publishAsync("p/small", "fine", { qos: 1 });
    await until(() => good.got.length === 1, "the small message");
    expect(good.got[0].text).toBe("fine");
  });
});
