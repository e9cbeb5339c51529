// mqtt.ts: the MQTT facade (API.md "MQTT"): Manager.mqttConnect/mqttListen
// and the Connection mqtt* methods delegate here. The C core (mqtt.c) parses,
// checks, answers a client's QoS flows and keeps alive; this file validates
// arguments, numbers packets and keeps the client's unacknowledged QoS 1/2
// publishes in an MqttSession so they are sent again after a reconnect.
import { core } from "../core/loader";
import { toBytes, toScratch, type Bytes } from "../core/core";
import { MongooseError, describe, TypeError, RangeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import { argValueError } from "../core/args";
import type { Connection, Handler } from "../core/connection";
import type { Manager } from "../core/manager";
import type { TlsOpts } from "../tls/tls";
import { MG_EV_MQTT_CMD, MG_EV_MQTT_OPEN, MG_EV_OPEN } from "../core/constants";
import {
  encodeProps, MqttMessage, MQTT_CMD_CONNACK, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP,
  MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK, MQTT_CMD_UNSUBACK,
  type MqttProperty,
} from "./mqtt-message";
import { shutdownProtocolHooks } from "../lifecycle/shutdown";
import { mqttWsInit, mqttWsUrl } from "./mqtt-ws";

/** Topic aliases the core accepts from a peer (mqtt.h MG_MQTT_MAX_ALIASES). */
const MAX_ALIASES = 16;

/** Defaults of MqttConnectOptions (also `DEFAULTS.mqttConnect`); clientId is random. */
export const MQTT_CONNECT_DEFAULTS = Object.freeze({ cleanSession: true, keepalive: 60, version: 4 as 4 | 5 });

/** Options of Manager.mqttConnect(). */
export interface MqttConnectOptions {
  /** Handler for this connection (default: the manager's). */
  handler?: Handler;
  /** Client identifier (default: "tsmongoose-" + random hex). */
  clientId?: string;
  /** User name for the broker. */
  username?: string;
  /** Password for the broker. */
  password?: string | Uint8Array;
  /** Start a new session (default true). false: the broker keeps it, and `session` resends what was not acknowledged. */
  cleanSession?: boolean;
  /** Seconds between packets; the client pings when idle this long and reports a broker that stops answering (default 60, 0 = off). */
  keepalive?: number;
  /** Protocol level: 4 = MQTT 3.1.1 (default), 5 = MQTT 5. */
  version?: 4 | 5;
  /** Last will, published by the broker if the connection ends without DISCONNECT. */
  will?: { topic: string; message: string | Uint8Array; qos?: 0 | 1 | 2; retain?: boolean; properties?: MqttProperty[] };
  /** MQTT 5 CONNECT properties (Maximum Packet Size and Topic Alias Maximum are added unless given). */
  properties?: MqttProperty[];
  /** Outgoing QoS 1/2 publishes not yet acknowledged; pass the same object to the next connection to resend them. */
  session?: MqttSession;
  /** TLS for mqtts:// (ca, name, client cert, skipVerification); mqtts:// alone verifies against Node's root store. */
  tls?: TlsOpts;
}

/** Options of Manager.mqttListen(). */
export interface MqttListenOptions {
  /** Handler for the listener and every connection it accepts. */
  handler?: Handler;
  /** Certificate and key for mqtts:// (required there), `ca` to ask for client certificates, `sni`. */
  tls?: TlsOpts;
}

/** Options of Connection.mqttPub(). */
export interface MqttPubOptions {
  /** Quality of service (default 0). */
  qos?: 0 | 1 | 2;
  /** Ask the broker to keep the message for later subscribers. */
  retain?: boolean;
  /** MQTT 5 PUBLISH properties (dropped on 3.1.1 connections). */
  properties?: MqttProperty[];
}

/** Options of Connection.mqttSub(). */
export interface MqttSubOptions {
  /** Maximum QoS requested (default 0). */
  qos?: 0 | 1 | 2;
  /** MQTT 5 subscription options bits above the QoS (no-local 0x04, retain-as-published 0x08, retain handling 0x30). */
  options?: number;
  /** MQTT 5 SUBSCRIBE properties (Subscription Identifier 0x0B, user properties). */
  properties?: MqttProperty[];
}

/** Options of the acknowledgement helpers (mqttPuback, mqttConnack...). */
export interface MqttAckOptions {
  /** MQTT 5 reason code (default 0, success). */
  reason?: number;
  /** MQTT 5 properties of the packet (dropped on 3.1.1). */
  properties?: MqttProperty[];
}

interface Pending { topic: string; data: Bytes; flags: number; props: Uint8Array; released: boolean }

/**
 * The client side of a persistent session: QoS 1 and 2 publishes sent but
 * not yet acknowledged. Give the same session to successive mqttConnect()
 * calls with `cleanSession: false`; after the CONNACK of the next connection
 * the client sends them again (PUBLISH with DUP, or PUBREL for QoS 2
 * publishes the broker had received), before MG_EV_MQTT_OPEN reaches the handler.
 */
export class MqttSession {
  /** @internal packet id -> what to send again. */
  readonly _pending = new Map<number, Pending>();
  #next = 1;

  /** Packet ids still waiting for their acknowledgement. */
  get pending(): number[] {
    return [...this._pending.keys()];
  }

  /** @internal A free packet id (1..65535), skipping those in flight. */
  _id(): number {
    for (let i = 0; i < 65535; i++) {
      const id = this.#next;
      this.#next = id === 65535 ? 1 : id + 1;
      if (!this._pending.has(id)) return id;
    }
    throw new MongooseError("ERR_MQTT_IDS", "mqttPub: 65535 packets are in flight, no packet id is free");
  }
}

interface State { session: MqttSession; clean: boolean }
const states = new WeakMap<Connection, State>();

function state(conn: Connection): State {
  let s = states.get(conn);
  if (s === undefined) {
    s = { session: new MqttSession(), clean: true };
    states.set(conn, s);
  }
  return s;
}

/** "mqtt://host[:1883]" (or tcp://, mem://) -> the URL Manager.connect/listen take. */
function transportUrl(op: string, url: string): string {
  if (typeof url !== "string") throw new TypeError(`${op}: url must be a string, got ${describe(url)}`);
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(url);
  const scheme = m?.[1].toLowerCase();
  if (!m || (scheme !== "mqtt" && scheme !== "mqtts" && scheme !== "tcp" && scheme !== "mem")) {
    throw argValueError(op, "url", "must be an mqtt://, mqtts://, ws:// or wss:// URL", url);
  }
  if (scheme !== "mqtt" && scheme !== "mqtts") return url;
  // MQTT runs on the byte stream: mqtts:// is MQTT over the tls:// transport.
  let rest = m[2];
  const hostEnd = rest.startsWith("[") ? rest.indexOf("]") + 1 : rest.search(/[:/?#]|$/);
  if (rest[hostEnd] !== ":") rest = rest.slice(0, hostEnd) + (scheme === "mqtt" ? ":1883" : ":8883") + rest.slice(hostEnd);
  return `${scheme === "mqtt" ? "tcp" : "tls"}://${rest}`;
}

function checkInt(op: string, what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${op}: ${what} must be an integer in ${min}..${max}, got ${describe(v)}`);
  }
  return v;
}

let lastTopic = ""; // the last publish topic that passed: publishers repeat topics

function checkTopic(op: string, topic: unknown, filter: boolean): string {
  if (topic === lastTopic && topic !== "") return topic;
  if (typeof topic !== "string" || topic.length === 0) throw new TypeError(`${op}: topic must be a non-empty string, got ${describe(topic)}`);
  if (!filter && /[+#]/.test(topic)) throw argValueError(op, "topic", "cannot hold wildcards (+ or #) when publishing", topic);
  if (topic.includes("\0") || /[\ud800-\udfff]/.test(topic.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ""))) {
    throw argValueError(op, "topic", "must be valid UTF-8 text without NUL", topic);
  }
  if (!filter) lastTopic = topic;
  return topic;
}

const NO_OPTS: Readonly<MqttPubOptions> = Object.freeze({});

function opts<T extends object>(op: string, o: T | undefined): T {
  if (o === undefined) return {} as T;
  if (o === null || typeof o !== "object") throw new TypeError(`${op}: options must be an object, got ${describe(o)}`);
  return o;
}

function randomId(): string {
  const b = new Uint8Array(6);
  globalThis.crypto.getRandomValues(b);
  return "tsmongoose-" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** The largest packet a connection takes from its peer. */
function maxPacket(mgr: Manager): number {
  return Math.min(mgr.limits.maxMqttPacketSize, mgr.limits.recvBufferSize);
}

/** Manager.mqttConnect(). */
export function mqttConnect(mgr: Manager, url: string, o?: MqttConnectOptions): Connection {
  const op = "mqttConnect";
  const oo = opts(op, o);
  const version = oo.version ?? MQTT_CONNECT_DEFAULTS.version;
  if (version !== 4 && version !== 5) throw new RangeError(`${op}: version must be 4 or 5, got ${describe(version)}`, { code: "ERR_INVALID_ARG_VALUE" });
  const keepalive = checkInt(op, "keepalive", oo.keepalive ?? MQTT_CONNECT_DEFAULTS.keepalive, 0, 65535);
  const clientId = oo.clientId ?? randomId();
  if (typeof clientId !== "string") throw new TypeError(`${op}: clientId must be a string, got ${describe(clientId)}`);
  if (oo.username !== undefined && typeof oo.username !== "string") throw new TypeError(`${op}: username must be a string, got ${describe(oo.username)}`);
  const password = oo.password === undefined ? undefined : toBytes(`${op} password`, oo.password);
  const clean = oo.cleanSession ?? MQTT_CONNECT_DEFAULTS.cleanSession;
  if (typeof clean !== "boolean") throw new TypeError(`${op}: cleanSession must be a boolean, got ${describe(clean)}`);
  if (oo.session !== undefined && !(oo.session instanceof MqttSession)) throw new TypeError(`${op}: session must be an MqttSession, got ${describe(oo.session)}`);
  let flags = clean ? 1 : 0;
  let willTopic = "", willMsg: Bytes = "", willProps: Uint8Array = new Uint8Array(0);
  if (oo.will !== undefined) {
    const w = opts(`${op} will`, oo.will);
    willTopic = checkTopic(`${op} will`, w.topic, false);
    willMsg = toBytes(`${op} will message`, w.message);
    const q = checkInt(`${op} will`, "qos", w.qos ?? 0, 0, 2);
    flags |= 16 | (q << 1) | (w.retain ? 8 : 0);
    willProps = encodeProps(`${op} will`, w.properties);
  }
  const given = oo.properties ?? [];
  const extra: MqttProperty[] = [];
  if (!given.some((p) => p?.id === 0x27)) extra.push({ id: 0x27, value: maxPacket(mgr) });
  if (!given.some((p) => p?.id === 0x22)) extra.push({ id: 0x22, value: MAX_ALIASES });
  const props = encodeProps(op, [...given, ...extra]);
  const session = oo.session ?? new MqttSession();
  const ws = mqttWsUrl(op, url); // MQTT over WebSocket: the core frames under MQTT
  const conn = mgr.connect(ws?.target ?? transportUrl(op, url), { handler: oo.handler, http: false, tls: oo.tls });
  if (conn.closed) return conn;
  states.set(conn, { session, clean });
  conn._protoHook = clientHook;
  const k = core();
  mgr._enter();
  try {
    if (!k.mgx_mqtt_init(conn._ptr, version, maxPacket(mgr))) throw new MongooseError("ERR_NO_MEMORY", `${op}: the core could not set up MQTT`);
    if (ws !== undefined) mqttWsInit(op, conn._ptr, ws, true); // before CONNECT: it waits for the 101
    // Every field back to back in one scratch copy.
    const enc = new TextEncoder();
    const b = (x: Bytes): Uint8Array => (typeof x === "string" ? enc.encode(x) : x);
    const fields = [b(clientId), b(oo.username ?? ""), b(password ?? ""), b(willTopic), b(willMsg), props, willProps];
    const all = new Uint8Array(fields.reduce((n, f) => n + f.length, 0));
    let o2 = 0;
    for (const f of fields) { all.set(f, o2); o2 += f.length; }
    const [base] = toScratch(all);
    let p = base;
    const at = (n: number): number => { const r = p; p += n; return r; };
    const [cn, un, pn] = [fields[0].length, fields[1].length, fields[2].length];
    const wt = fields[3], wm = fields[4];
    const ok = k.mgx_mqtt_login(conn._ptr, flags, keepalive,
      at(cn), cn, at(un), oo.username === undefined ? -1 : un, at(pn), password === undefined ? -1 : pn,
      at(wt.length), wt.length, at(wm.length), wm.length, at(props.length), props.length, at(willProps.length), willProps.length);
    if (!ok) {
      conn.close();
      throw new RangeError(`${op}: CONNECT refused by the core (field over 65535 bytes?)`);
    }
  } finally {
    mgr._leave(true);
  }
  return conn;
}

/** Manager.mqttListen(). */
export function mqttListen(mgr: Manager, url: string, o?: MqttListenOptions, maxPacketSize?: number): Connection {
  const oo = opts("mqttListen", o);
  const ws = mqttWsUrl("mqttListen", url);
  const conn = mgr.listen(ws?.target ?? transportUrl("mqttListen", url), { handler: oo.handler, http: false, tls: oo.tls });
  conn._protoHook = brokerHook; // inherited by the accepted connections (engine)
  // maxPacketSize: the broker's own limit (MqttBroker), below the manager's.
  if (!core().mgx_mqtt_init(conn._ptr, 4, Math.min(maxPacket(mgr), maxPacketSize ?? Infinity))) {
    conn.close();
    throw new MongooseError("ERR_NO_MEMORY", "mqttListen: the core could not set up MQTT");
  }
  if (ws !== undefined) {
    try {
      mqttWsInit("mqttListen", conn._ptr, ws, false);
    } catch (e) {
      conn.close();
      throw e;
    }
  }
  return conn;
}

/** Track acknowledgements for the session; resend what is owed once the broker accepted us. */
function clientHook(conn: Connection, ev: number, data: unknown): void {
  const s = states.get(conn);
  if (s === undefined) return;
  if (ev === MG_EV_MQTT_CMD) {
    const m = data as MqttMessage;
    const cmd = m.cmd;
    if (cmd === MQTT_CMD_PUBACK || cmd === MQTT_CMD_PUBCOMP) s.session._pending.delete(m.id);
    else if (cmd === MQTT_CMD_PUBREC) {
      const p = s.session._pending.get(m.id);
      if (p !== undefined) {
        if (m.ack >= 0x80) s.session._pending.delete(m.id);
        else p.released = true;
      }
    } else if (cmd === MQTT_CMD_CONNACK && m.ack === 0 && s.clean) s.session._pending.clear();
  } else if (ev === MG_EV_MQTT_OPEN && !s.clean) {
    for (const [id, p] of s.session._pending) {
      if (p.released) send(conn, "mqttPub", MQTT_CMD_PUBREL, id, [0]);
      else pub(conn, p.topic, p.data, p.flags | 8, id, p.props);
    }
  }
}

function pub(conn: Connection, topic: string, data: Bytes, flags: number, id: number, props: Uint8Array): boolean {
  const c = conn._live("mqttPub");
  const m = conn.manager;
  m._enter();
  try {
    const [tp, tn, dp, dn, pp, pn] = toScratch(topic, data, props);
    return core().mgx_mqtt_pub(c, tp, tn, dp, dn, flags, id, pp, pn) !== 0;
  } finally {
    m._leave(true);
  }
}

function send(conn: Connection, op: string, cmd: number, id: number, codes: number[], props?: MqttProperty[]): boolean {
  const c = conn._live(op);
  const pb = encodeProps(op, props);
  const m = conn.manager;
  m._enter();
  try {
    const [cp, cn, pp, pn] = toScratch(Uint8Array.from(codes), pb);
    return core().mgx_mqtt_send(c, cmd, id, cp, cn, pp, pn) !== 0;
  } finally {
    m._leave(true);
  }
}

function mqttOnly(conn: Connection, op: string): void {
  const c = conn._live(op);
  if (!core().mgx_mqtt_version(c)) throw new MongooseError("ERR_NOT_MQTT", `${op}: connection ${conn.id} does not speak MQTT`);
}

/**
 * A packet the core refused on a live MQTT connection is over the peer's
 * Maximum Packet Size (the broker's CONNACK, or on the broker side the
 * client's CONNECT), even after MQTT 5's optional properties were left out.
 */
function tooLarge(op: string): RangeError {
  return new RangeError(`${op}: the packet is larger than the peer's maximum packet size (or the core is out of memory)`);
}

/** false when `conn` is closing or draining (nothing goes out); otherwise the refusal was the size: throw. */
function refused(conn: Connection, op: string): false {
  if (conn.isClosing || conn.isDraining || !core().mgx_mqtt_version(conn._ptr)) return false;
  throw tooLarge(op);
}

/** Connection.mqttPub(): returns the packet id (0 for QoS 0). */
export function mqttPub(conn: Connection, topic: string, message: string | Uint8Array, o?: MqttPubOptions): number {
  const op = "mqttPub";
  conn._live(op);
  const oo = o === undefined ? NO_OPTS : opts(op, o);
  checkTopic(op, topic, false);
  const data = toBytes(`${op} message`, message);
  const q = oo.qos;
  const qos = q === 0 || q === undefined ? 0 : checkInt(op, "qos", q, 0, 2);
  const props = encodeProps(op, oo.properties);
  const flags = qos | (oo.retain ? 4 : 0);
  const s = state(conn);
  const id = qos > 0 ? s.session._id() : 0;
  if (!pub(conn, topic, data, flags, id, props)) {
    // Checked here, off the hot path: a refusal names its reason.
    mqttOnly(conn, op);
    refused(conn, op); // returns when closing or draining: nothing goes out
    return 0;
  }
  if (qos > 0 && !s.clean) {
    s.session._pending.set(id, { topic, data: typeof data === "string" ? data : Uint8Array.prototype.slice.call(data), flags, props, released: false }); // a copy: Buffer#slice() is a view
  }
  return id;
}

/** Connection.mqttSub() / mqttUnsub(): returns the packet id. */
export function mqttSub(conn: Connection, topic: string, o: MqttSubOptions | undefined, unsub: boolean): number {
  const op = unsub ? "mqttUnsub" : "mqttSub";
  mqttOnly(conn, op);
  const oo = opts(op, o);
  checkTopic(op, topic, true);
  const qos = checkInt(op, "qos", oo.qos ?? 0, 0, 2);
  const more = checkInt(op, "options", oo.options ?? 0, 0, 0x3c);
  const props = encodeProps(op, oo.properties);
  const id = state(conn).session._id();
  const c = conn._live(op);
  const m = conn.manager;
  m._enter();
  try {
    const [tp, tn, pp, pn] = toScratch(topic, props);
    if (!core().mgx_mqtt_sub(c, unsub ? 1 : 0, id, tp, tn, qos | (more & 0x3c), pp, pn)) return 0;
  } finally {
    m._leave(true);
  }
  return id;
}

/** Connections accepted by an mqttListen() listener (clients are in `states`). */
const brokerSide = new WeakSet<Connection>();

/** mqttListen's listener hook, inherited by what it accepts: remember them as MQTT. */
function brokerHook(conn: Connection, ev: number, _data: unknown): void {
  if (ev === MG_EV_OPEN && conn.isAccepted) brokerSide.add(conn);
}

/**
 * An MQTT connection whose peer may be gone (closed, or its MQTT state freed
 * at close): false, nothing to send, as the reference never raises there.
 * Another connection still throws (ERR_NOT_MQTT, or ConnectionClosedError).
 */
function mqttLive(conn: Connection, op: string): boolean {
  if (conn._ptr !== 0 && core().mgx_mqtt_version(conn._ptr)) return true;
  if (states.has(conn) || brokerSide.has(conn)) return false;
  mqttOnly(conn, op);
  return true;
}

/** PINGREQ / PINGRESP; false when the peer is gone. */
export function mqttPing(conn: Connection, pong: boolean): boolean {
  const op = pong ? "mqttPong" : "mqttPing";
  if (!mqttLive(conn, op)) return false;
  return send(conn, op, pong ? MQTT_CMD_PINGRESP : MQTT_CMD_PINGREQ, 0, []);
}

/** DISCONNECT (MQTT 5: with `reason`), then drain: the connection closes once it is out. False when the peer is gone. */
export function mqttDisconnect(conn: Connection, o?: MqttAckOptions): boolean {
  const op = "mqttDisconnect";
  const oo = opts(op, o);
  const reason = checkInt(op, "reason", oo.reason ?? 0, 0, 255);
  if (!mqttLive(conn, op)) return false;
  const ok = send(conn, op, MQTT_CMD_DISCONNECT, 0, [reason], oo.properties);
  conn.drain();
  return ok;
}

const ACKS: Record<string, number> = {
  mqttPuback: MQTT_CMD_PUBACK, mqttPubrec: MQTT_CMD_PUBREC, mqttPubrel: MQTT_CMD_PUBREL, mqttPubcomp: MQTT_CMD_PUBCOMP,
};

/** mqttPuback / mqttPubrec / mqttPubrel / mqttPubcomp. */
export function mqttAck(conn: Connection, op: "mqttPuback" | "mqttPubrec" | "mqttPubrel" | "mqttPubcomp", id: number, o?: MqttAckOptions): boolean {
  mqttOnly(conn, op);
  const oo = opts(op, o);
  checkInt(op, "packet id", id, 1, 65535);
  return send(conn, op, ACKS[op], id, [checkInt(op, "reason", oo.reason ?? 0, 0, 255)], oo.properties) || refused(conn, op);
}

/** CONNACK: `code` is the 3.1.1 return code or the MQTT 5 reason code. */
export function mqttConnack(conn: Connection, code = 0, o?: { sessionPresent?: boolean; properties?: MqttProperty[] }): boolean {
  const op = "mqttConnack";
  mqttOnly(conn, op);
  const oo = opts(op, o);
  checkInt(op, "code", code, 0, 255);
  return send(conn, op, MQTT_CMD_CONNACK, oo.sessionPresent ? 1 : 0, [code], oo.properties) || refused(conn, op);
}

/** SUBACK / UNSUBACK with one code per topic filter (UNSUBACK on 3.1.1 carries none). */
export function mqttSubackLike(conn: Connection, unsub: boolean, id: number, codes: number[], o?: { properties?: MqttProperty[] }): boolean {
  const op = unsub ? "mqttUnsuback" : "mqttSuback";
  mqttOnly(conn, op);
  checkInt(op, "packet id", id, 1, 65535);
  if (!Array.isArray(codes) || codes.length === 0) throw new TypeError(`${op}: codes must be a non-empty array, got ${describe(codes)}`);
  for (const c of codes) checkInt(op, "code", c, 0, 255);
  return send(conn, op, unsub ? MQTT_CMD_UNSUBACK : MQTT_CMD_SUBACK, id, codes, opts(op, o).properties) || refused(conn, op);
}

/** The connection's MQTT protocol level (4 or 5; 0 before a broker-side CONNECT or when not MQTT). */
export function mqttVersion(conn: Connection): number {
  return conn._ptr === 0 ? 0 : core().mgx_mqtt_version(conn._ptr);
}

// Graceful shutdown: every MQTT client connection says DISCONNECT (the
// broker then drops its will) before the manager closes.
shutdownProtocolHooks.push((mgr: Manager) => {
  for (const conn of mgr.connections) {
    if (conn._protoHook === clientHook && !conn.isClosing && !conn.isDraining) {
      try {
        mqttDisconnect(conn);
      } catch {
        // closed meanwhile
      }
    }
  }
});

/**
 * @internal The broker's PUBLISH (ts/mqtt/broker): its own packet id and DUP
 * flag (flags: qos | 4 retain | 8 dup), properties already encoded. False when
 * nothing went out: the connection is closing, or the packet is over the
 * client's Maximum Packet Size.
 */
export function mqttBrokerPub(conn: Connection, topic: string, data: Uint8Array, flags: number, id: number, props: Uint8Array): boolean {
  if (conn._ptr === 0 || conn.isClosing || conn.isDraining) return false;
  return pub(conn, topic, data, flags, id, props);
}

/** @internal Broker side, after CONNECT: hold the client to `secs` of keep alive (MqttBroker's cap or override). */
export function mqttBrokerKeepalive(conn: Connection, secs: number): boolean {
  return conn._ptr !== 0 && core().mgx_mqtt_keepalive(conn._ptr, secs) === 1;
}
