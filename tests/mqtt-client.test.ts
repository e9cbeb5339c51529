// mqtt-client.test.ts: our MQTT client (mgr.mqttConnect) against real
// brokers: Debian's mosquitto (3.1.1 and 5; started here on a free loopback
// port with a generated config) and aedes (3.1.1, in a child process).
import {
  Manager, MqttSession, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN,
  MQTT_CMD_PINGRESP, MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_SUBACK, MQTT_CMD_UNSUBACK,
  MQTT_PROP_TYPE_STRING, MQTT_PROP_TYPE_STRING_PAIR, MQTT_PROP_TYPE_INT, MQTT_PROP_TYPE_VARIABLE_INT, ConnectionClosedError,
} from "tsmongoose";
import type { Connection, MqttMessage, MqttConnectOptions } from "tsmongoose";
import { backgroundPoll } from "./helpers/server";
import { mqttTestBed, startAedes, until } from "./helpers/mqtt-peers";

interface Got { topic: string; text: string; qos: number; retain: boolean; dup: boolean; props: ReturnType<MqttMessage["properties"]> }

/** A client with a log of what it saw. */
interface Client {
  conn: Connection;
  opened: number[];
  errors: string[];
  cmds: { cmd: number; id: number; ack: number; codes: number[] }[];
  msgs: Got[];
  closed: boolean;
}

const bed = mqttTestBed({ stopsFirst: false });
const { stops, mosquitto } = bed;

function client(url: string, opts: MqttConnectOptions = {}): Client {
  const c: Client = { conn: undefined as unknown as Connection, opened: [], errors: [], cmds: [], msgs: [], closed: false };
  c.conn = bed.mgr.mqttConnect(url, {
    ...opts,
    handler: (_conn, ev, data) => {
      if (ev === MG_EV_MQTT_OPEN) c.opened.push(data as number);
      else if (ev === MG_EV_ERROR) c.errors.push(String(data));
      else if (ev === MG_EV_CLOSE) c.closed = true;
      else if (ev === MG_EV_MQTT_CMD) {
        const m = data as MqttMessage;
        c.cmds.push({ cmd: m.cmd, id: m.id, ack: m.ack, codes: m.codes() });
      } else if (ev === MG_EV_MQTT_MSG) {
        const m = data as MqttMessage;
        c.msgs.push({ topic: m.topic, text: m.text, qos: m.qos, retain: m.retain, dup: m.dup, props: m.properties() });
      }
    },
  });
  return c;
}

async function opened(c: Client): Promise<void> {
  await until(() => c.opened.length > 0 || c.closed, "CONNACK");
  expect(c.errors).toEqual([]);
  expect(c.opened).toEqual([0]);
}

function acked(c: Client, cmd: number, id: number): boolean {
  return c.cmds.some((x) => x.cmd === cmd && x.id === id);
}

