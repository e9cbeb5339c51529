// mqtt-broker-window.mjs: the MQTT bench's second tsmongoose broker: MqttBroker
// as examples/mqtt-broker.ts runs it, with limits.maxInflight = MAX_INFLIGHT
// (the default is 20, as mosquitto's max_inflight_messages; aedes has no such
// window): shows what the QoS 1 window costs under load. PORT (0 = any).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const { init, Manager, MqttBroker } = await import(join(root, "dist", "index.mjs"));
await init();
const mgr = new Manager();
const broker = new MqttBroker(mgr, { limits: { maxInflight: Number(process.env.MAX_INFLIGHT ?? 1000) } });
const listener = broker.listen(`mqtt://127.0.0.1:${process.env.PORT ?? 0}`);
console.log(`MQTT broker running on mqtt://127.0.0.1:${listener.localAddr.port}`);
await mgr.run();
