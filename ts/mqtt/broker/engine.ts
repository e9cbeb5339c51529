// engine.ts: the broker's state and its delivery path: route a message to the
// matching subscriptions (one delivery per session at the highest QoS, one
// member per shared group), queue what a client cannot take yet (offline, or
// its Receive Maximum in flight), send with the broker's own packet ids, and
// park, resume and expire sessions.
import type { Connection } from "../../core/connection";
import type { Manager } from "../../core/manager";
import { encodeProps, type MqttProperty } from "../mqtt-message";
import { mqttBrokerPub } from "../mqtt";
import { NEVER } from "./limits";
import { Retained } from "./retained";
import { LongTimer, Session, type Sub } from "./session";
import { TopicTree } from "./topics";
import type { MqttBrokerLimits, MqttBrokerMessage, MqttBrokerOptions, MqttSessionStore } from "./types";

/** An in-process subscriber (broker.subscribe()). */
export interface LocalSub { filter: string; cb: (m: MqttBrokerMessage) => void; noLocal: boolean }

/** Counters behind stats() and $SYS. */
export interface Counters { messagesIn: number; messagesOut: number; bytesIn: number; bytesOut: number; dropped: number }

const EMPTY = new Uint8Array(0);

/** Properties a message keeps when forwarded (a topic alias and subscription ids belong to one connection). */
export function forwardable(props: MqttProperty[]): MqttProperty[] {
  return props.length === 0 ? props : props.filter((p) => p.id !== 0x23 && p.id !== 0x0b);
}

