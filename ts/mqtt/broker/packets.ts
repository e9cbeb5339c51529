// packets.ts: what the broker does with each packet from a client: CONNECT
// (authenticate, take over, resume or start a session, CONNACK), SUBSCRIBE
// and UNSUBSCRIBE, PUBLISH (authorize, route, acknowledge) and the QoS flows.
// A hook that answers with a Promise makes the packets after it wait (Client.backlog).
import type { Connection } from "../../core/connection";
import type { MqttConnectInfo, MqttProperty, MqttTopicFilter } from "../mqtt-message";
import { mqttBrokerKeepalive } from "../mqtt";
import { forwardable, type Engine } from "./engine";
import { NEVER } from "./limits";
import { Session, type Sub } from "./session";
import { parseShared, validTopicFilter } from "./topics";
import type { MqttBrokerMessage, MqttStoredSession } from "./types";

/** The fields of an MqttMessage the broker reads (a live view, or a copy while a hook is pending). */
export interface Pkt {
  readonly cmd: number; readonly id: number; readonly qos: number; readonly ack: number; readonly retain: boolean;
  readonly topic: string; readonly data: Uint8Array;
  properties(): MqttProperty[]; topics(): MqttTopicFilter[]; connect(): MqttConnectInfo | undefined;
}

/** A copy of `m` that outlives the handler call. */
export function snapshot(m: Pkt): Pkt {
  const props = m.properties(), topics = m.topics(), info = m.connect();
  const copy: { cmd: number; id: number; qos: number; ack: number; retain: boolean; topic: string; data: Uint8Array } =
    { cmd: m.cmd, id: m.id, qos: m.qos, ack: m.ack, retain: m.retain, topic: "", data: new Uint8Array(0) };
  if (m.cmd === 3 || m.cmd === 1) { copy.topic = m.topic; copy.data = m.data; }
  return { ...copy, properties: () => props, topics: () => topics, connect: () => info };
}

/** One client connection. */
export interface Client {
  conn: Connection;
  version: 4 | 5;
  session?: Session;
  username?: string;
  /** Packets waiting for a pending hook. */
  backlog?: Pkt[];
  /** DISCONNECT seen (the will is dropped unless it said 0x04). */
  disconnected: boolean;
  /** A mosquitto bridge (try_private): every subscription is No Local and Retain As Published. */
  bridge?: boolean;
}

function prop(props: MqttProperty[], id: number): number | undefined {
  for (const p of props) if (p.id === id) return p.value as number;
  return undefined;
}

/** authorize()'s refusal as a reason code: false is 0x87 (not authorized). */
function refusal(v: boolean | number): number {
  return typeof v === "number" && v >= 0x80 && v <= 0xff ? v : 0x87;
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown })?.then === "function";
}

/** Run `next` on `v`, now or when it resolves. */
function then<T>(v: T | Promise<T>, next: (x: T) => void | Promise<void>): void | Promise<void> {
  return isPromise(v) ? v.then(next) : next(v);
}

