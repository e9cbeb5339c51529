// relay.ts: the primary's half of the cluster message bus (Node only).
//
// Workers publish on named channels (bus.ts); the primary forwards each
// message to every worker that has a channel of that name open (and back to
// the sender when it asked for its own copy). One relay per process, started
// by runCluster() or by clusterRelay() in a plain node:cluster primary. The
// payload crosses as one v8-serialized Buffer that the primary never decodes:
// it only counts its bytes. A worker that stops reading (a blocked event loop)
// does not grow the primary's memory: once more than maxPendingBytes wait to
// be written to that worker, further messages for it are dropped and counted.
import type { Worker } from "node:cluster";
import { nodeCluster } from "../../shim/builtins"; // loaded by clusterRelay() only
import { checkNumber, checkObject } from "../core/args";
import { BUS_ENV, type BusMessage } from "./bus-wire";
import { mqttHost, type MqttHostRequest } from "./mqtt-host";
import type { MqttSessionStore } from "../mqtt/broker/types";

/** Defaults of ClusterRelayOptions (also `NODE_DEFAULTS.clusterRelay`). */
export const CLUSTER_RELAY_DEFAULTS = Object.freeze({ maxPendingBytes: 8 * 1024 * 1024 });

/** Options of clusterRelay() (runCluster() takes them as its `relay` option). */
export interface ClusterRelayOptions {
  /** Bytes of bus messages that may wait to be written to one worker before more for it are dropped (default 8 MiB). */
  maxPendingBytes?: number;
  /** The store behind clusterSessionStore() in the workers (default: in the primary's memory). */
  mqttStore?: MqttSessionStore;
}

/** What the relay did so far. */
export interface ClusterRelayStats {
  /** Messages received from workers. */
  received: number;
  /** Copies written (or queued) to workers. */
  forwarded: number;
  /** Copies dropped because their worker had maxPendingBytes waiting. */
  dropped: number;
  /** Bytes waiting to be written, per worker id. */
  pendingBytes: Record<number, number>;
  /** The most bytes that ever waited for one worker. */
  peakPendingBytes: number;
}

/** The running relay (one per process). */
export interface ClusterRelay {
  /** Counters since the relay started. */
  stats(): ClusterRelayStats;
  /** Stop relaying (workers forked afterwards cannot open channels). */
  close(): void;
}

let current: ClusterRelay | undefined;

/**
 * Start forwarding bus messages between this primary's workers; call it in a
 * node:cluster primary before forking (runCluster() calls it itself). It
 * switches cluster.setupPrimary() to 'advanced' serialization and marks the
 * environment the workers inherit. Calling it again returns the same relay.
 */
export function clusterRelay(opts: ClusterRelayOptions = {}): ClusterRelay {
  const op = "clusterRelay";
  checkObject(op, "opts", opts);
  const cluster = nodeCluster();
  const maxPending = opts.maxPendingBytes === undefined ? CLUSTER_RELAY_DEFAULTS.maxPendingBytes
    : checkNumber(op, "opts.maxPendingBytes", opts.maxPendingBytes, 0, Infinity, true);
  if (opts.mqttStore !== undefined) checkObject(op, "opts.mqttStore", opts.mqttStore);
  if (current) return current;
  const subs = new Map<string, Set<Worker>>();
  const pending = new Map<number, number>();
  const warned = new Set<number>();
  const mqtt = mqttHost(opts.mqttStore);
  let received = 0;
  let forwarded = 0;
  let dropped = 0;
  let peak = 0;

  function forward(to: Worker, msg: BusMessage, bytes: number, count: number): void {
    const waiting = pending.get(to.id) ?? 0;
    if (!to.isConnected() || waiting + bytes > maxPending) {
      dropped += count;
      if (to.isConnected() && !warned.has(to.id)) {
        warned.add(to.id);
        process.emitWarning(`clusterRelay: worker ${to.id} is not reading its bus messages (${waiting} bytes waiting): dropping them`,
          { code: "CLUSTER_BUS_DROPPED" });
      }
      return;
    }
    pending.set(to.id, waiting + bytes);
    if (waiting + bytes > peak) peak = waiting + bytes;
    forwarded += count;
    try {
      to.send(msg, () => {
        const left = (pending.get(to.id) ?? bytes) - bytes;
        pending.set(to.id, left);
        if (left === 0) warned.delete(to.id);
      });
    } catch {
      pending.set(to.id, waiting); // the channel closed under us: its exit follows
    }
  }

  function forget(w: Worker): void {
    for (const set of subs.values()) set.delete(w);
    pending.delete(w.id);
    warned.delete(w.id);
    mqtt.forget(w);
  }

  const onMessage = (w: Worker, msg: unknown): void => {
    const m = msg as BusMessage | null;
    if (m === null || typeof m !== "object" || typeof m.tsmongoose !== "string") return;
    if (m.tsmongoose === "bus") {
      received += m.d.length;
      let bytes = 0;
      for (const d of m.d) bytes += d.byteLength;
      const out: BusMessage = { tsmongoose: "bus", c: m.c, d: m.d, w: w.id };
      for (const to of subs.get(m.c) ?? []) if (to !== w || m.e) forward(to, out, bytes, m.d.length);
    } else if (m.tsmongoose === "bus-sub") {
      let set = subs.get(m.c);
      if (!set) subs.set(m.c, set = new Set());
      set.add(w);
    } else if (m.tsmongoose === "bus-unsub") {
      subs.get(m.c)?.delete(w);
    } else if ((m as { tsmongoose: string }).tsmongoose === "mqtt") {
      mqtt.handle(w, m as unknown as MqttHostRequest);
    }
  };
  cluster.setupPrimary({ serialization: "advanced" });
  cluster.on("message", onMessage);
  cluster.on("exit", forget);
  process.env[BUS_ENV] = "1";
  current = {
    stats: () => ({ received, forwarded, dropped, pendingBytes: Object.fromEntries(pending), peakPendingBytes: peak }),
    close(): void {
      if (current !== this) return;
      cluster.off("message", onMessage);
      cluster.off("exit", forget);
      delete process.env[BUS_ENV];
      current = undefined;
    },
  };
  return current;
}