export class Engine {
  readonly sessions = new Map<string, Session>();
  readonly tree = new TopicTree<Sub>();
  readonly local = new TopicTree<LocalSub>();
  readonly retained: Retained;
  readonly counters: Counters = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, dropped: 0 };
  /** Round-robin position per shared group + filter. */
  readonly #rr = new Map<string, number>();
  closing = false;
  /** Largest packet taken from a client (limits.maxPacketSize within the manager's limit). */
  maxPacket: number;

  constructor(readonly mgr: Manager, readonly limits: MqttBrokerLimits, readonly store: MqttSessionStore, readonly opts: MqttBrokerOptions) {
    this.retained = new Retained(limits, store);
    this.maxPacket = Math.min(limits.maxPacketSize, mgr.limits.maxMqttPacketSize, mgr.limits.recvBufferSize);
  }

  /** Every accepted message (from a client, broker.publish, a will, the bus): retain, then deliver. */
  route(m: MqttBrokerMessage, fromBus: boolean): void {
    this.counters.messagesIn++;
    this.counters.bytesIn += m.payload.length;
    if (m.retain) this.retained.set(m, !fromBus); // the broker that accepted it persists it (a shared store is written once)
    if (!fromBus && this.opts.bus) this.opts.bus.send({ type: "publish", message: m });
    const best = new Map<Session, { qos: number; rap: boolean; ids: number[] }>();
    let shared: Map<string, Sub[]> | undefined;
    this.tree.match(m.topic, (sub) => {
      if (sub.group !== undefined) {
        shared ??= new Map();
        const k = `${sub.group}\0${sub.topicFilter}`;
        const g = shared.get(k);
        if (g === undefined) shared.set(k, [sub]);
        else g.push(sub);
        return;
      }
      if ((sub.options & 4) !== 0 && m.origin !== undefined && m.origin === sub.session.clientId) return; // No Local
      const b = best.get(sub.session);
      if (b === undefined) best.set(sub.session, { qos: sub.qos, rap: (sub.options & 8) !== 0, ids: sub.id ? [sub.id] : [] });
      else {
        b.qos = Math.max(b.qos, sub.qos);
        b.rap ||= (sub.options & 8) !== 0;
        if (sub.id) b.ids.push(sub.id);
      }
    });
    for (const [s, b] of best) this.deliver(s, m, Math.min(m.qos, b.qos), b.rap && m.retain, b.ids);
    if (shared !== undefined) {
      for (const [k, members] of shared) {
        // Round robin, preferring a connected member.
        const n = this.#rr.get(k) ?? 0;
        let pick = members[n % members.length];
        for (let i = 0; i < members.length; i++) {
          const c = members[(n + i) % members.length];
          if (c.session.conn !== undefined) { pick = c; break; }
        }
        this.#rr.set(k, n + 1);
        this.deliver(pick.session, m, Math.min(m.qos, pick.qos), false, pick.id ? [pick.id] : []);
      }
    }
    this.local.match(m.topic, (l) => {
      if (l.noLocal && m.origin === undefined) return;
      try {
        l.cb(m);
      } catch (err) {
        queueMicrotask(() => { throw err; });
      }
    });
  }

  /** Give `m` to session `s` at `qos`: now, or queued. */
  deliver(s: Session, m: MqttBrokerMessage, qos: number, retain: boolean, ids: number[]): void {
    let props = m.properties;
    if (ids.length > 0) props = [...props, ...ids.map((id) => ({ id: 0x0b, value: id }))];
    const out: MqttBrokerMessage = qos === m.qos && retain === m.retain && props === m.properties
      ? m : { ...m, qos: qos as 0 | 1 | 2, retain, properties: props };
    const conn = s.conn;
    if (conn !== undefined && conn.sendLen > this.limits.maxQueuedBytes) {
      // A client that does not read: its unsent output is bounded too. QoS 0 is
      // dropped, QoS 1/2 waits in the (bounded) queue until the output drains.
      if (qos === 0) this.counters.dropped++;
      else this.enqueue(s, out);
      return;
    }
    if (conn !== undefined && (qos === 0 || (s.queue.length === 0 && s.inflight.size < this.window(s)))) {
      this.send(s, out);
      return;
    }
    if (qos === 0 && conn === undefined) return; // QoS 0 is not kept for offline clients (as mosquitto)
    this.enqueue(s, out);
  }

  /** The most QoS 1/2 deliveries in flight to `s`. */
  window(s: Session): number {
    return Math.min(this.limits.maxInflight, s.clientReceiveMax);
  }

  enqueue(s: Session, m: MqttBrokerMessage): boolean {
    if (s.queue.length >= this.limits.maxQueuedMessages || s.queuedBytes + m.payload.length > this.limits.maxQueuedBytes) {
      // Full: a QoS 0 message already queued gives way; otherwise the new one is dropped.
      const i = m.qos > 0 ? s.queue.findIndex((q) => q.qos === 0) : -1;
      if (i < 0) {
        this.counters.dropped++;
        return false;
      }
      s.queuedBytes -= s.queue[i].payload.length;
      s.queue.splice(i, 1);
      this.counters.dropped++;
    }
    s.queue.push(m);
    s.queuedBytes += m.payload.length;
    return true;
  }

  /** Send `m` to the connected session `s` (a new packet id for QoS 1/2); false when it could not go. */
  send(s: Session, m: MqttBrokerMessage, id = 0, dup = false): boolean {
    const conn = s.conn!;
    let props = m.properties;
    if (m.expiresAt !== undefined) {
      const left = Math.ceil((m.expiresAt - Date.now()) / 1000);
      if (left <= 0) {
        this.counters.dropped++;
        return false;
      }
      props = props.map((p) => (p.id === 0x02 ? { id: 0x02, value: left } : p)); // forwarded with the time left
    }
    if (m.qos > 0 && id === 0) {
      id = s.takeId();
      if (id === 0) return false;
    }
    // Topic aliases to the client, up to its Topic Alias Maximum: the first
    // send of a topic names it with a new alias, later ones send the alias alone.
    let topic = m.topic, fresh = 0;
    if (s.aliasMax > 0) {
      const a = s.aliases.get(topic);
      if (a !== undefined) {
        props = [...props, { id: 0x23, value: a }];
        topic = "";
      } else if (s.aliases.size < s.aliasMax) {
        fresh = s.aliases.size + 1;
        props = [...props, { id: 0x23, value: fresh }];
      }
    }
    const pb = s.version === 5 && props.length > 0 ? encodeProps("MqttBroker", props) : EMPTY;
    const ok = mqttBrokerPub(conn, topic, m.payload, m.qos | (m.retain ? 4 : 0) | (dup ? 8 : 0), id, pb);
    if (ok && fresh > 0) s.aliases.set(m.topic, fresh);
    if (!ok) {
      // Closing: keep it owed (queued again when the session parks); otherwise over the
      // client's Maximum Packet Size: dropped for this client as if delivered (3.1.2-25).
      if (m.qos > 0 && (conn.isClosing || conn.isDraining || conn.closed)) {
        if (!s.inflight.has(id)) s.inflight.set(id, { message: m, state: "publish" });
      } else this.counters.dropped++;
      return false;
    }
    if (m.qos > 0) s.inflight.set(id, { message: m, state: "publish" });
    this.counters.messagesOut++;
    this.counters.bytesOut += m.payload.length;
    return true;
  }

  /** Send queued messages while the window has room. */
  pump(s: Session): void {
    while (s.conn !== undefined && s.queue.length > 0 && s.inflight.size < this.window(s) && s.conn.sendLen <= this.limits.maxQueuedBytes) {
      const m = s.queue.shift()!;
      s.queuedBytes -= m.payload.length;
      this.send(s, m);
    }
  }

  /** A client acknowledged delivery `id` (PUBACK, PUBCOMP, or a PUBREC with an error). */
  acked(s: Session, id: number): void {
    if (s.inflight.delete(id)) this.pump(s);
  }

  /** After CONNACK on a resumed session: resend what was in flight (DUP / PUBREL), then the queue. */
  resume(s: Session): void {
    const conn = s.conn!;
    for (const [id, f] of s.inflight) {
      if (f.state === "pubrel") conn.mqttPubrel(id);
      else this.send(s, f.message, id, true);
    }
    this.pump(s);
  }

  /** File the subscriptions of a session in the tree. */
  file(sub: Sub): void {
    this.tree.add(sub.topicFilter, sub);
  }

  unfile(sub: Sub): void {
    this.tree.delete(sub.topicFilter, sub);
  }

  /** End a session: its subscriptions, timers, stored copy. */
  drop(s: Session): void {
    for (const sub of s.subs.values()) this.unfile(sub);
    s.subs.clear();
    s.expiryTimer?.clear();
    if (this.sessions.get(s.clientId) === s) this.sessions.delete(s.clientId);
    void Promise.resolve(this.store.delete(s.clientId)).catch(() => undefined);
  }

  /** A session whose connection ended: kept until it expires, or dropped. */
  park(s: Session): void {
    s.conn = undefined;
    if (s.expiry === 0) {
      this.fireWill(s);
      this.drop(s);
      return;
    }
    if (s.expiry !== NEVER) {
      s.expiresAt = Date.now() + s.expiry * 1000;
      s.expiryTimer = new LongTimer(s.expiry * 1000, () => this.expire(s));
    } else s.expiresAt = undefined;
    if (s.will !== undefined) {
      const delay = Math.min(s.will.delay, s.expiry);
      if (delay === 0) this.fireWill(s);
      else s.willTimer = new LongTimer(delay * 1000, () => this.fireWill(s));
    }
    this.save(s);
  }

  expire(s: Session): void {
    if (s.conn !== undefined || this.sessions.get(s.clientId) !== s) return;
    this.fireWill(s);
    this.drop(s);
  }

  fireWill(s: Session): void {
    s.willTimer?.clear();
    s.willTimer = undefined;
    const w = s.will;
    s.will = undefined;
    if (w !== undefined && !this.closing) this.route(w.message, false);
  }

  save(s: Session): void {
    void Promise.resolve(this.store.save(s.clientId, s.toStored())).catch(() => undefined);
  }

  /** Drop a live connection (takeover, a bus takeover, a limit). */
  kick(conn: Connection, reason: number, version: number): void {
    if (conn.closed || conn.isClosing || conn.isDraining) return;
    if (version === 5) conn.mqttDisconnect({ reason });
    else conn.drain(); // 3.1.1 has no server DISCONNECT: close once the output is out
  }
}