function randomId(): string {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  return "auto-" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** The message a PUBLISH (or a will) carries. */
function message(topic: string, payload: Uint8Array, qos: number, retain: boolean, props: MqttProperty[], origin: string | undefined): MqttBrokerMessage {
  const m: MqttBrokerMessage = { topic, payload, qos: qos as 0 | 1 | 2, retain, properties: props, origin };
  const exp = prop(props, 0x02);
  if (exp !== undefined) m.expiresAt = Date.now() + exp * 1000;
  return m;
}

export class Packets {
  constructor(readonly e: Engine) {}

  handle(c: Client, m: Pkt): void | Promise<void> {
    switch (m.cmd) {
      case 1: return this.connect(c, m);
      case 3: return this.publish(c, m);
      case 4: case 7: if (c.session) this.e.acked(c.session, m.id); return;
      case 5: return this.pubrec(c, m);
      case 6: return this.pubrel(c, m);
      case 8: return this.subscribe(c, m);
      case 10: return this.unsubscribe(c, m);
      case 12: c.conn.mqttPong(); return;
      case 14: return this.disconnect(c, m);
    }
  }

  // ---- CONNECT ----------------------------------------------------------------

  connect(c: Client, m: Pkt): void | Promise<void> {
    const info = m.connect()!;
    const props = m.properties();
    c.version = info.version;
    c.username = info.username;
    c.bridge = info.bridge === true;
    const assigned = info.clientId === "";
    const clientId = assigned ? randomId() : info.clientId;
    const auth = this.e.opts.authenticate;
    const verdict = auth ? auth({ clientId, username: info.username, password: info.password, conn: c.conn }) : true;
    return then(verdict, (v) => this.#admit(c, info, props, clientId, assigned, v));
  }

  #admit(c: Client, info: MqttConnectInfo, props: MqttProperty[], clientId: string, assigned: boolean, verdict: boolean | number): void | Promise<void> {
    if (c.conn.closed) return;
    const v5 = info.version === 5;
    if (verdict !== true) {
      let code = typeof verdict === "number" ? verdict : v5 ? 0x87 : 5;
      if (!v5 && code > 5) code = 5;
      return this.#refuse(c, code);
    }
    const e = this.e;
    e.opts.bus?.send({ type: "takeover", clientId });
    let s = e.sessions.get(clientId);
    if (s?.conn !== undefined) this.#takeover(s, info.cleanSession);
    if (s !== undefined && info.cleanSession) {
      e.drop(s);
      s = undefined;
    }
    if (s === undefined && !info.cleanSession) {
      const stored = e.store.load(clientId);
      return then(stored, (st) => this.#open(c, info, props, clientId, assigned, undefined, st));
    }
    return this.#open(c, info, props, clientId, assigned, s, undefined);
  }

  #refuse(c: Client, code: number): void {
    c.conn.mqttConnack(code);
    c.conn.drain();
  }

  /** Another connection with the same id: it goes (MQTT 5: DISCONNECT 0x8E), its will as the session says. */
  #takeover(s: Session, clean: boolean): void {
    const old = s.conn!;
    s.conn = undefined;
    if (s.will !== undefined && (clean || s.will.delay === 0)) this.e.fireWill(s);
    s.will = undefined;
    this.e.kick(old, 0x8e, s.version);
  }

  #open(c: Client, info: MqttConnectInfo, props: MqttProperty[], clientId: string, assigned: boolean, s: Session | undefined, stored: MqttStoredSession | undefined): void {
    if (c.conn.closed) return;
    const e = this.e;
    const v5 = info.version === 5;
    let present = s !== undefined;
    if (s === undefined) {
      if (e.sessions.size >= e.limits.maxSessions) return this.#refuse(c, v5 ? 0x97 : 3);
      s = new Session(clientId);
      if (stored !== undefined && (stored.expiresAt === undefined || stored.expiresAt > Date.now())) {
        s.fromStored(stored);
        for (const x of stored.subscriptions ?? []) this.#addSub(s, x.filter, x.qos, x.options, x.id);
        present = true;
      }
      e.sessions.set(clientId, s);
    } else {
      s.expiryTimer?.clear();
      s.willTimer?.clear(); // resumed within the Will Delay: no will
      s.will = undefined;
    }
    s.expiryTimer = s.willTimer = undefined;
    s.expiresAt = undefined;
    s.conn = c.conn;
    s.version = info.version;
    s.username = info.username;
    c.session = s;
    const asked = v5 ? (prop(props, 0x11) ?? 0) : info.cleanSession ? 0 : NEVER;
    s.expiry = Math.min(asked, e.limits.maxSessionExpiry);
    s.clientReceiveMax = v5 ? (prop(props, 0x21) ?? 65535) : 65535;
    s.aliasMax = v5 ? Math.min(prop(props, 0x22) ?? 0, e.limits.topicAliasMaximum) : 0;
    s.aliases = new Map();
    if (info.will !== undefined) {
      const w = info.will;
      const wp = forwardable(w.properties).filter((p) => p.id !== 0x18);
      s.will = { message: message(w.topic, w.message, w.qos, w.retain, wp, clientId), delay: prop(w.properties, 0x18) ?? 0 };
    }
    const ack: MqttProperty[] = [];
    if (v5) {
      if (assigned) ack.push({ id: 0x12, value: clientId });
      if (s.expiry !== asked) ack.push({ id: 0x11, value: s.expiry });
      ack.push({ id: 0x21, value: e.limits.receiveMaximum });
      ack.push({ id: 0x27, value: e.maxPacket });
      ack.push({ id: 0x22, value: 16 });
      if (e.limits.maxQos < 2) ack.push({ id: 0x24, value: e.limits.maxQos });
    }
    // Keep alive: the broker's override, or its cap (mosquitto's max_keepalive) for a client asking more or none.
    const lim = e.limits;
    const ka = lim.keepalive > 0 ? lim.keepalive
      : lim.maxKeepalive > 0 && (info.keepalive === 0 || info.keepalive > lim.maxKeepalive) ? lim.maxKeepalive : info.keepalive;
    if (ka !== info.keepalive) {
      mqttBrokerKeepalive(c.conn, ka);
      if (v5) ack.push({ id: 0x13, value: ka });
    }
    c.conn.mqttConnack(0, { sessionPresent: present && !info.cleanSession, properties: ack });
    if (present) e.resume(s);
  }

  // ---- SUBSCRIBE / UNSUBSCRIBE -------------------------------------------------

  /** File a subscription; true when it is new (not a replacement). */
  #addSub(s: Session, filter: string, qos: number, options: number, id: number | undefined): boolean {
    const sh = parseShared(filter);
    const old = s.subs.get(filter);
    if (old !== undefined) this.e.unfile(old);
    const sub: Sub = { filter, topicFilter: sh ? sh.filter : filter, qos: qos as 0 | 1 | 2, options: options & 0x3c, session: s };
    if (sh) sub.group = sh.group;
    if (id !== undefined) sub.id = id;
    s.subs.set(filter, sub);
    this.e.file(sub);
    return old === undefined;
  }

  subscribe(c: Client, m: Pkt): void | Promise<void> {
    const s = c.session!;
    const filters = m.topics();
    const id = prop(m.properties(), 0x0b);
    const authz = this.e.opts.authorize;
    const who = { clientId: s.clientId, username: c.username };
    const verdicts = filters.map((f) => (authz && this.#valid(c, f.topic) ? authz("subscribe", f.topic, who) : true));
    const pid = m.id;
    const finish = (ok: (boolean | number)[]): void => {
      if (c.conn.closed) return;
      const v5 = c.version === 5;
      const codes: number[] = [];
      const retained: [Sub, MqttBrokerMessage[]][] = [];
      for (let i = 0; i < filters.length; i++) {
        const f = filters[i];
        const opts = (v5 ? f.options : 0) | (c.bridge ? 0x0c : 0); // a bridge gets no echo and keeps retain flags
        if (!this.#valid(c, f.topic)) codes.push(v5 ? 0x8f : 0x80);
        else if (ok[i] !== true) codes.push(v5 ? refusal(ok[i]) : 0x80);
        else if (!s.subs.has(f.topic) && s.subs.size >= this.e.limits.maxSubscriptionsPerClient) codes.push(v5 ? 0x97 : 0x80);
        else {
          const qos = Math.min(f.qos, this.e.limits.maxQos);
          const fresh = this.#addSub(s, f.topic, qos, opts, id);
          codes.push(qos);
          const sub = s.subs.get(f.topic)!;
          const rh = (opts >> 4) & 3;
          if (sub.group === undefined && (rh === 0 || (rh === 1 && fresh))) retained.push([sub, this.e.retained.matching(sub.topicFilter)]);
        }
      }
      c.conn.mqttSuback(pid, codes);
      for (const [sub, list] of retained) {
        for (const r of list) this.e.deliver(s, r, Math.min(r.qos, sub.qos), true, sub.id ? [sub.id] : []);
      }
    };
    if (verdicts.some(isPromise)) return Promise.all(verdicts).then(finish);
    finish(verdicts as (boolean | number)[]);
  }

  #valid(c: Client, filter: string): boolean {
    const sh = parseShared(filter);
    if (sh === null) return false;
    if (sh !== undefined && c.version !== 5) return false;
    return sh !== undefined || validTopicFilter(filter);
  }

  unsubscribe(c: Client, m: Pkt): void {
    const s = c.session!;
    const codes = m.topics().map((f) => {
      const sub = s.subs.get(f.topic);
      if (sub === undefined) return 0x11; // no subscription existed
      this.e.unfile(sub);
      s.subs.delete(f.topic);
      return 0;
    });
    c.conn.mqttUnsuback(m.id, codes);
  }

  // ---- PUBLISH and the QoS flows ----------------------------------------------------

  publish(c: Client, m: Pkt): void | Promise<void> {
    const s = c.session!;
    const qos = m.qos, id = m.id, v5 = c.version === 5;
    const e = this.e;
    if (qos > e.limits.maxQos) return e.kick(c.conn, 0x9b, c.version); // QoS not supported
    if (qos === 2) {
      if (s.received.has(id)) {
        c.conn.mqttPubrec(id); // a resend before PUBREL: acknowledged, not delivered again
        return;
      }
      if (s.received.size >= e.limits.receiveMaximum) return e.kick(c.conn, 0x93, c.version); // Receive Maximum exceeded
    }
    const msg = message(m.topic, m.data, qos, m.retain, v5 ? forwardable(m.properties()) : [], s.clientId);
    const authz = e.opts.authorize;
    const verdict = authz ? authz("publish", msg.topic, { clientId: s.clientId, username: c.username }) : true;
    return then(verdict, (ok) => {
      if (c.conn.closed) return;
      if (ok === true) e.route(msg, false);
      const reason = ok === true || !v5 ? 0 : refusal(ok); // 3.1.1: a refused publish is acknowledged and dropped
      if (qos === 1) c.conn.mqttPuback(id, reason ? { reason } : undefined);
      else if (qos === 2) {
        if (!reason) s.received.add(id);
        c.conn.mqttPubrec(id, reason ? { reason } : undefined);
      }
    });
  }

  pubrec(c: Client, m: Pkt): void {
    const s = c.session!;
    const f = s.inflight.get(m.id);
    if (m.ack >= 0x80) this.e.acked(s, m.id); // the subscriber refused it: done
    else if (f !== undefined) {
      f.state = "pubrel";
      c.conn.mqttPubrel(m.id);
    } else c.conn.mqttPubrel(m.id, c.version === 5 ? { reason: 0x92 } : undefined);
  }

  pubrel(c: Client, m: Pkt): void {
    const known = c.session!.received.delete(m.id);
    c.conn.mqttPubcomp(m.id, { reason: known || c.version !== 5 ? 0 : 0x92 }); // 0x92: packet identifier not found
  }

  disconnect(c: Client, m: Pkt): void {
    const s = c.session;
    c.disconnected = true;
    if (s !== undefined) {
      const exp = c.version === 5 ? prop(m.properties(), 0x11) : undefined;
      if (exp !== undefined) {
        if (s.expiry === 0 && exp > 0) {
          c.conn.mqttDisconnect({ reason: 0x82 }); // protocol error (3.14.2-2)
          return;
        }
        s.expiry = Math.min(exp, this.e.limits.maxSessionExpiry);
      }
      if (m.ack !== 0x04) s.will = undefined; // 0x04: disconnect with will message
    }
    c.conn.drain();
  }
}

