// mqtt-message.ts: MqttMessage, a lazy view over the core's struct
// mg_mqtt_message (wasm/src/mqtt.h), and the MQTT 5 property codec. The view
// expires when the handler call returns (the core reuses the memory).
import { u8, u32 } from "../core/loader";
import { copyBytes, readUtf8 } from "../core/core";
import { describe, TypeError, RangeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import { MessageView } from "../core/message-view";

/** Property value type: one byte (mqtt.h MQTT_PROP_TYPE_BYTE). */
export const MQTT_PROP_TYPE_BYTE = 0;
/** Property value type: UTF-8 string. */
export const MQTT_PROP_TYPE_STRING = 1;
/** Property value type: UTF-8 string pair (user property). */
export const MQTT_PROP_TYPE_STRING_PAIR = 2;
/** Property value type: binary data. */
export const MQTT_PROP_TYPE_BINARY_DATA = 3;
/** Property value type: variable byte integer. */
export const MQTT_PROP_TYPE_VARIABLE_INT = 4;
/** Property value type: four-byte integer. */
export const MQTT_PROP_TYPE_INT = 5;
/** Property value type: two-byte integer. */
export const MQTT_PROP_TYPE_SHORT = 6;

/** MQTT packet types (MqttMessage.cmd). */
export const MQTT_CMD_CONNECT = 1;
/** CONNACK. */
export const MQTT_CMD_CONNACK = 2;
/** PUBLISH. */
export const MQTT_CMD_PUBLISH = 3;
/** PUBACK. */
export const MQTT_CMD_PUBACK = 4;
/** PUBREC. */
export const MQTT_CMD_PUBREC = 5;
/** PUBREL. */
export const MQTT_CMD_PUBREL = 6;
/** PUBCOMP. */
export const MQTT_CMD_PUBCOMP = 7;
/** SUBSCRIBE. */
export const MQTT_CMD_SUBSCRIBE = 8;
/** SUBACK. */
export const MQTT_CMD_SUBACK = 9;
/** UNSUBSCRIBE. */
export const MQTT_CMD_UNSUBSCRIBE = 10;
/** UNSUBACK. */
export const MQTT_CMD_UNSUBACK = 11;
/** PINGREQ. */
export const MQTT_CMD_PINGREQ = 12;
/** PINGRESP. */
export const MQTT_CMD_PINGRESP = 13;
/** DISCONNECT. */
export const MQTT_CMD_DISCONNECT = 14;
/** AUTH (MQTT 5). */
export const MQTT_CMD_AUTH = 15;

/** An MQTT 5 property: `id` (0x01..0x2A), its value type and value. */
export interface MqttProperty {
  /** Property identifier (0x26 user property, 0x23 topic alias, ...). */
  id: number;
  /** One of the MQTT_PROP_TYPE_* constants (filled in when read; optional when sending). */
  type?: number;
  /** Number for integer types, string, [key, value] for a user property, Uint8Array for binary data. */
  value: number | string | Uint8Array | [string, string];
}

/** Value types by property id (MQTT 5, section 2.2.2.2). */
const PROP_TYPES: Record<number, number> = {
  0x01: 0, 0x17: 0, 0x19: 0, 0x24: 0, 0x25: 0, 0x28: 0, 0x29: 0, 0x2a: 0,
  0x02: 5, 0x11: 5, 0x18: 5, 0x27: 5,
  0x03: 1, 0x08: 1, 0x12: 1, 0x15: 1, 0x1a: 1, 0x1c: 1, 0x1f: 1,
  0x09: 3, 0x16: 3,
  0x0b: 4,
  0x13: 6, 0x21: 6, 0x22: 6, 0x23: 6,
  0x26: 2,
};

/** The MQTT_PROP_TYPE_* of property `id`, or undefined for an unknown id. */
export function mqttPropType(id: number): number | undefined {
  return PROP_TYPES[id];
}

const encoder = new TextEncoder();

function varint(v: number, out: number[]): void {
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v > 0) b |= 0x80;
    out.push(b);
  } while (v > 0);
}

