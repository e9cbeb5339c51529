// broker.ts: MqttBroker, an MQTT 3.1.1 and 5 broker on a Manager (docs/mqtt.md
// "Broker"): listeners, in-process publish/subscribe, statistics, the bus that
// joins brokers, and the graceful close (stop accepting, deliver what is owed,
// DISCONNECT 0x8B / close, persist sessions).
import type { Connection } from "../../core/connection";
import type { Manager } from "../../core/manager";
import { MG_EV_CLOSE, MG_EV_MQTT_CMD, MG_EV_WRITE } from "../../core/constants";
import { argTypeError, argValueError, checkBoolean, checkFunction, checkNumber, checkObject } from "../../core/args";
import { toBytes } from "../../core/core";
import { encodeProps, type MqttMessage } from "../mqtt-message";
import { mqttListen, type MqttListenOptions } from "../mqtt";
import { Engine, forwardable, type LocalSub } from "./engine";
import { brokerLimits } from "./limits";
import { Packets, snapshot, type Client, type Pkt } from "./packets";
import { revive } from "./session";
import { MemorySessionStore } from "./session-store";
import { startSys } from "./sys";
import { validTopicFilter, validTopicName } from "./topics";
import type {
  MqttBrokerCloseOptions, MqttBrokerMessage, MqttBrokerOptions, MqttBrokerPublishOptions, MqttBrokerStats, MqttBusMessage,
} from "./types";

const OP = "MqttBroker";

/**
 * An MQTT 3.1.1 and 5 broker on a Manager: sessions, QoS 0/1/2, retained
 * messages, wills, subscription options, shared subscriptions, flow control and
 * limits, hooks for authentication and authorization, a session store, a bus to
 * join brokers, and a graceful close (also run by the manager's shutdown).
 */
export class MqttBroker {
  readonly #mgr: Manager;
  readonly #e: Engine;
  readonly #packets: Packets;
  readonly #clients = new Map<Connection, Client>();
  readonly #listeners: Connection[] = [];
  readonly #started = Date.now();
  #closed?: Promise<void>;
  #stopSys?: () => void;
  /** Resolves once the store's retained messages are loaded. */
  readonly ready: Promise<void>;

