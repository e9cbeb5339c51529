// mqtt-broker-cluster.ts: one MQTT broker over every core. runCluster() forks
// WORKERS workers (default: one per core) sharing PORT (default 1883; 0 = any
// free port); each runs an MqttBroker joined to the others through the
// primary (docs/mqtt.md "One broker across workers"): a subscriber on one
// worker gets what a publisher on another sends, retained messages and
// persistent sessions are the same whichever worker a client lands on.
// LOG_CLIENTS=1 prints "worker <pid> client <id>" for each accepted client.
// SIGINT/SIGTERM to the primary stops every worker gracefully.
import cluster from "node:cluster";
import { clusterBrokerBus, clusterSessionStore, init, Manager, MqttBroker, runCluster } from "tsmongoose";

const port = Number(process.env.PORT ?? 1883);

if (cluster.isPrimary) {
  const workers = process.env.WORKERS ? Number(process.env.WORKERS) : undefined;
  const fleet = runCluster({ workers, shutdownTimeoutMs: 10_000 });
  console.log(`primary ${process.pid}: ${fleet.workers.length} broker workers`);
  const report = await fleet.done;
  console.log(`cluster report: ${JSON.stringify(report)}`);
  process.exit(0);
}

await init();
const mgr = new Manager();
const logClients = process.env.LOG_CLIENTS === "1";
const broker = new MqttBroker(mgr, {
  bus: clusterBrokerBus(),
  store: clusterSessionStore(),
  authenticate: ({ clientId }) => {
    if (logClients) console.log(`worker ${process.pid} client ${clientId}`);
    return true;
  },
});
await broker.ready; // the retained messages the other workers already hold
const listener = broker.listen(`mqtt://127.0.0.1:${port}`);
const { port: bound } = await listener.listening();
console.log(`worker ${process.pid} listening on mqtt://127.0.0.1:${bound}`);
const report = await mgr.run({ shutdownTimeoutMs: 10_000 });
console.log(`worker ${process.pid} report: ${JSON.stringify(report)}`);