describe.each([4, 5] as const)("against mosquitto, MQTT version %d", (version) => {
  test("connect, subscribe with wildcards, publish at QoS 0/1/2 both ways, unsubscribe", async () => {
    const m = await mosquitto();
    const c = client(m.url, { version, clientId: `t-${version}` });
    await opened(c);
    expect(c.conn.mqttVersion).toBe(version);
    const s1 = c.conn.mqttSub("a/+/c", { qos: 2 });
    const s2 = c.conn.mqttSub("b/#", { qos: 1 });
    await until(() => acked(c, MQTT_CMD_SUBACK, s1) && acked(c, MQTT_CMD_SUBACK, s2), "SUBACKs");
    expect(c.cmds.find((x) => x.id === s1 && x.cmd === MQTT_CMD_SUBACK)!.codes).toEqual([2]);
    expect(c.cmds.find((x) => x.id === s2 && x.cmd === MQTT_CMD_SUBACK)!.codes).toEqual([1]);
    expect(c.conn.mqttPub("a/b/c", "zero")).toBe(0);
    const p1 = c.conn.mqttPub("a/x/c", "one", { qos: 1 });
    const p2 = c.conn.mqttPub("b/deep/er", "two", { qos: 2 });
    expect(p1).toBeGreaterThan(0);
    expect(p2).toBeGreaterThan(0);
    await until(() => c.msgs.length === 3 && acked(c, MQTT_CMD_PUBACK, p1) && acked(c, MQTT_CMD_PUBCOMP, p2), "3 messages and acks");
    const byText = Object.fromEntries(c.msgs.map((g) => [g.text, g]));
    expect(byText.zero).toMatchObject({ topic: "a/b/c", qos: 0 });
    expect(byText.one).toMatchObject({ topic: "a/x/c", qos: 1 });
    expect(byText.two).toMatchObject({ topic: "b/deep/er", qos: 1 }); // granted QoS 1 on b/#
    const u = c.conn.mqttUnsub("a/+/c");
    await until(() => acked(c, MQTT_CMD_UNSUBACK, u), "UNSUBACK");
    c.conn.mqttPub("a/b/c", "gone");
    c.conn.mqttPub("b/marker", "marker");
    await until(() => c.msgs.some((g) => g.text === "marker"), "marker");
    expect(c.msgs.some((g) => g.text === "gone")).toBe(false);
    expect(c.errors).toEqual([]);
  });

  test("retained messages reach a later subscriber; QoS 2 delivery to us", async () => {
    const m = await mosquitto();
    const pub = client(m.url, { version });
    await opened(pub);
    pub.conn.mqttPub("r/one", "kept", { qos: 1, retain: true });
    await until(() => pub.cmds.some((x) => x.cmd === MQTT_CMD_PUBACK), "PUBACK");
    const sub = client(m.url, { version });
    await opened(sub);
    sub.conn.mqttSub("r/+", { qos: 2 });
    await until(() => sub.msgs.length === 1, "retained message");
    expect(sub.msgs[0]).toMatchObject({ topic: "r/one", text: "kept", retain: true, qos: 1 });
    pub.conn.mqttPub("r/two", "q2", { qos: 2 });
    await until(() => sub.msgs.length === 2, "QoS 2 message");
    expect(sub.msgs[1]).toMatchObject({ topic: "r/two", text: "q2", qos: 2, retain: false });
  });

  test("the will is published when the connection drops, not after DISCONNECT", async () => {
    const m = await mosquitto();
    const watcher = client(m.url, { version });
    await opened(watcher);
    const w = watcher.conn.mqttSub("will/#", { qos: 1 });
    await until(() => acked(watcher, MQTT_CMD_SUBACK, w), "SUBACK");
    const polite = client(m.url, { version, will: { topic: "will/polite", message: "bye", qos: 1 } });
    const rude = client(m.url, { version, will: { topic: "will/rude", message: "died", qos: 1 } });
    await opened(polite);
    await opened(rude);
    polite.conn.mqttDisconnect();
    await until(() => polite.closed, "polite close");
    rude.conn.close(); // no DISCONNECT: the broker publishes the will
    await until(() => watcher.msgs.length > 0, "will");
    await new Promise((r) => setTimeout(r, 200));
    expect(watcher.msgs.map((g) => [g.topic, g.text])).toEqual([["will/rude", "died"]]);
  });

  test("keepalive pings on time; a broker that stops answering is reported", async () => {
    const m = await mosquitto();
    const c = client(m.url, { version, keepalive: 1 });
    await opened(c);
    await until(() => c.cmds.some((x) => x.cmd === MQTT_CMD_PINGRESP), "PINGRESP", 4000);
    // Freeze the real broker: it stops answering, the socket stays open.
    m.signal("SIGSTOP");
    try {
      await until(() => c.closed, "keepalive timeout", 6000);
      expect(c.errors.join()).toMatch(/keep alive timeout/);
    } finally {
      m.signal("SIGCONT");
    }
  });

  test("unacknowledged QoS 1 and 2 publishes are sent again after a reconnect (persistent session)", async () => {
    const m = await mosquitto();
    const sub = client(m.url, { version });
    await opened(sub);
    const s = sub.conn.mqttSub("p/#", { qos: 2 });
    await until(() => acked(sub, MQTT_CMD_SUBACK, s), "SUBACK");
    const session = new MqttSession();
    const opts: MqttConnectOptions = { version, clientId: `persist-${version}`, cleanSession: false, session };
    const first = client(m.url, opts);
    await opened(first);
    // Queue three publishes and drop the connection before a byte leaves.
    // The third is a Buffer the caller reuses at once: the session keeps a
    // copy (Buffer#slice() is a view), so the resend carries what was published.
    const reused = Buffer.from("again-3");
    bed.mgr.timerAdd(0, () => {
      first.conn.mqttPub("p/one", "again-1", { qos: 1 });
      first.conn.mqttPub("p/two", "again-2", { qos: 2 });
      first.conn.mqttPub("p/three", reused, { qos: 1 });
      reused.fill(0x78);
      first.conn.close();
    });
    await until(() => first.closed, "first close");
    expect(session.pending.length).toBe(3);
    expect(sub.msgs).toEqual([]);
    const second = client(m.url, opts);
    await opened(second);
    await until(() => sub.msgs.length === 3 && session.pending.length === 0, "resent messages and their acks");
    expect(sub.msgs.map((g) => g.text).sort()).toEqual(["again-1", "again-2", "again-3"]);
    expect(() => first.conn.mqttPub("x", "y")).toThrow(ConnectionClosedError);
  });

  test("a QoS 2 publish cut off after PUBREC is completed with PUBREL after a reconnect, delivered once", async () => {
    const m = await mosquitto();
    const sub = client(m.url, { version });
    await opened(sub);
    const s = sub.conn.mqttSub("q2/#", { qos: 2 });
    await until(() => acked(sub, MQTT_CMD_SUBACK, s), "SUBACK");
    const session = new MqttSession();
    const opts: MqttConnectOptions = { version, clientId: `rel-${version}`, cleanSession: false, session,
      properties: version === 5 ? [{ id: 0x11, value: 60 }] : undefined }; // v5: keep the session 60 s
    const first = client(m.url, opts);
    await opened(first);
    // The handler sees PUBREC before the core answers it: closing here
    // means the PUBREL is never sent.
    const h = first.conn.handler!;
    first.conn.setHandler((conn, ev, data) => {
      (h as (c: typeof conn, e: number, d: unknown) => unknown)(conn, ev, data);
      if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === 5) conn.close();
    });
    first.conn.mqttPub("q2/x", "exactly-once", { qos: 2 });
    await until(() => first.closed, "first close");
    expect(session.pending.length).toBe(1);
    const second = client(m.url, opts);
    await opened(second);
    await until(() => session.pending.length === 0, "PUBCOMP after the resent PUBREL");
    await until(() => sub.msgs.length >= 1, "delivery");
    await new Promise((r) => setTimeout(r, 200));
    expect(sub.msgs.map((g) => g.text)).toEqual(["exactly-once"]);
    expect(second.cmds.some((x) => x.cmd === MQTT_CMD_PUBCOMP)).toBe(true);
  });

  test("a refused CONNACK is an MG_EV_ERROR naming the reason, then close", async () => {
    const m = await mosquitto("allow_anonymous false");
    const c = client(m.url, { version });
    await until(() => c.closed, "close");
    expect(c.opened).toEqual([]);
    expect(c.errors.join()).toMatch(version === 5 ? /connection refused: not authorized \(0x87\)/ : /connection refused: not authorized \(0x5\)/);
  });
});

