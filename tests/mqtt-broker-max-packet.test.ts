// mqtt-broker-max-packet.test.ts: on the broker side (mqttListen), the
// Maximum Packet Size an MQTT 5 client puts in its CONNECT binds everything
// the broker sends it: mqttPub and the acknowledgement helpers throw a
// RangeError for a packet over it, after MQTT 5's optional Reason String and
// User Properties were left out (which is how an acknowledgement that can
// fit gets through). The peer is mqtt.js, with maximumPacketSize 64.
import mqtt from "mqtt";
import { MG_EV_MQTT_CMD, MQTT_CMD_CONNECT, MQTT_CMD_PUBLISH, MQTT_CMD_SUBSCRIBE } from "tsmongoose";
import type { Connection, Manager, MqttMessage } from "tsmongoose";
import { makeManager, backgroundPoll } from "./helpers/server";
import { until } from "./helpers/mqtt-peers";

let mgr: Manager;
let loop: { stop(): Promise<void> };
let client: mqtt.MqttClient | undefined;

beforeEach(async () => {
  mgr = await makeManager();
  loop = backgroundPoll(mgr, 10);
});

afterEach(async () => {
  client?.end(true);
  client = undefined;
  mgr.close();
  await loop.stop();
});

const LONG = "r".repeat(80);

test("a client's Maximum Packet Size (CONNECT) holds for every packet the broker sends", async () => {
  let conn: Connection | undefined;
  const thrown: string[] = [];
  const attempt = (what: string, f: () => unknown): void => {
    try {
      f();
    } catch (err) {
      thrown.push(`${what}: ${(err as Error).constructor.name}`);
    }
  };
  const l = mgr.mqttListen("mqtt://127.0.0.1:0", {
    handler: (c, ev, data) => {
      if (ev !== MG_EV_MQTT_CMD) return;
      const m = data as MqttMessage;
      if (m.cmd === MQTT_CMD_CONNECT) {
        conn = c;
        // An Assigned Client Identifier of 100 bytes cannot fit in 64: refused whole.
        attempt("connack", () => c.mqttConnack(0, { properties: [{ id: 0x12, value: "a".repeat(100) }] }));
        c.mqttConnack(0);
      }
      // A long Reason String and a User Property are left out, the reason code stays.
      if (m.cmd === MQTT_CMD_SUBSCRIBE) c.mqttSuback(m.id, [0x01], { properties: [{ id: 0x1f, value: LONG }, { id: 0x26, value: ["k", LONG] }] });
      if (m.cmd === MQTT_CMD_PUBLISH) c.mqttPuback(m.id, { reason: 0x10, properties: [{ id: 0x1f, value: LONG }] });
    },
  });
  client = mqtt.connect(`mqtt://127.0.0.1:${l.localAddr.port}`, { protocolVersion: 5, reconnectPeriod: 0, properties: { maximumPacketSize: 64 } });
  const received: mqtt.Packet[] = [];
  client.on("packetreceive", (p) => received.push(p));
  await new Promise<void>((resolve, reject) => { client!.once("connect", () => resolve()); client!.once("error", reject); });
  expect(thrown).toEqual(["connack: RangeError"]);
  const granted = await client.subscribeAsync("t/#", { qos: 1 });
  expect(granted.map((g) => g.qos)).toEqual([1]);
  await client.publishAsync("t/in", "x", { qos: 1 });
  type Ack = { properties?: object; reasonCode?: number };
  const suback = received.find((p) => p.cmd === "suback") as Ack;
  const puback = received.find((p) => p.cmd === "puback") as Ack;
  expect(suback.properties ?? {}).toEqual({});
  expect(puback.reasonCode).toBe(0x10);
  expect(puback.properties ?? {}).toEqual({});
  // PUBLISH: the documented RangeError; one that fits goes out, and the client is still there.
  const got: string[] = [];
  client.on("message", (_t, payload) => got.push(payload.toString()));
  expect(() => conn!.mqttPub("t/big", "L".repeat(100), { qos: 1 })).toThrow(RangeError);
  expect(() => conn!.mqttPub("t/big", "L".repeat(100))).toThrow(/larger than the peer's maximum packet size/);
  expect(conn!.mqttPub("t/ok", "fits", { qos: 1 })).toBeGreaterThan(0);
  await until(() => got.length === 1, "the message that fits");
  expect(got).toEqual(["fits"]);
  expect(received.filter((p) => p.cmd === "publish")).toHaveLength(1);
  expect(client.connected).toBe(true);
});