function lstr(what: string, s: string | Uint8Array, out: number[]): void {
  const b = typeof s === "string" ? encoder.encode(s) : s;
  if (b.length > 65535) throw new RangeError(`${what}: longer than 65535 bytes`);
  out.push(b.length >> 8, b.length & 255);
  for (const x of b) out.push(x);
}

/** Encode `props` (checked: TypeError/RangeError naming the bad one) into a property block. */
const NO_PROPS = new Uint8Array(0);

export function encodeProps(what: string, props: readonly MqttProperty[] | undefined): Uint8Array {
  if (props === undefined || (Array.isArray(props) && props.length === 0)) return NO_PROPS;
  if (!Array.isArray(props)) throw new TypeError(`${what}: properties must be an array, got ${describe(props)}`);
  const out: number[] = [];
  for (const p of props as MqttProperty[]) {
    if (p === null || typeof p !== "object") throw new TypeError(`${what}: bad property ${describe(p)}`);
    const type = PROP_TYPES[p.id];
    if (type === undefined) throw new RangeError(`${what}: unknown property id ${describe(p.id)}`);
    const v = p.value;
    const int = (max: number): number => {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > max) {
        throw new RangeError(`${what}: property 0x${p.id.toString(16)} needs an integer in 0..${max}, got ${describe(v)}`);
      }
      return v;
    };
    out.push(p.id);
    if (type === MQTT_PROP_TYPE_BYTE) out.push(int(255));
    else if (type === MQTT_PROP_TYPE_SHORT) { const n = int(65535); out.push(n >> 8, n & 255); }
    else if (type === MQTT_PROP_TYPE_INT) { const n = int(0xffffffff); out.push(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255); }
    else if (type === MQTT_PROP_TYPE_VARIABLE_INT) varint(int(268435455), out);
    else if (type === MQTT_PROP_TYPE_STRING) {
      if (typeof v !== "string") throw new TypeError(`${what}: property 0x${p.id.toString(16)} needs a string, got ${describe(v)}`);
      lstr(what, v, out);
    } else if (type === MQTT_PROP_TYPE_BINARY_DATA) {
      if (!(v instanceof Uint8Array) && typeof v !== "string") throw new TypeError(`${what}: property 0x${p.id.toString(16)} needs bytes, got ${describe(v)}`);
      lstr(what, v, out);
    } else {
      if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "string" || typeof v[1] !== "string") {
        throw new TypeError(`${what}: a user property needs [key, value] strings, got ${describe(v)}`);
      }
      lstr(what, v[0], out);
      lstr(what, v[1], out);
    }
  }
  return Uint8Array.from(out);
}

/** Decode a property block the core has validated. */
export function decodeProps(b: Uint8Array): MqttProperty[] {
  const out: MqttProperty[] = [];
  const str = (o: number): [string, number] => {
    const n = (b[o] << 8) | b[o + 1];
    return [new TextDecoder().decode(b.subarray(o + 2, o + 2 + n)), o + 2 + n];
  };
  let o = 0;
  while (o < b.length) {
    const id = b[o++];
    const type = PROP_TYPES[id];
    let value: MqttProperty["value"];
    if (type === MQTT_PROP_TYPE_BYTE) value = b[o++];
    else if (type === MQTT_PROP_TYPE_SHORT) { value = (b[o] << 8) | b[o + 1]; o += 2; }
    else if (type === MQTT_PROP_TYPE_INT) { value = ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3]; o += 4; }
    else if (type === MQTT_PROP_TYPE_VARIABLE_INT) {
      let v = 0, mul = 1, x: number;
      do { x = b[o++]; v += (x & 0x7f) * mul; mul *= 128; } while (x & 0x80);
      value = v;
    } else if (type === MQTT_PROP_TYPE_STRING) [value, o] = str(o);
    else if (type === MQTT_PROP_TYPE_BINARY_DATA) {
      const n = (b[o] << 8) | b[o + 1];
      value = b.slice(o + 2, o + 2 + n);
      o += 2 + n;
    } else if (type === MQTT_PROP_TYPE_STRING_PAIR) {
      let k: string, v: string;
      [k, o] = str(o);
      [v, o] = str(o);
      value = [k, v];
    } else break; // cannot happen: the core rejects unknown ids
    out.push({ id, type, value });
  }
  return out;
}

