// our-broker.mjs: our MqttBroker set up as Paho's interoperability suite
// expects a broker to be (the same settings the suite gives mosquitto):
// subscriptions to "nosubscribe" (3.1.1) and "test/nosubscribe" (5) are
// refused with 0x80 (Paho's subscribe_failure), keep alive is capped at 60 s
// (mosquitto's max_keepalive 60; Paho's server_keep_alive); everything else
// is the package's defaults. PORT (0 = any free
// port); prints "MQTT broker running on mqtt://127.0.0.1:PORT". SIGTERM
// closes it gracefully.
import { init, Manager, MqttBroker } from "tsmongoose";

const refused = new Set(["nosubscribe", "test/nosubscribe"]);
await init();
const mgr = new Manager();
const broker = new MqttBroker(mgr, {
  authorize: (action, topic) => (action === "subscribe" && refused.has(topic) ? 0x80 : true),
  limits: { maxKeepalive: 60 },
});
const listener = broker.listen(`mqtt://127.0.0.1:${Number(process.env.PORT ?? 0)}`);
console.log(`MQTT broker running on mqtt://127.0.0.1:${listener.localAddr.port}`);
await mgr.run({ shutdownTimeoutMs: 5000 });
