// mqtt-host.ts: the primary's half of one MQTT broker across workers (Node
// only; the workers' half is mqtt-cluster.ts). The relay hands it the "mqtt"
// requests of the workers:
// - the session store: load/save/delete/loadRetained/saveRetained on one
//   store in the primary (in memory, or the store given to clusterRelay());
// - takeovers: a worker whose new client may hold a session elsewhere asks
//   the other brokers to hand it over, and its own store requests for that
//   client wait until each has answered (its save, on the same pipe, comes
//   before its answer), so the session it loads is the one just handed over.
// Publishes do not come here: they go over the bus channel (relay.ts).
import type { Worker } from "node:cluster";
import type { MqttBrokerMessage, MqttSessionStore, MqttStoredSession } from "../mqtt/broker/types";

/** How long a takeover waits for a worker that does not answer, ms. */
export const TAKEOVER_WAIT_MS = 2000;

/** Worker -> primary. */
export type MqttHostRequest =
  | { tsmongoose: "mqtt"; op: "join" }
  | { tsmongoose: "mqtt"; op: "takeover" | "handed"; id: string }
  | { tsmongoose: "mqtt"; op: "load" | "delete"; id: string; rid: number }
  | { tsmongoose: "mqtt"; op: "save"; id: string; rid: number; s: MqttStoredSession }
  | { tsmongoose: "mqtt"; op: "loadRetained"; rid: number }
  | { tsmongoose: "mqtt"; op: "saveRetained"; rid: number; m: MqttBrokerMessage };

/** Primary -> worker. */
export type MqttHostReply =
  | { tsmongoose: "mqtt-r"; rid: number; r?: unknown; err?: string }
  | { tsmongoose: "mqtt-takeover"; id: string };

/** The default store of the primary: plain maps (the workers' copies arrive as clones already). */
function memoryStore(): MqttSessionStore {
  const sessions = new Map<string, MqttStoredSession>();
  const retained = new Map<string, MqttBrokerMessage>();
  return {
    load: (id) => sessions.get(id),
    save: (id, s) => { sessions.set(id, s); },
    delete: (id) => { sessions.delete(id); },
    loadRetained: () => [...retained.values()],
    saveRetained: (m) => { if (m.payload.length === 0) retained.delete(m.topic); else retained.set(m.topic, m); },
  };
}

interface Handover {
  from: Worker;
  waiting: Set<Worker>;
  held: Extract<MqttHostRequest, { rid: number }>[];
  timer: ReturnType<typeof setTimeout>;
}

/** The "mqtt" service of the relay: returns the request handler and a forget(worker) for exits. */
export function mqttHost(store: MqttSessionStore = memoryStore()): {
  handle(w: Worker, msg: MqttHostRequest): void;
  forget(w: Worker): void;
} {
  const brokers = new Set<Worker>();
  const handovers = new Map<string, Handover>();

  function reply(w: Worker, msg: MqttHostReply): void {
    if (!w.isConnected()) return;
    // With a callback a failed write (EPIPE: the worker disconnected meanwhile)
    // comes back here instead of as an 'error' event that would crash the primary.
    try {
      w.send(msg, () => undefined);
    } catch {
      // gone: its exit follows
    }
  }

  function run(w: Worker, m: Extract<MqttHostRequest, { rid: number }>): void {
    let r: unknown;
    try {
      switch (m.op) {
        case "load": r = store.load(m.id); break;
        case "save": r = store.save(m.id, m.s); break;
        case "delete": r = store.delete(m.id); break;
        case "loadRetained": r = store.loadRetained ? store.loadRetained() : []; break;
        case "saveRetained": r = store.saveRetained?.(m.m); break;
      }
    } catch (err) {
      reply(w, { tsmongoose: "mqtt-r", rid: m.rid, err: String((err as Error)?.message ?? err) });
      return;
    }
    Promise.resolve(r).then((v) => reply(w, { tsmongoose: "mqtt-r", rid: m.rid, r: v }),
      (err: unknown) => reply(w, { tsmongoose: "mqtt-r", rid: m.rid, err: String((err as Error)?.message ?? err) }));
  }

  function release(id: string, h: Handover): void {
    if (handovers.get(id) !== h) return;
    handovers.delete(id);
    clearTimeout(h.timer);
    for (const m of h.held) run(h.from, m);
  }

  return {
    handle(w: Worker, m: MqttHostRequest): void {
      if (m.op === "join") {
        brokers.add(w);
      } else if (m.op === "takeover") {
        const old = handovers.get(m.id);
        if (old) release(m.id, old);
        const waiting = new Set([...brokers].filter((b) => b !== w && b.isConnected()));
        if (waiting.size === 0) return;
        const h: Handover = { from: w, waiting, held: [], timer: setTimeout(() => release(m.id, h), TAKEOVER_WAIT_MS) };
        handovers.set(m.id, h);
        for (const b of waiting) reply(b, { tsmongoose: "mqtt-takeover", id: m.id });
      } else if (m.op === "handed") {
        const h = handovers.get(m.id);
        if (!h) return;
        h.waiting.delete(w);
        if (h.waiting.size === 0) release(m.id, h);
      } else {
        const req = m as Extract<MqttHostRequest, { rid: number }>;
        const h = "id" in req ? handovers.get(req.id) : undefined;
        if (h && h.from === w) h.held.push(req);
        else run(w, req);
      }
    },
    forget(w: Worker): void {
      brokers.delete(w);
      for (const [id, h] of handovers) {
        if (h.from === w) {
          handovers.delete(id);
          clearTimeout(h.timer);
        } else if (h.waiting.delete(w) && h.waiting.size === 0) release(id, h);
      }
    },
  };
}
