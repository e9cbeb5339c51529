// mqtt-bridge-edge.mjs: the edge of tests/bench/mqtt-bridge.mjs: an MqttBroker
// on a free port and an MqttBridge forwarding sensors/# (QoS 1) to UPSTREAM as
// site/bench/sensors/#, with queues large enough for the whole burst (as the
// mosquitto edge it is compared with). Prints the port, then "bridge up".
import { init, Manager, MqttBridge, MqttBroker } from "tsmongoose";

await init();
const mgr = new Manager();
const broker = new MqttBroker(mgr, { limits: { maxQueuedMessages: 1_000_000, maxQueuedBytes: 1 << 30 } });
const listener = broker.listen("mqtt://127.0.0.1:0");
console.log(`edge on ${(await listener.listening()).port}`);
const bridge = new MqttBridge(mgr, {
  local: broker,
  remote: { url: process.env.UPSTREAM, clientId: "bridge-bench", version: 5 },
  topics: [{ pattern: "sensors/#", direction: "out", qos: 1, remotePrefix: "site/bench/" }],
  maxQueued: 1_000_000,
});
bridge.on((e) => { if (e.type === "connected" && e.side === "remote") console.log("bridge up"); });
mgr.onShutdown(() => bridge.close());
await mgr.run();
console.log(`dropped ${bridge.status().dropped}`);
