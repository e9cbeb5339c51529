// harness.ts: what every interoperability case uses. Two kinds of client:
// mqtt.js (the `mqtt` package) for ordinary traffic, and a raw client on a
// bare socket (mqtt-packet encodes and parses) where a case must see or
// withhold individual packets (no acknowledgement, a silent keep alive, a
// topic alias of 0). Every wait has a deadline; "nothing more arrives" is
// proven by a round trip through the broker (PINGREQ, or a marker message
// published after), never by a sleep.
import * as net from "node:net";
import mqtt from "mqtt";
import * as mp from "mqtt-packet";

export type Version = 4 | 5;

/** What one case gets: where the broker is and names of its own. */
export interface Ctx {
  url: string;
  host: string;
  port: number;
  version: Version;
  /** Unique per case run: every topic of the case starts with it, so cases never see each other's retained messages. */
  prefix: string;
  /** Paho's five topics and seven filters, under `prefix`. */
  topics: string[];
  wild: string[];
  /** A filter the broker is configured to refuse (Paho: "nosubscribe" for 3.1.1, "test/nosubscribe" for 5). */
  nosubscribe: string;
  /** Client ids unique to this run ("myclientid" / "myclientid2" in Paho). */
  idA: string;
  idB: string;
  /** Everything opened through the context is closed when the case ends. */
  closers: (() => void)[];
  /** A line of detail for the report (what the broker chose where the spec allows a choice). */
  note(line: string): void;
}

/** One case: the name is Paho's test name. */
export interface InteropCase {
  name: string;
  run(ctx: Ctx): Promise<void>;
}

export class CaseFailure extends Error {}

