// mqtt-broker-mosquitto-bridge.test.ts: a mosquitto bridging to MqttBroker
// with its default `try_private true` (protocol level 0x84: 3.1.1 with the
// bridge bit) is accepted at once and served as a bridge: its own publishes
// are not echoed back to it (No Local) and retain flags are kept.
import { startBroker, stopBrokers } from "./helpers/broker";
import { closeClients, jsConnect } from "./helpers/mqtt-js";
import { startMosquitto, until, type Mosquitto } from "./helpers/mqtt-peers";

let mosq: Mosquitto | undefined;
afterEach(async () => {
  closeClients();
  await mosq?.stop();
  mosq = undefined;
  await stopBrokers();
});

test("mosquitto bridge with try_private: connected at once, both directions, no echo, retain kept", async () => {
  const b = await startBroker();
  const ours = await jsConnect(b.url, { protocolVersion: 4 });
  await ours.c.subscribeAsync("b/#", { qos: 1 });
  // restart_timeout 30: were the first CONNECT refused, the bridge would not be back within the test.
  mosq = await startMosquitto(`connection tsm\naddress 127.0.0.1:${b.port}\ntopic b/# both 1\ntry_private true\n` +
    "bridge_protocol_version mqttv311\nrestart_timeout 30\ncleansession true\n");
  await until(() => b.broker.stats().subscriptions >= 2, "the bridge's subscription", 10_000);
  const edge = await jsConnect(mosq.url, { protocolVersion: 4 });
  await edge.c.subscribeAsync("b/#", { qos: 1 });
  await edge.c.publishAsync("b/from-edge", "up", { qos: 1 });
  await until(() => ours.got.length === 1, "the edge's message on our broker");
  await ours.c.publishAsync("b/from-core", "down", { qos: 1, retain: true });
  await until(() => edge.got.some((g) => g.text === "down"), "our message at the edge");
  await ours.c.publishAsync("b/marker", "end", { qos: 1 });
  await until(() => edge.got.some((g) => g.text === "end") && ours.got.length === 3, "the marker on both sides");
  expect(edge.got.map((g) => g.text)).toEqual(["up", "down", "end"]); // "up" once: not echoed back through the bridge
  expect(ours.got.map((g) => g.text)).toEqual(["up", "down", "end"]);
  // Retain As Published over the bridge: mosquitto kept "down" as retained.
  const late = await jsConnect(mosq.url, { protocolVersion: 4 });
  await late.c.subscribeAsync("b/from-core");
  await until(() => late.got.length === 1, "the retained message at the edge");
  expect(late.got[0]).toMatchObject({ text: "down", retain: true });
}, 30_000);