  constructor(mgr: Manager, opts: MqttBrokerOptions = {}) {
    checkObject(OP, "mgr", mgr);
    if (typeof (mgr as Manager).mqttListen !== "function") throw argTypeError(OP, "mgr", "a Manager", mgr);
    checkObject(OP, "opts", opts);
    if (opts.authenticate !== undefined) checkFunction(OP, "opts.authenticate", opts.authenticate);
    if (opts.authorize !== undefined) checkFunction(OP, "opts.authorize", opts.authorize);
    if (opts.store !== undefined) {
      checkObject(OP, "opts.store", opts.store);
      for (const f of ["load", "save", "delete"] as const) checkFunction(OP, `store.${f}`, opts.store[f]);
    }
    if (opts.bus !== undefined) {
      checkObject(OP, "opts.bus", opts.bus);
      checkFunction(OP, "bus.send", opts.bus.send);
      checkFunction(OP, "bus.onMessage", opts.bus.onMessage);
    }
    const sys = opts.sys;
    if (sys !== undefined && typeof sys !== "boolean") {
      checkObject(OP, "opts.sys", sys);
      checkNumber(OP, "sys.intervalMs", sys.intervalMs, 100, 2 ** 31 - 1, true);
    }
    const limits = brokerLimits(opts.limits);
    this.#mgr = mgr;
    this.#e = new Engine(mgr, limits, opts.store ?? new MemorySessionStore(), opts);
    this.#packets = new Packets(this.#e);
    const store = this.#e.store;
    this.ready = Promise.resolve(store.loadRetained ? store.loadRetained() : [])
      .then((list) => { for (const m of list) this.#e.retained.set(revive(m), false); })
      .catch(() => undefined);
    opts.bus?.onMessage((m) => this.#fromBus(m));
    if (sys) this.#stopSys = startSys(this, typeof sys === "object" ? sys.intervalMs : 10_000);
    mgr.onShutdown(() => this.close());
  }

  /** Listen on `url` (mqtt://, mqtts:// with `opts.tls`) for clients of this broker; returns the listener. */
  listen(url: string, opts?: MqttListenOptions): Connection {
    if (opts !== undefined) checkObject("MqttBroker.listen", "opts", opts);
    if (this.#e.closing) throw argValueError("MqttBroker.listen", "url", "cannot be listened on: the broker is closed", url);
    const conn = mqttListen(this.#mgr, url, { ...opts, handler: (c, ev, data) => this.#event(c, ev, data) }, this.#e.maxPacket);
    this.#listeners.push(conn);
    return conn;
  }

  /** Publish as if a client had, inside the broker (origin undefined). */
  publish(topic: string, payload: string | Uint8Array, opts: MqttBrokerPublishOptions = {}): void {
    const op = "MqttBroker.publish";
    if (typeof topic !== "string") throw argTypeError(op, "topic", "a string", topic);
    if (!validTopicName(topic)) throw argValueError(op, "topic", "must be a non-empty topic name without wildcards", topic);
    checkObject(op, "opts", opts);
    const qos = checkNumber(op, "opts.qos", opts.qos ?? 0, 0, 2, true);
    checkBoolean(op, "opts.retain", opts.retain);
    const props = opts.properties ?? [];
    encodeProps(op, props); // checks them
    const data = toBytes(`${op} payload`, payload);
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : Uint8Array.prototype.slice.call(data); // a copy: Buffer#slice() is a view
    const m: MqttBrokerMessage = { topic, payload: bytes, qos: qos as 0 | 1 | 2, retain: opts.retain === true, properties: forwardable(props) };
    const exp = props.find((p) => p.id === 0x02)?.value;
    if (typeof exp === "number") m.expiresAt = Date.now() + exp * 1000;
    this.#e.route(m, false);
  }

  /** Subscribe in process to `filter`; returns the unsubscribe function. `noLocal`: skip broker.publish()'s own messages. */
  subscribe(filter: string, cb: (m: MqttBrokerMessage) => void, opts: { noLocal?: boolean } = {}): () => void {
    const op = "MqttBroker.subscribe";
    if (typeof filter !== "string") throw argTypeError(op, "filter", "a string", filter);
    if (!validTopicFilter(filter)) throw argValueError(op, "filter", "must be a valid topic filter", filter);
    checkFunction(op, "cb", cb);
    checkObject(op, "opts", opts);
    checkBoolean(op, "opts.noLocal", opts.noLocal);
    const sub: LocalSub = { filter, cb, noLocal: opts.noLocal === true };
    this.#e.local.add(filter, sub);
    return () => { this.#e.local.delete(filter, sub); };
  }

  /** Counts of clients, sessions, subscriptions, retained, queued and in-flight messages, and traffic. */
  stats(): MqttBrokerStats {
    const e = this.#e;
    let queued = 0, queuedBytes = 0, inflight = 0;
    for (const s of e.sessions.values()) {
      queued += s.queue.length;
      queuedBytes += s.queuedBytes;
      inflight += s.inflight.size;
    }
    return {
      clients: this.#clients.size, sessions: e.sessions.size, subscriptions: e.tree.size + e.local.size,
      retained: e.retained.map.size, retainedBytes: e.retained.bytes, queued, queuedBytes, inflight,
      ...e.counters, dropped: e.counters.dropped + e.retained.dropped,
      uptime: Math.floor((Date.now() - this.#started) / 1000),
    };
  }

  /**
   * Close gracefully: stop the listeners, wait (at most `timeoutMs`) for the
   * QoS 1/2 deliveries clients owe an acknowledgement for, say DISCONNECT 0x8B
   * (MQTT 5) or close (3.1.1), and persist every session to the store.
   */
  close(opts: MqttBrokerCloseOptions = {}): Promise<void> {
    checkObject("MqttBroker.close", "opts", opts);
    const timeoutMs = checkNumber("MqttBroker.close", "opts.timeoutMs", opts.timeoutMs ?? 5000, 0, 2 ** 31 - 1);
    this.#closed ??= this.#close(timeoutMs);
    return this.#closed;
  }

  async #close(timeoutMs: number): Promise<void> {
    const e = this.#e;
    e.closing = true;
    this.#stopSys?.();
    for (const l of this.#listeners) if (!l.closed && !l.isClosing) l.close();
    const deadline = Date.now() + timeoutMs;
    const owed = (): number => {
      let n = 0;
      for (const c of this.#clients.values()) n += c.session?.conn === c.conn ? c.session.inflight.size : 0;
      return n;
    };
    while (owed() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const c of this.#clients.values()) e.kick(c.conn, 0x8b, c.version); // server shutting down
    while (this.#clients.size > 0 && Date.now() < deadline + 1000) await new Promise((r) => setTimeout(r, 10));
    const saves: unknown[] = [];
    for (const s of e.sessions.values()) {
      s.expiryTimer?.clear();
      s.willTimer?.clear();
      if (s.expiry > 0) saves.push(e.store.save(s.clientId, s.toStored()));
    }
    await Promise.all(saves).catch(() => undefined);
  }

  /** @internal The engine, for $SYS and tests of the internals. */
  get _engine(): Engine {
    return this.#e;
  }

  #fromBus(m: MqttBusMessage): void {
    if (m.type === "publish") this.#e.route(revive(m.message), true);
    else if (m.type === "takeover") {
      const s = this.#e.sessions.get(m.clientId);
      if (s === undefined) return;
      // The client is now on another broker: close ours and hand the session over through the store.
      const conn = s.conn;
      s.conn = undefined;
      s.will = undefined;
      if (conn !== undefined) this.#e.kick(conn, 0x8e, s.version);
      if (s.expiry > 0) this.#e.save(s);
      for (const sub of s.subs.values()) this.#e.unfile(sub);
      s.expiryTimer?.clear();
      this.#e.sessions.delete(m.clientId);
    }
  }

  #event(conn: Connection, ev: number, data: unknown): void {
    if (ev === MG_EV_MQTT_CMD) {
      let c = this.#clients.get(conn);
      if (c === undefined) {
        c = { conn, version: 4, disconnected: false };
        this.#clients.set(conn, c);
      }
      const m = data as MqttMessage;
      if (c.backlog !== undefined) c.backlog.push(snapshot(m));
      else this.#run(c, m);
    } else if (ev === MG_EV_WRITE) {
      // Output went out: what waited for a slow reader's output to drain may follow.
      const s = this.#clients.get(conn)?.session;
      if (s !== undefined && s.queue.length > 0 && s.conn === conn) this.#e.pump(s);
    } else if (ev === MG_EV_CLOSE) {
      const c = this.#clients.get(conn);
      if (c === undefined) return;
      this.#clients.delete(conn);
      c.backlog = undefined;
      const s = c.session;
      if (s !== undefined && s.conn === conn) this.#e.park(s);
    }
  }

  /** Handle one packet; a hook's pending Promise holds the packets after it in the backlog. */
  #run(c: Client, m: Pkt): void {
    let r: void | Promise<void>;
    try {
      r = this.#packets.handle(c, m);
    } catch (err) {
      this.#failed(c, err);
      return;
    }
    if (r === undefined) return;
    c.backlog = [];
    r.then(() => this.#next(c), (err) => { this.#failed(c, err); this.#next(c); });
  }

  #next(c: Client): void {
    const backlog = c.backlog;
    c.backlog = undefined;
    if (backlog === undefined || !this.#clients.has(c.conn)) return;
    for (let i = 0; i < backlog.length; i++) {
      this.#run(c, backlog[i]);
      const pending = c.backlog as Pkt[] | undefined; // #run may have started a new wait
      if (pending !== undefined) {
        pending.push(...backlog.slice(i + 1));
        return;
      }
    }
  }

  /** A hook threw or a send failed: a closed connection is nothing to report; otherwise the connection ends. */
  #failed(c: Client, err: unknown): void {
    if (c.conn.closed || c.conn.isClosing) return;
    void err; // a hook's failure is the client's refusal, not the broker's
    this.#e.kick(c.conn, 0x80, c.version); // unspecified error
  }
}