// struct mg_mqtt_message offsets (wasm32).
const OFF_TOPIC = 0;
const OFF_DATA = 8;
const OFF_DGRAM = 16;
const OFF_ID = 24;
const OFF_CMD = 26;
const OFF_QOS = 27;
const OFF_ACK = 28;
const OFF_FLAGS = 29;
const OFF_VERSION = 30;
const OFF_CONNECT_FLAGS = 31;
const OFF_PROPS = 32;
const OFF_CLIENT_ID = 40;
const OFF_USER = 48;
const OFF_PASS = 56;
const OFF_KEEPALIVE = 64;
const OFF_WILL_PROPS = 68;

/** What a broker reads from CONNECT (MqttMessage.connect()). */
export interface MqttConnectInfo {
  /** Client identifier ("" when the client asks the broker to assign one). */
  clientId: string;
  /** User name, when the client sent one. */
  username?: string;
  /** Password bytes, when the client sent them. */
  password?: Uint8Array;
  /** Clean session (3.1.1) / clean start (5). */
  cleanSession: boolean;
  /** Keepalive in seconds (0 = off). */
  keepalive: number;
  /** Protocol level: 4 (3.1.1) or 5. */
  version: 4 | 5;
  /** true for a mosquitto bridge (protocol level with 0x80, `try_private`): it expects No Local and Retain As Published. */
  bridge?: boolean;
  /** The last will, if any: published by the broker when the client vanishes without DISCONNECT. */
  will?: { topic: string; message: Uint8Array; qos: number; retain: boolean; properties: MqttProperty[] };
}

/** One topic filter of SUBSCRIBE / UNSUBSCRIBE (MqttMessage.topics()). */
export interface MqttTopicFilter {
  /** The topic filter (may hold `+` and `#`). */
  topic: string;
  /** Requested QoS (SUBSCRIBE); 0 for UNSUBSCRIBE. */
  qos: number;
  /** The whole SUBSCRIBE options byte (v5: no-local 0x04, retain-as-published 0x08, retain handling 0x30). */
  options: number;
}

/** A parsed MQTT packet (MG_EV_MQTT_MSG, MG_EV_MQTT_CMD), valid only during the handler call. */
export class MqttMessage extends MessageView {

  /** @internal Created for MG_EV_MQTT_CMD / MG_EV_MQTT_MSG. */
  constructor(ptr: number) {
    super(ptr, "MqttMessage");
  }



