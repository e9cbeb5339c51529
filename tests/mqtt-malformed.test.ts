// mqtt-malformed.test.ts: hostile bytes against mqttListen(): each malformed
// packet closes its own connection with the right reason code (MQTT 5: a
// DISCONNECT carrying it; 3.1.1: the close alone) and an MG_EV_ERROR naming
// it, while a well-behaved mqtt.js client on the same broker keeps working.
import * as net from "node:net";
import mqtt from "mqtt";
import {
  Manager, memoryNetwork, MG_EV_ERROR, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MQTT_CMD_CONNECT, MQTT_CMD_PUBLISH,
  MQTT_CMD_SUBSCRIBE,
} from "tsmongoose";
import type { Connection, MqttMessage } from "tsmongoose";
import { makeManager, backgroundPoll } from "./helpers/server";
import { until } from "./helpers/mqtt-peers";

let mgr: Manager;
let loop: { stop(): Promise<void> };
let port: number;
const errors: string[] = [];
let good: mqtt.MqttClient | undefined;

/** A tiny relay broker: CONNACK, SUBACK, and PUBLISH forwarded to every subscriber. */
beforeEach(async () => {
  errors.length = 0;
  mgr = await makeManager(undefined, { limits: { maxMqttPacketSize: 1024 } });
  const subs = new Set<Connection>();
  const l = mgr.mqttListen("mqtt://127.0.0.1:0", {
    handler: (conn, ev, data) => {
      if (ev === MG_EV_ERROR) errors.push(String(data));
      if (ev !== MG_EV_MQTT_CMD) return;
      const m = data as MqttMessage;
      if (m.cmd === MQTT_CMD_CONNECT) conn.mqttConnack(0);
      if (m.cmd === MQTT_CMD_SUBSCRIBE) { subs.add(conn); conn.mqttSuback(m.id, m.topics().map(() => 0)); }
      if (m.cmd === MQTT_CMD_PUBLISH) for (const s of subs) if (!s.closed) s.mqttPub(m.topic, m.data);
    },
  });
  port = l.localAddr.port;
  loop = backgroundPoll(mgr, 10);
  good = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => { good!.once("connect", () => resolve()); good!.once("error", reject); });
  await good.subscribeAsync("ok/#");
});

afterEach(async () => {
  good?.end(true);
  mgr.close();
  await loop.stop();
});

/** Send `packets` on a fresh socket; resolve with every byte received until the broker closed it. */
function exchange(packets: number[][]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { s.destroy(); reject(new Error("the broker did not close the connection")); }, 5000);
    s.on("data", (d) => chunks.push(d));
    s.on("error", () => undefined);
    s.on("close", () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
    s.on("connect", () => { for (const p of packets) s.write(Buffer.from(p)); });
  });
}

function str(s: string): number[] {
  const b = Buffer.from(s, "latin1");
  return [b.length >> 8, b.length & 255, ...b];
}

/** CONNECT for `version` (4 or 5), clean session, keepalive 30. */
function connectPacket(version: 4 | 5, id = "bad"): number[] {
  const body = [...str("MQTT"), version, 0x02, 0, 30, ...(version === 5 ? [0] : []), ...str(id)];
  return [0x10, body.length, ...body];
}

/** PUBLISH QoS 0 with raw topic bytes. */
function publish(version: 4 | 5, topic: number[], payload = [0x41]): number[] {
  const body = [topic.length >> 8, topic.length & 255, ...topic, ...(version === 5 ? [0] : []), ...payload];
  return [0x30, ...varint(body.length), ...body];
}

function varint(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>= 7; if (n > 0) b |= 0x80; out.push(b); } while (n > 0);
  return out;
}

const CONNACK_OK = (v: 4 | 5) => (v === 5 ? [0x20, 3, 0, 0, 0] : [0x20, 2, 0, 0]);

async function goodStillWorks(): Promise<void> {
  const got: string[] = [];
  const onMsg = (_t: string, p: Buffer) => got.push(p.toString());
  good!.on("message", onMsg);
  await good!.publishAsync("ok/x", "still here");
  await until(() => got.includes("still here"), "the good client's message");
  good!.off("message", onMsg);
}