test("MQTT 5 properties on PUBLISH, CONNACK and SUBACK are readable with their types", async () => {
  const m = await mosquitto();
  const c = client(m.url, { version: 5 });
  const props: unknown[] = [];
  const h = c.conn.handler!;
  c.conn.setHandler((conn, ev, data) => {
    if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === 2) props.push(...(data as MqttMessage).properties());
    return (h as (c: typeof conn, e: number, d: unknown) => unknown)(conn, ev, data);
  });
  await opened(c);
  // A Subscription Identifier on SUBSCRIBE comes back on every matching PUBLISH.
  c.conn.mqttSub("p5/#", { qos: 1, properties: [{ id: 0x0b, value: 300 }] });
  c.conn.mqttPub("p5/x", "{}", {
    qos: 1,
    properties: [{ id: 0x26, value: ["k", "v"] }, { id: 0x03, value: "application/json" }, { id: 0x02, value: 60 }],
  });
  await until(() => c.msgs.length === 1, "message");
  const got = c.msgs[0].props;
  expect(got).toContainEqual({ id: 0x26, type: MQTT_PROP_TYPE_STRING_PAIR, value: ["k", "v"] });
  expect(got).toContainEqual({ id: 0x03, type: MQTT_PROP_TYPE_STRING, value: "application/json" });
  expect(got).toContainEqual({ id: 0x0b, type: MQTT_PROP_TYPE_VARIABLE_INT, value: 300 });
  const expiry = got.find((p) => p.id === 0x02);
  expect(expiry?.type).toBe(MQTT_PROP_TYPE_INT);
  expect(props.length).toBeGreaterThan(0); // mosquitto's CONNACK carries properties
});

