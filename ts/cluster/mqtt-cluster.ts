// mqtt-cluster.ts: the workers' half of one MQTT broker across node:cluster
// workers (Node only; the primary's half is mqtt-host.ts, started with the
// relay). Give each worker's MqttBroker both:
//   new MqttBroker(mgr, { bus: clusterBrokerBus(), store: clusterSessionStore() })
// - clusterBrokerBus(): every accepted PUBLISH goes over the cluster bus
//   channel "tsmongoose:mqtt" to the other workers' brokers, which deliver it
//   to their subscribers and apply its retain flag; a takeover (a client
//   connected here) goes to the primary, which asks the others to hand the
//   session over and holds this worker's store requests for that client
//   until they have.
// - clusterSessionStore(): sessions and retained messages in the primary, so
//   a client finds its session whichever worker it lands on, and a worker
//   that starts later loads the retained messages.
import { clusterBusAvailable, clusterChannel } from "./bus";
import { MongooseError } from "../core/errors";
import type { MqttHostReply, MqttHostRequest } from "./mqtt-host";
import type { MqttBrokerBus, MqttBrokerMessage, MqttBusMessage, MqttSessionStore, MqttStoredSession } from "../mqtt/broker/types";

/** The bus channel the brokers' publishes use. */
export const MQTT_CHANNEL = "tsmongoose:mqtt";

type Request = MqttHostRequest extends infer R ? R extends { rid: number } ? Omit<R, "tsmongoose" | "rid"> : never : never;

const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
const takeoverHandlers = new Set<(clientId: string) => void>();
let nextRid = 1;
let linked = false;
// True while a publish from another worker is being handed to this broker:
// the worker that accepted it already saved its retained copy to the
// primary's store (before it went on the bus), so this worker's save is skipped.
let fromOtherWorker = false;

function available(op: string): void {
  if (!clusterBusAvailable()) {
    throw new MongooseError("ERR_CLUSTER_BUS_UNAVAILABLE", `${op}: not in a node:cluster worker whose primary relays ` +
      "(runCluster(), or clusterRelay() called in the primary before forking)");
  }
}

/** Send to the primary; false when the channel is closed. A failed write calls `failed` (never an 'error' event). */
function post(msg: MqttHostRequest, failed?: () => void): boolean {
  if (!process.connected) return false;
  try {
    process.send!(msg, undefined, undefined, (err) => { if (err) failed?.(); });
    return true;
  } catch {
    return false;
  }
}

const onIpc = (raw: unknown): void => {
  const m = raw as MqttHostReply | null;
  if (m === null || typeof m !== "object") return;
  if (m.tsmongoose === "mqtt-r") {
    const w = waiting.get(m.rid);
    if (!w) return;
    waiting.delete(m.rid);
    if (m.err !== undefined) w.reject(new MongooseError("ERR_CLUSTER_STORE", `clusterSessionStore: the primary's store failed: ${m.err}`));
    else w.resolve(m.r);
  } else if (m.tsmongoose === "mqtt-takeover") {
    for (const f of takeoverHandlers) f(m.id);
    post({ tsmongoose: "mqtt", op: "handed", id: m.id }); // after the saves the handlers posted
  }
};

const onDisconnect = (): void => {
  for (const w of waiting.values()) w.reject(new MongooseError("ERR_CLUSTER_STORE", "clusterSessionStore: the IPC channel to the primary closed"));
  waiting.clear();
};

function link(): void {
  if (linked) return;
  linked = true;
  process.on("message", onIpc);
  process.once("disconnect", onDisconnect);
}

function request<T>(req: Request): Promise<T> {
  const rid = nextRid++;
  return new Promise<T>((resolve, reject) => {
    waiting.set(rid, { resolve: resolve as (v: unknown) => void, reject });
    const closed = (): void => {
      if (!waiting.delete(rid)) return;
      reject(new MongooseError("ERR_CLUSTER_STORE", "clusterSessionStore: the IPC channel to the primary is closed"));
    };
    if (!post({ tsmongoose: "mqtt", rid, ...req } as MqttHostRequest, closed)) closed();
  });
}

/**
 * The MqttBrokerBus of a worker: joins its MqttBroker to the other workers'
 * (through the primary's relay). Throws ERR_CLUSTER_BUS_UNAVAILABLE outside
 * a worker of a relaying primary.
 */
export function clusterBrokerBus(): MqttBrokerBus {
  available("clusterBrokerBus");
  link();
  const ch = clusterChannel<MqttBusMessage>(MQTT_CHANNEL);
  post({ tsmongoose: "mqtt", op: "join" });
  return {
    send(m: MqttBusMessage): void {
      if (m.type === "takeover") post({ tsmongoose: "mqtt", op: "takeover", id: m.clientId });
      else ch.send(m); // dropped (false) only past maxPendingBytes: see docs/mqtt.md
    },
    onMessage(cb: (m: MqttBusMessage) => void): void {
      ch.onMessage((m) => {
        fromOtherWorker = true;
        try {
          cb(m);
        } finally {
          fromOtherWorker = false;
        }
      });
      takeoverHandlers.add((clientId) => cb({ type: "takeover", clientId }));
    },
  };
}

/**
 * The MqttSessionStore of a worker: sessions and retained messages kept by
 * the primary (in its memory, or in the `mqttStore` given to clusterRelay()).
 * Throws ERR_CLUSTER_BUS_UNAVAILABLE outside a worker of a relaying primary.
 */
export function clusterSessionStore(): MqttSessionStore {
  available("clusterSessionStore");
  link();
  return {
    load: (id: string) => request<MqttStoredSession | undefined>({ op: "load", id }),
    save: (id: string, s: MqttStoredSession) => request<void>({ op: "save", id, s }),
    delete: (id: string) => request<void>({ op: "delete", id }),
    loadRetained: () => request<MqttBrokerMessage[]>({ op: "loadRetained" }),
    saveRetained: (m: MqttBrokerMessage) => (fromOtherWorker ? Promise.resolve() : request<void>({ op: "saveRetained", m })),
  };
}
