// mqtt-raw.ts: a byte-level MQTT client over node:net for what real clients
// will not do on demand (leave a QoS 1/2 delivery unacknowledged, stop after
// PUBREC, flood without waiting, send an invalid filter), with a packet
// parser and waits that always have a deadline.
import * as net from "node:net";

/** A packet as read: type (1..15), the fixed-header flags, the body. */
export interface RawPacket { type: number; flags: number; body: Buffer }

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A UTF-8 string with its 2-byte length. */
export function str(s: string | Buffer): Buffer {
  const b = typeof s === "string" ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b]);
}

/** A whole packet from its first byte and body. */
export function packet(first: number, ...parts: (Buffer | number[])[]): Buffer {
  const body = Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
  return Buffer.concat([Buffer.from([first, ...varint(body.length)]), body]);
}

/** MQTT 5 property helpers: each returns the encoded property. */
export const prop = {
  byte: (id: number, v: number): Buffer => Buffer.from([id, v]),
  u16: (id: number, v: number): Buffer => Buffer.from([id, v >> 8, v & 255]),
  u32: (id: number, v: number): Buffer => { const b = Buffer.alloc(5); b[0] = id; b.writeUInt32BE(v >>> 0, 1); return b; },
  varint: (id: number, v: number): Buffer => Buffer.from([id, ...varint(v)]),
  str: (id: number, v: string): Buffer => Buffer.concat([Buffer.from([id]), str(v)]),
};

/** A property block (its length, then the properties). */
export function props(...p: Buffer[]): Buffer {
  const b = Buffer.concat(p);
  return Buffer.concat([Buffer.from(varint(b.length)), b]);
}

export interface ConnectOpts {
  version?: 4 | 5; clientId?: string; clean?: boolean; keepalive?: number; props?: Buffer;
  will?: { topic: string; message: string; qos?: number; retain?: boolean; props?: Buffer };
  username?: string; password?: string;
}

export function connectPacket(o: ConnectOpts = {}): Buffer {
  const v = o.version ?? 4;
  let flags = o.clean === false ? 0 : 2;
  if (o.will) flags |= 4 | ((o.will.qos ?? 0) << 3) | (o.will.retain ? 0x20 : 0);
  if (o.username !== undefined) flags |= 0x80;
  if (o.password !== undefined) flags |= 0x40;
  const parts: Buffer[] = [str("MQTT"), Buffer.from([v, flags, 0, o.keepalive ?? 60])];
  if (v === 5) parts.push(o.props ?? props());
  parts.push(str(o.clientId ?? ""));
  if (o.will) {
    if (v === 5) parts.push(o.will.props ?? props());
    parts.push(str(o.will.topic), str(o.will.message));
  }
  if (o.username !== undefined) parts.push(str(o.username));
  if (o.password !== undefined) parts.push(str(o.password));
  return packet(0x10, ...parts);
}

export function subscribePacket(id: number, filters: [string, number][], version: 4 | 5 = 4, p?: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([id >> 8, id & 255])];
  if (version === 5) parts.push(p ?? props());
  for (const [f, o] of filters) parts.push(str(f), Buffer.from([o]));
  return packet(0x82, ...parts);
}

export function publishPacket(topic: string, payload: string | Buffer, o: { qos?: number; id?: number; retain?: boolean; dup?: boolean; version?: 4 | 5; props?: Buffer } = {}): Buffer {
  const qos = o.qos ?? 0;
  const parts: Buffer[] = [str(topic)];
  if (qos > 0) parts.push(Buffer.from([(o.id ?? 1) >> 8, (o.id ?? 1) & 255]));
  if (o.version === 5) parts.push(o.props ?? props());
  parts.push(Buffer.from(payload));
  return packet(0x30 | (qos << 1) | (o.retain ? 1 : 0) | (o.dup ? 8 : 0), ...parts);
}

/** PUBACK (4), PUBREC (5), PUBREL (6), PUBCOMP (7). */
export function ackPacket(type: 4 | 5 | 6 | 7, id: number): Buffer {
  return packet((type << 4) | (type === 6 ? 2 : 0), [id >> 8, id & 255]);
}

/** A parsed PUBLISH. */
export interface RawPublish { topic: string; id: number; qos: number; dup: boolean; retain: boolean; payload: string; props: Buffer }

function readVarint(b: Buffer, o: number): [number, number] {
  let n = 0, mul = 1, i = o;
  for (;;) {
    const x = b[i++];
    n += (x & 127) * mul;
    mul *= 128;
    if ((x & 128) === 0) return [n, i];
  }
}

