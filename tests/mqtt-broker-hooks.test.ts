// mqtt-broker-hooks.test.ts: MqttBroker's authenticate and authorize hooks
// (sync and async) against mqtt.js 3.1.1 and 5: CONNACK 0x87 / 5 (or the code
// returned), SUBACK 0x87 / 0x80 per filter, PUBACK/PUBREC 0x87 on MQTT 5 and a
// silent drop on 3.1.1; the TLS peer reaches authenticate through `conn`.
import { startBroker, stopBrokers } from "./helpers/broker";
import { closeClients, jsConnect, jsRefused } from "./helpers/mqtt-js";
import { until } from "./helpers/mqtt-peers";

afterEach(async () => { closeClients(); await stopBrokers(); });

/** SUBSCRIBE and the granted codes, failures included (subscribeAsync rejects on them). */
function subscribe(c: import("mqtt").MqttClient, topics: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  return new Promise((resolve) => c.subscribe(topics, (err, granted) => {
    const suback = (err as { packet?: { granted?: number[] } } | null)?.packet?.granted; // the SUBACK's own codes
    resolve(suback ?? (granted ?? []).map((g) => g.qos));
  }));
}

const delay = <T>(v: T): Promise<T> => new Promise((r) => setTimeout(() => r(v), 5));

describe.each([[4, "sync"], [5, "sync"], [4, "async"], [5, "async"]] as const)("MQTT %d, %s hooks", (version, mode) => {
  const wrap = <T>(v: T): T | Promise<T> => (mode === "async" ? delay(v) : v);

  test("authenticate: user name and password decide; false -> 0x87 (3.1.1: 5), a number is the code", async () => {
    const seen: string[] = [];
    const b = await startBroker({
      authenticate: ({ clientId, username, password, conn }) => {
        seen.push(`${clientId}:${username}:${password ? Buffer.from(password).toString() : ""}:${conn.remoteAddr.address}`);
        if (username === "banned") return wrap(version === 5 ? 0x8a : 4); // 0x8A banned; 3.1.1: 4 bad user name or password
        return wrap(username === "alice" && password !== undefined && Buffer.from(password).toString() === "secret");
      },
    });
    const ok = await jsConnect(b.url, { protocolVersion: version, clientId: "a1", username: "alice", password: "secret" });
    expect(ok.c.connected).toBe(true);
    expect(await jsRefused(b.url, { protocolVersion: version, clientId: "a2", username: "alice", password: "wrong" })).toBe(version === 5 ? 0x87 : 5);
    expect(await jsRefused(b.url, { protocolVersion: version, clientId: "a3", username: "banned", password: "x" })).toBe(version === 5 ? 0x8a : 4);
    expect(seen[0]).toBe("a1:alice:secret:127.0.0.1");
    expect(b.broker.stats().sessions).toBe(1);
  });

  test("authorize: subscribe refused per filter, publish refused (MQTT 5: 0x87 in PUBACK/PUBREC; 3.1.1: dropped)", async () => {
    const b = await startBroker({
      authorize: (action, topic, client) => wrap(!(action === "subscribe" && topic.startsWith("secret")) &&
        !(action === "publish" && topic === "ro/x" && client.username !== "admin")),
    });
    const sub = await jsConnect(b.url, { protocolVersion: version });
    const granted = await subscribe(sub.c, { "open/#": { qos: 1 }, "secret/#": { qos: 1 }, "ro/x": { qos: 2 } });
    expect(granted).toEqual([1, version === 5 ? 0x87 : 0x80, 2]);
    const pub = await jsConnect(b.url, { protocolVersion: version, username: "bob" });
    const codes: (number | undefined)[] = [];
    for (const qos of [1, 2] as const) {
      await new Promise<void>((resolve) => pub.c.publish("ro/x", "nope", { qos }, (err, packet) => {
        codes.push(err ? (err as { code?: number }).code : (packet as { reasonCode?: number })?.reasonCode ?? 0);
        resolve();
      }));
    }
    if (version === 5) expect(codes).toEqual([0x87, 0x87]);
    else expect(codes).toEqual([0, 0]); // acknowledged, then dropped
    const admin = await jsConnect(b.url, { protocolVersion: version, username: "admin" });
    await admin.c.publishAsync("ro/x", "yes", { qos: 1 });
    await pub.c.publishAsync("open/y", "fine", { qos: 1 });
    await until(() => sub.got.length === 2, "the allowed publishes");
    expect(sub.got.map((g) => g.text).sort()).toEqual(["fine", "yes"]);
  });
});

test("authorize may return an MQTT 5 reason code", async () => {
  const b = await startBroker({ authorize: (action) => (action === "subscribe" ? 0x80 : 0x97) });
  const c = await jsConnect(b.url, { protocolVersion: 5 });
  expect(await subscribe(c.c, { x: { qos: 1 } })).toEqual([0x80]);
  const code = await new Promise<number | undefined>((resolve) => c.c.publish("x", "y", { qos: 1 }, (err) => resolve((err as { code?: number } | undefined)?.code)));
  expect(code).toBe(0x97);
});
