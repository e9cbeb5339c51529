// endpoint.ts: one side of a bridge reached as an MQTT client (always the
// remote; the local one too when it is given as a URL). It keeps the
// connection up (reconnect with capped exponential backoff and jitter, as
// mosquitto's restart_timeout), subscribes again after every CONNACK, and
// holds the QoS 1/2 messages it is asked to publish while it is down, in a
// bounded queue. At most a window of QoS 1/2 messages is unacknowledged at a
// time (the bridge's maxInflight, and the broker's MQTT 5 Receive Maximum);
// the rest waits in the same queue. Unacknowledged ones live in an
// MqttSession, which the client facade resends after the next CONNACK; on a
// clean session they go back to the front of the queue instead.
import type { Connection } from "../../core/connection";
import type { Manager } from "../../core/manager";
import type { Timer } from "../../core/timer";
import type { TlsOpts } from "../../tls/tls";
import { MG_EV_CLOSE, MG_EV_ERROR, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN } from "../../core/constants";
import { MqttSession } from "../mqtt";
import { MQTT_CMD_CONNACK, MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBREC, MQTT_CMD_UNSUBACK, type MqttMessage, type MqttProperty } from "../mqtt-message";

/** A message crossing the bridge. */
export interface BridgeMessage { topic: string; payload: Uint8Array; qos: 0 | 1 | 2; retain: boolean; properties: MqttProperty[] }

/** How the bridge reaches one broker as a client. */
export interface EndpointConfig {
  url: string;
  clientId: string;
  username?: string;
  password?: string | Uint8Array;
  version: 4 | 5;
  cleanSession: boolean;
  keepalive: number;
  tls?: TlsOpts;
  will?: { topic: string; message: string; qos: 1; retain: true };
}

/** What the bridge hears from an endpoint. */
export interface EndpointEvents {
  message(m: BridgeMessage): void;
  open(): void;
  down(reason: string): void;
  reconnecting(delayMs: number, attempt: number): void;
}

/** Properties that belong to one connection and are not forwarded (topic alias, subscription identifier). */
const HOP_PROPS = new Set([0x23, 0x0b]);

/** A subscription the endpoint keeps. */
export interface Sub { filter: string; qos: 0 | 1 | 2; noLocal: boolean }

export class ClientEndpoint {
  conn: Connection | undefined;
  open = false;
  readonly session = new MqttSession();
  readonly queue: BridgeMessage[] = [];
  dropped = 0;
  connects = 0;
  lastError = "";
  #closing = false;
  #attempt = 0;
  #timer: Timer | undefined;
  #closedWaiters: (() => void)[] = [];
  /** QoS 1/2 messages sent and not acknowledged, by packet id. */
  readonly #inflight = new Map<number, BridgeMessage>();
  /** How many may be: maxInflight, or less when the broker's Receive Maximum says so. */
  #window: number;
  /** UNSUBSCRIBEs of unsubscribeAll() not answered yet. */
  #unsubsPending = 0;

  constructor(
    readonly mgr: Manager,
    readonly cfg: EndpointConfig,
    readonly subs: Sub[],
    readonly backoff: { minMs: number; maxMs: number },
    readonly maxQueued: number,
    readonly maxInflight: number,
    readonly events: EndpointEvents,
  ) {
    this.#window = maxInflight;
  }

  start(): void {
    this.#connect();
  }

  #connect(): void {
    this.#timer = undefined;
    if (this.#closing || this.mgr.closed || this.mgr.isShuttingDown) return;
    const c = this.cfg;
    try {
      this.conn = this.mgr.mqttConnect(c.url, {
        clientId: c.clientId, username: c.username, password: c.password, version: c.version,
        cleanSession: c.cleanSession, keepalive: c.keepalive, tls: c.tls, session: this.session, will: c.will,
        handler: (conn, ev, data) => this.#on(conn, ev, data),
      });
    } catch (err) {
      // A URL that does not resolve now may later; the arguments were checked before.
      this.lastError = String(err);
      this.#retry();
    }
  }