test("the broker's Maximum Packet Size is honoured (MQTT 5)", async () => {
  const m = await mosquitto("max_packet_size 200");
  const c = client(m.url, { version: 5 });
  await opened(c);
  expect(() => c.conn.mqttPub("big", "x".repeat(300), { qos: 1 })).toThrow(RangeError);
  expect(c.conn.mqttPub("small", "x".repeat(50), { qos: 1 })).toBeGreaterThan(0);
  await until(() => c.cmds.some((x) => x.cmd === MQTT_CMD_PUBACK), "PUBACK of the small one");
  expect(c.errors).toEqual([]);
});

test("graceful shutdown: clients send DISCONNECT, so no will is published", async () => {
  const m = await mosquitto();
  const other = new Manager();
  const otherLoop = backgroundPoll(other, 10);
  stops.push(async () => { if (!other.closed) other.close(); await otherLoop.stop(); });
  const got: string[] = [];
  let subacked = false;
  other.mqttConnect(m.url, {
    handler: (conn, ev, data) => {
      if (ev === MG_EV_MQTT_OPEN) conn.mqttSub("sd/#", { qos: 1 });
      if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_SUBACK) subacked = true;
      if (ev === MG_EV_MQTT_MSG) got.push((data as MqttMessage).text);
    },
  });
  await until(() => subacked, "watcher SUBACK");
  const c = client(m.url, { version: 5, will: { topic: "sd/will", message: "lost" } });
  await opened(c);
  c.conn.mqttPub("sd/marker", "before");
  await until(() => got.includes("before"), "marker");
  await bed.mgr.shutdown({ timeoutMs: 2000 });
  await until(() => /Client \S+ disconnected\./.test(m.log()), "mosquitto logs a clean disconnect", 5000);
  await new Promise((r) => setTimeout(r, 300));
  expect(got).toEqual(["before"]);
});

describe("against aedes (3.1.1)", () => {
  test("connect, subscribe, publish at QoS 0/1/2 and receive", async () => {
    const a = await startAedes();
    stops.push(() => a.stop());
    const c = client(a.url, { version: 4 });
    await opened(c);
    const s = c.conn.mqttSub("aed/#", { qos: 2 });
    await until(() => acked(c, MQTT_CMD_SUBACK, s), "SUBACK");
    c.conn.mqttPub("aed/0", "q0");
    const p1 = c.conn.mqttPub("aed/1", "q1", { qos: 1 });
    const p2 = c.conn.mqttPub("aed/2", "q2", { qos: 2 });
    await until(() => c.msgs.length === 3 && acked(c, MQTT_CMD_PUBACK, p1) && acked(c, MQTT_CMD_PUBCOMP, p2), "messages and acks");
    expect(c.msgs.map((g) => [g.topic, g.text, g.qos]).sort()).toEqual([["aed/0", "q0", 0], ["aed/1", "q1", 1], ["aed/2", "q2", 2]]);
  });
});

test("bad arguments throw TypeError / RangeError naming the value", async () => {
  expect(() => bed.mgr.mqttConnect("http://127.0.0.1:1")).toThrow(TypeError);
  expect(() => bed.mgr.mqttConnect("mqtt://127.0.0.1:1", { version: 3 as never })).toThrow(/version must be 4 or 5, got 3/);
  expect(() => bed.mgr.mqttConnect("mqtt://127.0.0.1:1", { keepalive: -1 })).toThrow(RangeError);
  const c = bed.mgr.mqttConnect("mqtt://127.0.0.1:1", { handler: () => undefined });
  expect(() => c.mqttPub("a/+", "x")).toThrow(/wildcards/);
  expect(() => c.mqttPub("a", "x", { qos: 3 as never })).toThrow(/qos must be an integer in 0..2, got 3/);
  expect(() => c.mqttSub("")).toThrow(TypeError);
  expect(() => c.mqttPub("a", "x", { properties: [{ id: 0x99, value: 1 }] })).toThrow(/unknown property id 153/);
  c.close();
});