describe.each([4, 5] as const)("MQTT version %d", (v) => {
  const cases: [string, number[][], number, RegExp][] = [
    ["a five-byte remaining length", [[0x30, 0xff, 0xff, 0xff, 0xff, 0x01]], 0x81, /malformed packet \(0x81\)/],
    ["a packet over limits.maxMqttPacketSize", [publish(v, [...Buffer.from("t")], new Array(2000).fill(0x42))], 0x95, /packet too large \(0x95\)/],
    ["a topic that is not UTF-8", [publish(v, [0x61, 0xc3, 0x28])], 0x81, /malformed packet \(0x81\)/],
    ["a wildcard in a publish topic", [publish(v, [...Buffer.from("a/+/b")])], 0x90, /topic name invalid \(0x90\)/],
    ["a second CONNECT", [connectPacket(v, "again")], 0x82, /second CONNECT: protocol error \(0x82\)/],
    ["bad fixed-header flags (SUBSCRIBE without 0x2)", [[0x80, 6, 0, 1, ...str("a"), 0].slice(0, 8)], 0x81, /malformed packet \(0x81\)/],
  ];
  test.each(cases)("%s closes that connection with its reason code; the others are unaffected", async (_name, packets, code, msg) => {
    const got = await exchange([connectPacket(v), ...packets]);
    const ok = CONNACK_OK(v);
    expect([...got.subarray(0, ok.length)]).toEqual(ok);
    const rest = [...got.subarray(ok.length)];
    // MQTT 5 says why with a DISCONNECT; 3.1.1 has no server DISCONNECT.
    expect(rest).toEqual(v === 5 ? [0xe0, 2, code, 0] : []);
    await until(() => errors.length > 0, "MG_EV_ERROR");
    expect(errors.join()).toMatch(msg);
    await goodStillWorks();
  });
});

test("a packet before CONNECT, and an unknown protocol version, are refused", async () => {
  const early = await exchange([[0xc0, 0]]); // PINGREQ first
  expect([...early]).toEqual([]);
  await until(() => errors.length === 1, "error");
  expect(errors[0]).toMatch(/first packet is not CONNECT: protocol error \(0x82\)/);
  const body = [...str("MQTT"), 9, 0x02, 0, 30, ...str("x")];
  const v9 = await exchange([[0x10, body.length, ...body]]);
  expect([...v9]).toEqual([0x20, 2, 0, 1]); // CONNACK: unacceptable protocol version
  await goodStillWorks();
});

test("MQTT runs over the in-memory network too (mem://): the browser path", async () => {
  const net = memoryNetwork();
  const m = new Manager(undefined, { network: net });
  const got: string[] = [];
  try {
    m.mqttListen("mem://broker", {
      handler: (conn, ev, data) => {
        if (ev !== MG_EV_MQTT_CMD) return;
        const p = data as MqttMessage;
        if (p.cmd === MQTT_CMD_CONNECT) conn.mqttConnack(0);
        if (p.cmd === MQTT_CMD_SUBSCRIBE) conn.mqttSuback(p.id, [1]);
        if (p.cmd === MQTT_CMD_PUBLISH) {
          if (p.qos === 1) conn.mqttPuback(p.id);
          conn.mqttPub(p.topic, p.data, { qos: 1 }); // echo to the publisher, who subscribed
        }
      },
    });
    m.mqttConnect("mem://broker", {
      version: 5,
      handler: (conn, ev, data) => {
        if (ev === MG_EV_MQTT_OPEN) { conn.mqttSub("echo/#", { qos: 1 }); conn.mqttPub("echo/a", "over memory", { qos: 1 }); }
        if (ev === MG_EV_MQTT_MSG) got.push((data as MqttMessage).text);
      },
    });
    const deadline = Date.now() + 5000;
    while (got.length === 0 && Date.now() < deadline) await m.poll(10);
    expect(got).toEqual(["over memory"]);
  } finally {
    m.close();
  }
});