  #on(conn: Connection, ev: number, data: unknown): void {
    if (conn !== this.conn) return;
    if (ev === MG_EV_MQTT_OPEN) {
      this.open = true;
      this.#attempt = 0;
      this.connects++;
      const v5 = this.cfg.version === 5;
      for (const s of this.subs) {
        // No Local keeps our own publishes from coming back; Retain As Published keeps the retain flag as sent.
        conn.mqttSub(s.filter, { qos: s.qos, options: v5 ? (s.noLocal ? 0x04 : 0) | 0x08 : 0 });
      }
      this.events.open();
      this.#flush();
    } else if (ev === MG_EV_MQTT_CMD) {
      const m = data as MqttMessage;
      const cmd = m.cmd;
      if (cmd === MQTT_CMD_PUBACK || cmd === MQTT_CMD_PUBCOMP || (cmd === MQTT_CMD_PUBREC && m.ack >= 0x80)) {
        if (this.#inflight.delete(m.id)) this.#flush();
      } else if (cmd === MQTT_CMD_UNSUBACK && this.#unsubsPending > 0) {
        this.#unsubsPending--;
      } else if (cmd === MQTT_CMD_CONNACK) {
        const rm = this.cfg.version === 5 ? m.properties().find((p) => p.id === 0x21)?.value : undefined;
        this.#window = typeof rm === "number" && rm > 0 ? Math.min(this.maxInflight, rm) : this.maxInflight;
      }
    } else if (ev === MG_EV_MQTT_MSG) {
      const m = data as MqttMessage;
      const props = this.cfg.version === 5 ? m.properties().filter((p) => !HOP_PROPS.has(p.id)) : [];
      this.events.message({ topic: m.topic, payload: m.data.slice(), qos: m.qos as 0 | 1 | 2, retain: m.retain, properties: props });
    } else if (ev === MG_EV_ERROR) {
      this.lastError = String(data);
    } else if (ev === MG_EV_CLOSE) {
      const was = this.open;
      this.open = false;
      this.conn = undefined;
      // A persistent session resends them itself after the next CONNACK; a clean one forgets them: send them again as new.
      if (this.cfg.cleanSession && this.#inflight.size > 0) {
        this.queue.unshift(...this.#inflight.values());
        this.#inflight.clear();
      }
      for (const w of this.#closedWaiters.splice(0)) w();
      if (was || !this.#closing) this.events.down(this.lastError || "connection closed");
      this.#retry();
    }
  }

  #retry(): void {
    if (this.#closing || this.mgr.closed || this.mgr.isShuttingDown || this.#timer !== undefined) return;
    // Exponential from minMs, capped at maxMs, then a random half of it off so that many edges do not come back in step.
    const base = Math.min(this.backoff.maxMs, this.backoff.minMs * 2 ** Math.min(this.#attempt, 30));
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.#attempt++;
    this.events.reconnecting(delay, this.#attempt);
    this.#timer = this.mgr.timerAdd(delay, () => this.#connect());
  }

  #ready(): boolean {
    return this.open && this.conn !== undefined && !this.conn.isClosing && !this.conn.isDraining;
  }

  /** Send what waits, as far as the window allows. */
  #flush(): void {
    while (this.queue.length > 0 && this.#inflight.size < this.#window && this.#ready()) this.#send(this.queue.shift()!);
  }

  #send(m: BridgeMessage): boolean {
    const conn = this.conn!;
    try {
      const id = conn.mqttPub(m.topic, m.payload, { qos: m.qos, retain: m.retain, properties: this.cfg.version === 5 ? m.properties : undefined });
      if (id > 0) this.#inflight.set(id, m);
      return true;
    } catch (err) {
      // Over the peer's maximum packet size: that message cannot cross; count it and go on.
      this.lastError = String(err);
      this.dropped++;
      return false;
    }
  }

  /** Publish now, or keep a QoS 1/2 message until the window or the next connection has room (QoS 0 is dropped while down, as mosquitto). */
  publish(m: BridgeMessage): boolean {
    const ready = this.#ready();
    if (ready && (m.qos === 0 || (this.queue.length === 0 && this.#inflight.size < this.#window))) return this.#send(m);
    if (!ready && (m.qos === 0 || this.#closing)) {
      this.dropped++;
      return false;
    }
    if (this.queue.length >= this.maxQueued) {
      this.queue.shift(); // the oldest goes, as mosquitto's max_queued_messages
      this.dropped++;
    }
    this.queue.push(m);
    return true;
  }

  /** QoS 1/2 messages handed over and not yet acknowledged by this broker, or waiting for a connection. */
  get owed(): number {
    return this.#inflight.size + this.queue.length;
  }

  /** QoS 1/2 messages sent and not yet acknowledged. */
  get inflight(): number {
    return this.#inflight.size;
  }

  /** No more reconnects; what is connected stays so until close(). */
  stopRetrying(): void {
    this.#closing = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** UNSUBSCRIBE every filter and resolve once answered (or the connection is gone, or `deadline`): nothing more comes in. */
  async unsubscribeAll(deadline: number): Promise<void> {
    const conn = this.conn;
    if (conn === undefined || !this.#ready()) return;
    for (const s of this.subs) if (conn.mqttUnsub(s.filter) > 0) this.#unsubsPending++;
    while (this.#unsubsPending > 0 && this.conn === conn && this.#ready() && Date.now() < deadline && !this.mgr.closed) {
      await new Promise<void>((r) => setTimeout(r, 10));
    }
  }

  /** Stop reconnecting; DISCONNECT once `settled()` holds or `deadline` passes; resolve when the connection is gone. */
  async close(settled: () => boolean, deadline: number): Promise<void> {
    this.stopRetrying();
    // A connection already draining (the manager's shutdown said DISCONNECT) gets no acknowledgements any more.
    while (this.conn !== undefined && this.open && !this.conn.isDraining && !this.conn.isClosing && !settled() &&
      Date.now() < deadline && !this.mgr.closed) {
      await new Promise<void>((r) => setTimeout(r, 10));
    }
    const conn = this.conn;
    if (conn === undefined || this.mgr.closed) return;
    const gone = new Promise<void>((r) => this.#closedWaiters.push(r));
    if (conn.isDraining || conn.isClosing) { /* on its way out */ } else if (this.open) conn.mqttDisconnect();
    else conn.close();
    const left = Math.max(0, deadline - Date.now()) + 1000;
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([gone, new Promise<void>((r) => { t = setTimeout(r, left); })]);
    clearTimeout(t);
    if (this.conn === conn && !conn.closed) conn.close();
  }
}
