// mqtt-bridge.ts: an edge broker that joins a central one (docs/mqtt.md
// "Bridge"): an MqttBroker for the local devices on PORT (default 1883; 0 =
// any free port), bridged to UPSTREAM (default mqtt://127.0.0.1:1884; a
// mosquitto, EMQX or HiveMQ cluster) as mosquitto's bridges are: the
// devices' sensors/# goes up as site/EDGE_ID/sensors/#, the central
// site/EDGE_ID/cmd/# comes down as cmd/#, and alerts/# is shared both ways.
// The bridge's state is retained on $SYS/broker/connection/EDGE_ID/state.
// SIGINT/SIGTERM: the bridge flushes and says DISCONNECT, then the broker stops.
import { init, Manager, MqttBridge, MqttBroker } from "tsmongoose";

const port = Number(process.env.PORT ?? 1883);
const upstream = process.env.UPSTREAM ?? "mqtt://127.0.0.1:1884";
const edgeId = process.env.EDGE_ID ?? "edge1";

await init();
const mgr = new Manager();
const broker = new MqttBroker(mgr);
const listener = broker.listen(`mqtt://127.0.0.1:${port}`);
console.log(`MQTT broker running on mqtt://127.0.0.1:${listener.localAddr.port}`);

const bridge = new MqttBridge(mgr, {
  name: edgeId,
  local: broker,
  // A fixed client id and a persistent session: what the edge forwarded and
  // the central broker did not acknowledge yet is sent again after a reconnect.
  remote: { url: upstream, clientId: `bridge-${edgeId}`, cleanSession: false, version: 5 },
  topics: [
    { pattern: "sensors/#", direction: "out", qos: 1, remotePrefix: `site/${edgeId}/` },
    { pattern: "cmd/#", direction: "in", qos: 1, remotePrefix: `site/${edgeId}/` },
    { pattern: "alerts/#", direction: "both", qos: 1 },
  ],
  reconnect: { minMs: 500, maxMs: 30_000 },
  notifications: true,
});
bridge.on((e) => console.log(`bridge ${e.side} ${e.type}${e.delayMs === undefined ? "" : ` (next try in ${e.delayMs} ms)`}`));
mgr.onShutdown(async () => {
  await bridge.close();
  const s = bridge.status();
  console.log(`Bridge closed: ${s.forwardedOut} message(s) up, ${s.forwardedIn} down, ${s.inflight} unacknowledged`);
});

console.log("Press Ctrl+C to stop");
const report = await mgr.run({ shutdownTimeoutMs: 10_000 });
console.log(`Edge broker stopped: ${report.drained} connection(s) drained, ${report.forced.length} forced`);