export function parsePublish(p: RawPacket, version: 4 | 5): RawPublish {
  const qos = (p.flags >> 1) & 3;
  const tl = p.body.readUInt16BE(0);
  const topic = p.body.subarray(2, 2 + tl).toString();
  let o = 2 + tl, id = 0;
  if (qos > 0) { id = p.body.readUInt16BE(o); o += 2; }
  let pr: Buffer = Buffer.alloc(0);
  if (version === 5) {
    const [n, at] = readVarint(p.body, o);
    pr = p.body.subarray(at, at + n);
    o = at + n;
  }
  return { topic, id, qos, dup: (p.flags & 8) !== 0, retain: (p.flags & 1) !== 0, payload: p.body.subarray(o).toString(), props: pr };
}

/** Values of property `id` (variable byte integers or 4-byte ints as numbers) in a property block. */
export function propValues(block: Buffer, id: number): number[] {
  const out: number[] = [];
  const sizes: Record<number, number> = { 0x01: 1, 0x02: 4, 0x11: 4, 0x13: 2, 0x18: 4, 0x21: 2, 0x22: 2, 0x23: 2, 0x24: 1, 0x25: 1, 0x27: 4, 0x28: 1, 0x29: 1, 0x2a: 1 };
  let o = 0;
  while (o < block.length) {
    const pid = block[o++];
    let v: number;
    if (pid === 0x0b) { [v, o] = readVarint(block, o); }
    else if (sizes[pid] !== undefined) { v = block.readUIntBE(o, sizes[pid]); o += sizes[pid]; }
    else if (pid === 0x26) { o += 2 + block.readUInt16BE(o); o += 2 + block.readUInt16BE(o); continue; }
    else { o += 2 + block.readUInt16BE(o); continue; } // strings and binary data
    if (pid === id) out.push(v);
  }
  return out;
}

/** A raw MQTT connection to 127.0.0.1:port. */
export class RawMqtt {
  readonly packets: RawPacket[] = [];
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #buf = Buffer.alloc(0);
  #waiters: (() => void)[] = [];
  isClosed = false;

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.on("data", (d) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      for (;;) {
        if (this.#buf.length < 2) break;
        const [n, at] = readVarint(this.#buf, 1);
        if (this.#buf.length < at + n) break;
        this.packets.push({ type: this.#buf[0] >> 4, flags: this.#buf[0] & 15, body: Buffer.from(this.#buf.subarray(at, at + n)) });
        this.#buf = this.#buf.subarray(at + n);
      }
      this.#wake();
    });
    this.socket.on("error", () => undefined);
    this.closed = new Promise((r) => this.socket.once("close", () => { this.isClosed = true; this.#wake(); r(); }));
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  send(...b: Buffer[]): void {
    for (const x of b) this.socket.write(x);
  }

  /** The first packet (from index `from`) for which `pred` holds; rejects after `ms` or when the socket closes first. */
  async next(pred: (p: RawPacket) => boolean, ms = 5000, from = 0): Promise<RawPacket> {
    const deadline = Date.now() + ms;
    for (;;) {
      const p = this.packets.slice(from).find(pred);
      if (p) return p;
      if (this.isClosed) throw new Error(`closed before the packet came; got types ${this.packets.map((x) => x.type).join(",")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such packet within ${ms} ms; got types ${this.packets.map((x) => x.type).join(",")}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  /** Wait until `pred` holds of the packets (e.g. a count), with a deadline. */
  async until(pred: (ps: RawPacket[]) => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this.packets)) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms; got types ${this.packets.map((x) => x.type).join(",")}`);
      if (this.isClosed) throw new Error("closed before the condition held");
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.#waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  /** CONNECT and wait for the CONNACK: returns [session present, code, properties]. */
  async connect(o: ConnectOpts = {}): Promise<{ present: boolean; code: number; props: Buffer }> {
    await new Promise<void>((r, j) => { if (this.socket.readyState === "open") r(); else { this.socket.once("connect", () => r()); this.socket.once("error", j); } });
    this.send(connectPacket(o));
    const p = await this.next((x) => x.type === 2);
    let pr: Buffer = Buffer.alloc(0);
    if ((o.version ?? 4) === 5 && p.body.length > 2) {
      const [n, at] = readVarint(p.body, 2);
      pr = p.body.subarray(at, at + n);
    }
    return { present: (p.body[0] & 1) === 1, code: p.body[1], props: pr };
  }

  publishes(version: 4 | 5 = 4): RawPublish[] {
    return this.packets.filter((p) => p.type === 3).map((p) => parsePublish(p, version));
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.closed;
  }
}