/** Fail the case with `what` unless `cond` holds. */
export function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new CaseFailure(what);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `cond()` holds; fail naming `what` after `ms`. */
export async function until(cond: () => boolean, what: string | (() => string), ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new CaseFailure(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`);
    await sleep(5);
  }
}

/** A received PUBLISH as a case sees it. */
export interface Msg {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties: Record<string, unknown>;
}

let syncSeq = 0;

/** An mqtt.js client that records what it gets. */
export class Client {
  readonly messages: Msg[] = [];
  readonly disconnects: mqtt.IDisconnectPacket[] = [];
  connack!: mqtt.IConnackPacket;
  private syncTopic?: string;
  private synced = new Set<string>();

  private constructor(readonly ctx: Ctx, readonly mq: mqtt.MqttClient) {
    mq.on("message", (topic, payload, packet) => {
      if (this.syncTopic && topic === this.syncTopic) { this.synced.add(payload.toString()); return; }
      this.messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain, properties: { ...(packet.properties ?? {}) } });
    });
    mq.on("disconnect", (p) => this.disconnects.push(p));
  }

  /** Connect and wait for CONNACK; an error or refusal throws (CaseFailure carries the reason). */
  static async connect(ctx: Ctx, clientId: string, opts: mqtt.IClientOptions = {}): Promise<Client> {
    const mq = mqtt.connect(ctx.url, {
      protocolVersion: ctx.version, clientId, reconnectPeriod: 0, connectTimeout: 5000, keepalive: 60, ...opts,
    });
    const c = new Client(ctx, mq);
    ctx.closers.push(() => mq.end(true));
    c.connack = await new Promise<mqtt.IConnackPacket>((resolve, reject) => {
      mq.once("connect", resolve);
      mq.once("error", (e) => reject(new CaseFailure(`connect ${clientId}: ${e.message}`)));
      mq.once("close", () => reject(new CaseFailure(`connect ${clientId}: closed before CONNACK`)));
    });
    return c;
  }

  async subscribe(filter: string | string[], opts: mqtt.IClientSubscribeOptions = { qos: 2 }): Promise<mqtt.ISubscriptionGrant[]> {
    return this.mq.subscribeAsync(filter, opts);
  }

  async publish(topic: string, payload: string | Buffer, opts: mqtt.IClientPublishOptions = {}): Promise<void> {
    await this.mq.publishAsync(topic, payload, opts);
  }

  /** Wait until `n` messages have arrived. */
  async waitMessages(n: number, what: string, ms = 5000): Promise<void> {
    await until(() => this.messages.length >= n, `${n} message(s): ${what} (got ${this.messages.length})`, ms);
  }

  /**
   * A round trip through the broker: a marker published by this client to
   * itself comes back after anything the broker routed to it before (one
   * connection, in order), so "nothing else arrived" holds once the marker
   * is back. QoS 2, because mqtt.js reports a QoS 2 message only at PUBREL:
   * the marker's PUBREL follows every earlier one.
   */
  async sync(ms = 5000): Promise<void> {
    if (!this.syncTopic) {
      this.syncTopic = `interop-sync/${this.ctx.prefix.replace(/\/$/, "")}/${this.mq.options.clientId}`;
      await this.mq.subscribeAsync(this.syncTopic, { qos: 2 });
    }
    const mark = String(++syncSeq);
    await this.mq.publishAsync(this.syncTopic, mark, { qos: 2 });
    await until(() => this.synced.has(mark), "the sync marker back through the broker", ms);
  }

  /** A clean DISCONNECT (MQTT 5: with properties). */
  async disconnect(properties?: mqtt.IDisconnectPacket["properties"]): Promise<void> {
    await new Promise<void>((resolve) => this.mq.end(false, properties ? { properties } : {}, () => resolve()));
  }
}

type Packet = mp.Packet & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A client on a bare socket: sends the packets a case builds, keeps every packet received. */
export class RawClient {
  readonly packets: Packet[] = [];
  private cursor = 0;
  closed = false;
  /** Acknowledge as a well-behaved client would (PUBACK, PUBREC/PUBREL/PUBCOMP), for cases about something else. */
  autoAck = false;
  private constructor(readonly ctx: Ctx, readonly sock: net.Socket) {
    const parser = mp.parser({ protocolVersion: ctx.version });
    parser.on("packet", (p: Packet) => {
      this.packets.push(p);
      if (!this.autoAck) return;
      if (p.cmd === "publish" && p.qos === 1) this.send({ cmd: "puback", messageId: p.messageId });
      if (p.cmd === "publish" && p.qos === 2) this.send({ cmd: "pubrec", messageId: p.messageId });
      if (p.cmd === "pubrec") this.send({ cmd: "pubrel", messageId: p.messageId });
      if (p.cmd === "pubrel") this.send({ cmd: "pubcomp", messageId: p.messageId });
    });
    parser.on("error", (e: Error) => this.packets.push({ cmd: "parse-error", message: e.message } as unknown as Packet));
    sock.on("data", (d) => parser.parse(d));
    sock.on("close", () => { this.closed = true; });
    sock.on("error", () => { /* a reset is seen as `closed` */ });
  }

  static async open(ctx: Ctx): Promise<RawClient> {
    const sock = net.connect(ctx.port, ctx.host);
    sock.setNoDelay(true);
    ctx.closers.push(() => sock.destroy());
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", (e) => reject(new CaseFailure(`tcp connect: ${e.message}`)));
    });
    return new RawClient(ctx, sock);
  }

  /** Open a socket, send CONNECT (fields merged over defaults), return CONNACK. */
  static async connect(ctx: Ctx, fields: Record<string, unknown>): Promise<{ raw: RawClient; connack: Packet }> {
    const raw = await RawClient.open(ctx);
    raw.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: ctx.version, clean: true, keepalive: 60, ...fields });
    const connack = await raw.next((p) => p.cmd === "connack", "CONNACK");
    return { raw, connack };
  }

  /** Bytes as they are (a packet mqtt-packet refuses to build). */
  sendBytes(b: Uint8Array): void {
    this.sock.write(b);
  }

  send(packet: Record<string, unknown>): void {
    this.sock.write(mp.generate(packet as unknown as mp.Packet, { protocolVersion: this.ctx.version }));
  }

  /** The next packet (after those already taken) that matches; others are skipped but stay in `packets`. */
  async next(match: (p: Packet) => boolean, what: string, ms = 5000): Promise<Packet> {
    let found: Packet | undefined;
    await until(() => {
      for (; this.cursor < this.packets.length; this.cursor++) {
        if (match(this.packets[this.cursor])) { found = this.packets[this.cursor++]; return true; }
      }
      if (this.closed) throw new CaseFailure(`connection closed while waiting for ${what}; got ${this.describe()}`);
      return false;
    }, () => `${what}; got ${this.describe()}`, ms);
    return found!;
  }

  /** PINGREQ, then wait for PINGRESP: whatever the broker sent before is in `packets` by then. */
  async ping(ms = 5000): Promise<void> {
    this.send({ cmd: "pingreq" });
    await this.next((p) => p.cmd === "pingresp", "PINGRESP", ms);
  }

  /** PUBLISH packets received so far. */
  publishes(): Packet[] {
    return this.packets.filter((p) => p.cmd === "publish");
  }

  async waitClosed(what: string, ms = 5000): Promise<void> {
    await until(() => this.closed, what, ms);
  }

  /** Packets received so far, for failure messages. */
  describe(): string {
    const shown = this.packets.length > 24 ? [...this.packets.slice(0, 12), ...this.packets.slice(-12)] : this.packets;
    const cut = this.packets.length > 24 ? ` (${this.packets.length} packets, the first and last 12 shown)` : "";
    return `[${shown.map((p) => `${p.cmd}${p.messageId ? `#${p.messageId}` : ""}${p.reasonCode !== undefined ? `(0x${Number(p.reasonCode).toString(16)})` : ""}${p.returnCode !== undefined ? `(rc ${p.returnCode})` : ""}`).join(", ")}]${cut}`;
  }

  end(): void {
    this.sock.destroy();
  }
}