  #p(): number {
    return this._pointer;
  }

  #str(off: number): [number, number] {
    const i = (this.#p() + off) >>> 2;
    const w = u32();
    return [w[i], w[i + 1]];
  }

  #byte(off: number): number {
    return u8()[this.#p() + off];
  }

  /** PUBLISH topic (a received topic alias is resolved); CONNECT: the will topic. */
  get topic(): string {
    const [p, n] = this.#str(OFF_TOPIC);
    return readUtf8(p, n);
  }

  /** PUBLISH payload (a copy); CONNECT: the will message. */
  get data(): Uint8Array {
    const [p, n] = this.#str(OFF_DATA);
    return copyBytes(p, n);
  }

  /** The payload as UTF-8 text. */
  get text(): string {
    const [p, n] = this.#str(OFF_DATA);
    return readUtf8(p, n);
  }

  /** The whole packet as received (a copy). */
  get dgram(): Uint8Array {
    const [p, n] = this.#str(OFF_DGRAM);
    return copyBytes(p, n);
  }

  /** Packet identifier (0 when the packet has none). */
  get id(): number {
    const p = this.#p() + OFF_ID;
    const m = u8();
    return m[p] | (m[p + 1] << 8);
  }

  /** Packet type, MQTT_CMD_*. */
  get cmd(): number { return this.#byte(OFF_CMD); }
  /** PUBLISH QoS; CONNECT: the will QoS. */
  get qos(): number { return this.#byte(OFF_QOS); }
  /** CONNACK return/reason code; ack and DISCONNECT reason code; SUBACK/UNSUBACK: the first code. */
  get ack(): number { return this.#byte(OFF_ACK); }
  /** PUBLISH retain flag. */
  get retain(): boolean { return (this.#byte(OFF_FLAGS) & 1) !== 0; }
  /** PUBLISH duplicate flag (a retransmission). */
  get dup(): boolean { return (this.#byte(OFF_FLAGS) & 8) !== 0; }
  /** Protocol version of the packet: 4 (3.1.1) or 5. */
  get version(): number { return this.#byte(OFF_VERSION); }
  /** CONNACK: the broker kept a session for this client. */
  get sessionPresent(): boolean { return this.cmd === MQTT_CMD_CONNACK && (this.#byte(OFF_CONNECT_FLAGS) & 1) !== 0; }

  #props(off: number): MqttProperty[] {
    const i = (this.#p() + off) >>> 2;
    const w = u32();
    const [dg] = this.#str(OFF_DGRAM);
    if (w[i + 1] === 0) return [];
    return decodeProps(u8().subarray(dg + w[i], dg + w[i] + w[i + 1]));
  }

  /** MQTT 5 properties of the packet ([] for 3.1.1), each with its MQTT_PROP_TYPE_*. */
  properties(): MqttProperty[] {
    return this.#props(OFF_PROPS);
  }

  /** SUBACK / UNSUBACK reason codes, one per topic filter. */
  codes(): number[] {
    const c = this.cmd;
    if (c !== MQTT_CMD_SUBACK && c !== MQTT_CMD_UNSUBACK) return [];
    return [...this.data];
  }

  /** SUBSCRIBE / UNSUBSCRIBE topic filters. */
  topics(): MqttTopicFilter[] {
    const c = this.cmd;
    if (c !== MQTT_CMD_SUBSCRIBE && c !== MQTT_CMD_UNSUBSCRIBE) return [];
    const b = this.data;
    const out: MqttTopicFilter[] = [];
    for (let o = 0; o + 2 <= b.length;) {
      const n = (b[o] << 8) | b[o + 1];
      const topic = new TextDecoder().decode(b.subarray(o + 2, o + 2 + n));
      o += 2 + n;
      const options = c === MQTT_CMD_SUBSCRIBE ? b[o++] : 0;
      out.push({ topic, qos: options & 3, options });
    }
    return out;
  }

  /** CONNECT fields (broker side); undefined for other packets. */
  connect(): MqttConnectInfo | undefined {
    if (this.cmd !== MQTT_CMD_CONNECT) return undefined;
    const f = this.#byte(OFF_CONNECT_FLAGS);
    const [cp, cn] = this.#str(OFF_CLIENT_ID);
    const [up, un] = this.#str(OFF_USER);
    const [pp, pn] = this.#str(OFF_PASS);
    const k = this.#p() + OFF_KEEPALIVE;
    const m = u8();
    const info: MqttConnectInfo = {
      clientId: readUtf8(cp, cn),
      cleanSession: (f & 2) !== 0,
      keepalive: m[k] | (m[k + 1] << 8),
      version: this.version === 5 ? 5 : 4,
    };
    if (m[k + 2] !== 0) info.bridge = true; // offset 66, after the keepalive
    if (f & 0x80) info.username = readUtf8(up, un);
    if (f & 0x40) info.password = copyBytes(pp, pn);
    if (f & 4) {
      info.will = { topic: this.topic, message: this.data, qos: (f >> 3) & 3, retain: (f & 0x20) !== 0, properties: this.#props(OFF_WILL_PROPS) };
    }
    return info;
  }

  /** `MqttMessage(PUBLISH a/b qos=1 id=3 5 bytes)`. */
  override toString(): string {
    if (this._ptr === 0) return "MqttMessage(expired)";
    const names = ["?", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE",
      "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"];
    const c = this.cmd;
    if (c === MQTT_CMD_PUBLISH) return `MqttMessage(PUBLISH ${this.topic} qos=${this.qos} id=${this.id} ${this.#str(OFF_DATA)[1]} bytes)`;
    return `MqttMessage(${names[c] ?? c}${this.id ? ` id=${this.id}` : ""})`;
  }
}
