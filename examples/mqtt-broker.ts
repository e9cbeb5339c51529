// mqtt-broker.ts: an MQTT broker (3.1.1 and 5) in a few lines over MqttBroker
// (docs/mqtt.md "Broker"): sessions, QoS 0/1/2, retained messages, wills,
// shared subscriptions, limits, and a graceful shutdown on SIGINT/SIGTERM
// (stop accepting, deliver what is owed at QoS 1 and 2, then DISCONNECT 0x8B
// to MQTT 5 clients and a clean close to 3.1.1 ones).
// PORT (default 1883; 0 = any free port). TLS_CERT and TLS_KEY (PEM files) add
// an mqtts:// listener on TLS_PORT (default 8883; 0 = any free port).
import { readFileSync } from "node:fs";
import { init, Manager, MqttBroker } from "tsmongoose";

const port = Number(process.env.PORT ?? 1883);
const tlsPort = Number(process.env.TLS_PORT ?? 8883);
const { TLS_CERT: certFile, TLS_KEY: keyFile } = process.env;

await init();
const mgr = new Manager();
mgr.onShutdown((signal) => console.log(`Received ${signal ?? "shutdown"}, ${broker.stats().clients} client(s) connected`));
const broker = new MqttBroker(mgr);
mgr.onShutdown(() => console.log(`Delivered what was owed (${broker.stats().inflight} unacknowledged left), closing clients`));

const listener = broker.listen(`mqtt://127.0.0.1:${port}`);
console.log(`MQTT broker running on mqtt://127.0.0.1:${listener.localAddr.port}`);
if (certFile && keyFile) {
  const tls = { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
  const tlsListener = broker.listen(`mqtts://127.0.0.1:${tlsPort}`, { tls });
  console.log(`MQTT broker running on mqtts://127.0.0.1:${tlsListener.localAddr.port}`);
}
console.log("Press Ctrl+C to stop");
const report = await mgr.run({ shutdownTimeoutMs: 10_000 });
console.log(`Broker stopped: ${report.drained} connection(s) drained, ${report.forced.length} forced`);
