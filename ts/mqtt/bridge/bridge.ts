// bridge.ts: MqttBridge, mosquitto's bridge as a component: it joins a local
// broker (an in-process MqttBroker, or any broker by URL) to an upstream one,
// forwarding the topics of its rules (topics.ts) each way, with prefixes,
// QoS capped per rule, loop prevention, reconnect with backoff, optional
// connection-state notifications, and a clean close.
//
// Delivery: a QoS 1/2 message the bridge has taken from one side is held by
// the bridge (queue while the other side is down, MqttSession once sent) until
// the other side acknowledges it; with cleanSession false the session resends
// it after a reconnect. So it is at least once while the bridge runs; the
// bridge keeps nothing on disk, so what it holds when its process dies is lost
// (mosquitto without persistence behaves the same).
import type { Manager } from "../../core/manager";
import type { TlsOpts } from "../../tls/tls";
import { argTypeError, argValueError, checkBoolean, checkFunction, checkNumber, checkObject } from "../../core/args";
import type { MqttProperty } from "../mqtt-message";
import { ClientEndpoint, type BridgeMessage, type EndpointConfig, type Sub } from "./endpoint";
import { EchoGuard } from "./echo-guard";
import { parseRules, route, type MqttBridgeTopic, type Rule } from "./topics";
import { topicMatches } from "../broker/topics";

export type { MqttBridgeTopic } from "./topics";

/** Defaults of MqttBridgeOptions (also `DEFAULTS.mqttBridge`). */
export const MQTT_BRIDGE_DEFAULTS = Object.freeze({
  name: "bridge",
  notifications: false,
  maxQueued: 1000,
  maxInflight: 20,
  echoWindowMs: 10_000,
  echoMax: 10_000,
  closeTimeoutMs: 5000,
});

/** Defaults of MqttBridgeEndpoint (also `DEFAULTS.mqttBridgeEndpoint`): a persistent session, as mosquitto's bridges. */
export const MQTT_BRIDGE_ENDPOINT_DEFAULTS = Object.freeze({ version: 4 as 4 | 5, cleanSession: false, keepalive: 60 });

/** Defaults of MqttBridgeReconnect (also `DEFAULTS.mqttBridgeReconnect`). */
export const MQTT_BRIDGE_RECONNECT_DEFAULTS = Object.freeze({ minMs: 1000, maxMs: 30_000 });

/** Reconnect delays of a bridge. */
export interface MqttBridgeReconnect {
  /** The first delay (ms); it doubles after each failed attempt. */
  minMs?: number;
  /** The cap (ms). */
  maxMs?: number;
}

/** A broker the bridge reaches as an MQTT client. */
export interface MqttBridgeEndpoint {
  /** mqtt:// or mqtts:// URL of the broker. */
  url: string;
  /** Client identifier (default: name + "." + random hex for the remote, "local." + the remote's for the local side). Set it for a session that outlives the process. */
  clientId?: string;
  /** User name. */
  username?: string;
  /** Password. */
  password?: string | Uint8Array;
  /** 4 = MQTT 3.1.1 (default), 5 = MQTT 5 (No Local prevents loops). */
  version?: 4 | 5;
  /** Start a new session on every connection (default false: the broker keeps subscriptions and queued messages). */
  cleanSession?: boolean;
  /** Keep-alive seconds (default 60, mosquitto's keepalive_interval). */
  keepalive?: number;
  /** TLS options for mqtts://. */
  tls?: TlsOpts;
}

/** An in-process broker (an MqttBroker): what the bridge uses of it. */
export interface MqttBridgeLocalBroker {
  /** Publish inside the broker. */
  publish(topic: string, payload: string | Uint8Array, opts?: { qos?: 0 | 1 | 2; retain?: boolean; properties?: MqttProperty[] }): void;
  /** Subscribe in process; returns the unsubscribe function. */
  subscribe(filter: string, cb: (m: { topic: string; payload: Uint8Array; qos: 0 | 1 | 2; retain: boolean; properties?: MqttProperty[] }) => void,
    opts?: { noLocal?: boolean }): () => void;
}

/** Options of new MqttBridge(). */
export interface MqttBridgeOptions {
  /** The connection's name: default client ids and the notification topic use it (default "bridge"). */
  name?: string;
  /** The local broker: an MqttBroker in this process, or a URL / endpoint it is reached at. */
  local: MqttBridgeLocalBroker | string | MqttBridgeEndpoint;
  /** The upstream broker. */
  remote: MqttBridgeEndpoint;
  /** What crosses, as mosquitto's `topic` lines. */
  topics: MqttBridgeTopic[];
  /** Reconnect delays: exponential from minMs, capped at maxMs, with jitter (default 1000 / 30000). */
  reconnect?: MqttBridgeReconnect;
  /** Publish the remote connection state ("1"/"0", retained) on the local side: true for `$SYS/broker/connection/<name>/state`, or a topic (default false). */
  notifications?: boolean | string;
  /** QoS 1/2 messages held per side while it is down or its window is full; the oldest goes first (default 1000). */
  maxQueued?: number;
  /** QoS 1/2 messages unacknowledged at a time per side, as mosquitto's max_inflight_messages (default 20; lower if the broker's Receive Maximum is). */
  maxInflight?: number;
  /** How long a forwarded message is remembered to drop its echo on a side without No Local (ms, default 10000). */
  echoWindowMs?: number;
  /** How many forwarded messages are remembered per side for that (default 10000). */
  echoMax?: number;
  /** close(): how long to wait for unacknowledged QoS 1/2 messages before DISCONNECT (ms, default 5000). */
  closeTimeoutMs?: number;
}

/** One side's connection state, for status(). */
export type MqttBridgeState = "connecting" | "connected" | "reconnecting" | "closed";

/** What MqttBridge.status() reports. */
export interface MqttBridgeStatus {
  /** The remote connection: "connecting" (first time), "connected", "reconnecting", "closed" (after close()). */
  state: MqttBridgeState;
  /** Whether the local side is reachable (always true in process). */
  localConnected: boolean;
  /** Messages taken from the local side for the remote one (sent, or queued while it is down). */
  forwardedOut: number;
  /** Messages taken from the remote side for the local one (sent, or queued). */
  forwardedIn: number;
  /** Echoes of the bridge's own messages dropped (loop prevention). */
  loopsDropped: number;
  /** Messages dropped: QoS 0 while a side was down, queue overflow, too large for the peer. */
  dropped: number;
  /** QoS 1/2 messages held for a side that is down. */
  queued: number;
  /** QoS 1/2 messages sent and not yet acknowledged. */
  inflight: number;
  /** Successful remote connections (the first one included). */
  remoteConnects: number;
  /** The last connection error, "" when none. */
  lastError: string;
}

/** An event of MqttBridge.on(). */
export interface MqttBridgeEvent {
  /** "connected", "disconnected" or "reconnecting". */
  type: "connected" | "disconnected" | "reconnecting";
  /** Which broker. */
  side: "local" | "remote";
  /** disconnected: why. */
  reason?: string;
  /** reconnecting: the delay before the next attempt (ms). */
  delayMs?: number;
  /** reconnecting: the attempt's number since the last success (1, 2, ...). */
  attempt?: number;
}

const OP = "MqttBridge";

function randomHex(): string {
  const b = new Uint8Array(4);
  globalThis.crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

function endpointConfig(name: string, v: unknown, defaultId: string): EndpointConfig {
  const e = (typeof v === "string" ? { url: v } : v) as MqttBridgeEndpoint;
  checkObject(OP, `opts.${name}`, e);
  if (typeof e.url !== "string") throw argTypeError(OP, `${name}.url`, "a string", e.url);
  if (!/^mqtts?:\/\//i.test(e.url)) throw argValueError(OP, `${name}.url`, "must be an mqtt:// or mqtts:// URL", e.url);
  if (e.clientId !== undefined && (typeof e.clientId !== "string" || e.clientId === "")) {
    throw argTypeError(OP, `${name}.clientId`, "a non-empty string", e.clientId);
  }
  const version = e.version ?? MQTT_BRIDGE_ENDPOINT_DEFAULTS.version;
  if (version !== 4 && version !== 5) throw argValueError(OP, `${name}.version`, "must be 4 or 5", version);
  checkBoolean(OP, `${name}.cleanSession`, e.cleanSession);
  checkNumber(OP, `${name}.keepalive`, e.keepalive ?? 0, 0, 65535, true);
  return {
    url: e.url, clientId: e.clientId ?? defaultId, username: e.username, password: e.password, version,
    cleanSession: e.cleanSession ?? MQTT_BRIDGE_ENDPOINT_DEFAULTS.cleanSession, keepalive: e.keepalive ?? MQTT_BRIDGE_ENDPOINT_DEFAULTS.keepalive, tls: e.tls,
  };
}

function isBroker(v: unknown): v is MqttBridgeLocalBroker {
  return typeof v === "object" && v !== null && typeof (v as MqttBridgeLocalBroker).publish === "function" &&
    typeof (v as MqttBridgeLocalBroker).subscribe === "function";
}

type Side = "local" | "remote";

/**
 * A bridge from a local broker to an upstream one, with mosquitto's bridge
 * semantics (mosquitto.conf(5) "Configuring Bridges"). It starts connecting
 * at once; `close()` ends it cleanly.
 */
export class MqttBridge {
  /** The connection's name. */
  readonly name: string;
  readonly #mgr: Manager;
  readonly #rules: Rule[];
  readonly #remote: ClientEndpoint;
  readonly #local: ClientEndpoint | undefined;
  readonly #broker: MqttBridgeLocalBroker | undefined;
  readonly #unsubs: (() => void)[] = [];
  readonly #guards: Record<Side, EchoGuard | undefined>;
  readonly #subs: Record<Side, Sub[]>;
  readonly #listeners = new Set<(e: MqttBridgeEvent) => void>();
  readonly #notify: string | undefined;
  readonly #closeTimeoutMs: number;
  #state: MqttBridgeState = "connecting";
  #closing: Promise<void> | undefined;
  #forwardedOut = 0;
  #forwardedIn = 0;
  #loopsDropped = 0;
  #brokerDropped = 0;

  /** Check the options and start connecting (the manager must be driven for anything to happen). */
  constructor(mgr: Manager, opts: MqttBridgeOptions) {
    checkObject(OP, "mgr", mgr);
    if (typeof (mgr as Manager).mqttConnect !== "function") throw argTypeError(OP, "mgr", "a Manager", mgr);
    checkObject(OP, "opts", opts);
    const name = opts.name ?? MQTT_BRIDGE_DEFAULTS.name;
    if (typeof name !== "string" || name === "" || /[+#/\0]/.test(name)) {
      throw argValueError(OP, "opts.name", "must be a non-empty string without /, + or #", name);
    }
    this.name = name;
    this.#mgr = mgr;
    this.#rules = parseRules(OP, opts.topics);
    const rc = opts.reconnect ?? {};
    checkObject(OP, "opts.reconnect", rc);
    const minMs = checkNumber(OP, "reconnect.minMs", rc.minMs ?? MQTT_BRIDGE_RECONNECT_DEFAULTS.minMs, 1);
    const maxMs = checkNumber(OP, "reconnect.maxMs", rc.maxMs ?? Math.max(minMs, MQTT_BRIDGE_RECONNECT_DEFAULTS.maxMs), minMs);
    const maxQueued = checkNumber(OP, "opts.maxQueued", opts.maxQueued ?? MQTT_BRIDGE_DEFAULTS.maxQueued, 0, Infinity, true);
    const maxInflight = checkNumber(OP, "opts.maxInflight", opts.maxInflight ?? MQTT_BRIDGE_DEFAULTS.maxInflight, 1, 65535, true);
    const echoWindowMs = checkNumber(OP, "opts.echoWindowMs", opts.echoWindowMs ?? MQTT_BRIDGE_DEFAULTS.echoWindowMs, 0);
    const echoMax = checkNumber(OP, "opts.echoMax", opts.echoMax ?? MQTT_BRIDGE_DEFAULTS.echoMax, 1, Infinity, true);
    this.#closeTimeoutMs = checkNumber(OP, "opts.closeTimeoutMs", opts.closeTimeoutMs ?? MQTT_BRIDGE_DEFAULTS.closeTimeoutMs, 0);
    const n = opts.notifications ?? MQTT_BRIDGE_DEFAULTS.notifications;
    if (typeof n === "string") {
      if (n === "" || /[+#\0]/.test(n)) throw argValueError(OP, "opts.notifications", "must be a boolean or a topic without wildcards", n);
      this.#notify = n;
    } else {
      checkBoolean(OP, "opts.notifications", n);
      this.#notify = n ? `$SYS/broker/connection/${name}/state` : undefined;
    }
    const remoteCfg = endpointConfig("remote", opts.remote, `${name}.${randomHex()}`);
    const localCfg = isBroker(opts.local) ? undefined : endpointConfig("local", opts.local, `local.${remoteCfg.clientId}`);
    if (localCfg && this.#notify !== undefined) localCfg.will = { topic: this.#notify, message: "0", qos: 1, retain: true };

    // Subscriptions per side; No Local where the side speaks MQTT 5, else the echo guard.
    const subs = (side: Side, v5: boolean): Sub[] => this.#rules
      .filter((r) => r.direction === "both" || r.direction === (side === "local" ? "out" : "in"))
      .map((r) => ({ filter: side === "local" ? r.localFilter : r.remoteFilter, qos: r.qos, noLocal: v5 }));
    this.#subs = { local: subs("local", localCfg?.version === 5), remote: subs("remote", remoteCfg.version === 5) };
    const guard = (v5: boolean): EchoGuard | undefined => (v5 ? undefined : new EchoGuard(echoMax, echoWindowMs));
    this.#guards = { local: guard(localCfg?.version === 5), remote: guard(remoteCfg.version === 5) };

    const backoff = { minMs, maxMs };
    this.#remote = new ClientEndpoint(mgr, remoteCfg, this.#subs.remote, backoff, maxQueued, maxInflight, this.#events("remote"));
    if (localCfg) {
      this.#local = new ClientEndpoint(mgr, localCfg, this.#subs.local, backoff, maxQueued, maxInflight, this.#events("local"));
      this.#local.start();
    } else {
      this.#broker = opts.local as MqttBridgeLocalBroker;
      for (const s of this.#subs.local) {
        this.#unsubs.push(this.#broker.subscribe(s.filter, (m) => this.#forward("local", {
          topic: m.topic, payload: m.payload, qos: Math.min(m.qos, s.qos) as 0 | 1 | 2, retain: m.retain, properties: m.properties ?? [],
        })));
      }
    }
    this.#remote.start();
  }

  #events(side: Side): ClientEndpoint["events"] {
    return {
      message: (m) => this.#forward(side, m),
      open: () => {
        if (side === "remote") {
          this.#state = "connected";
          this.#notifyState("1");
        } else if (this.#remote.open) this.#notifyState("1");
        this.#emit({ type: "connected", side });
      },
      down: (reason) => {
        if (side === "remote" && this.#closing === undefined) {
          this.#state = "reconnecting";
          this.#notifyState("0");
        }
        this.#emit({ type: "disconnected", side, reason });
      },
      reconnecting: (delayMs, attempt) => {
        if (side === "remote") this.#state = "reconnecting";
        this.#emit({ type: "reconnecting", side, delayMs, attempt });
      },
    };
  }

  #emit(e: MqttBridgeEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch (err) {
        this.#mgr._reportError(err);
      }
    }
  }

  #notifyState(v: "0" | "1"): void {
    if (this.#notify === undefined) return;
    this.#publish("local", { topic: this.#notify, payload: new TextEncoder().encode(v), qos: 1, retain: true, properties: [] }, false);
  }

  /** Publish on a side, remembering it there when the echo could come back. */
  #publish(side: Side, m: BridgeMessage, guard = true): void {
    const g = this.#guards[side];
    if (guard && g !== undefined && this.#subs[side].some((s) => topicMatches(s.filter, m.topic))) g.sent(m.topic, m.payload);
    // A client endpoint counts what it drops itself.
    if (side === "remote") this.#remote.publish(m);
    else if (this.#local !== undefined) this.#local.publish(m);
    else {
      try {
        this.#broker!.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain, properties: m.properties });
      } catch (err) {
        // The broker refused it (closed, or a property it will not take): that message is lost, the bridge goes on.
        this.#brokerDropped++;
        this.#mgr._reportError(err);
      }
    }
  }

  /** A message arrived from `from`: drop our own echo, else map it by the first matching rule and pass it over. */
  #forward(from: Side, m: BridgeMessage): void {
    if (this.#guards[from]?.echo(m.topic, m.payload)) {
      this.#loopsDropped++;
      return;
    }
    const r = route(this.#rules, from, m.topic);
    if (r === undefined) return;
    const to: Side = from === "local" ? "remote" : "local";
    this.#publish(to, { ...m, topic: r.topic, qos: Math.min(m.qos, r.rule.qos) as 0 | 1 | 2 });
    if (from === "local") this.#forwardedOut++;
    else this.#forwardedIn++;
  }

  /** Call `listener` on connected / disconnected / reconnecting; returns a function that removes it. */
  on(listener: (e: MqttBridgeEvent) => void): () => void {
    checkFunction("MqttBridge.on", "listener", listener);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Connection state and counters. */
  status(): MqttBridgeStatus {
    const eps = [this.#remote, this.#local].filter((e): e is ClientEndpoint => e !== undefined);
    return {
      state: this.#state,
      localConnected: this.#local === undefined ? this.#closing === undefined : this.#local.open,
      forwardedOut: this.#forwardedOut,
      forwardedIn: this.#forwardedIn,
      loopsDropped: this.#loopsDropped,
      dropped: this.#brokerDropped + eps.reduce((n, e) => n + e.dropped, 0),
      queued: eps.reduce((n, e) => n + e.queue.length, 0),
      inflight: eps.reduce((n, e) => n + e.inflight, 0),
      remoteConnects: this.#remote.connects,
      lastError: this.#remote.lastError || this.#local?.lastError || "",
    };
  }

  /**
   * Stop: the state notification says "0", the local subscriptions go, what
   * the bridge holds gets up to `closeTimeoutMs` to be acknowledged (the
   * remote side first, then the local one), then each connection sends
   * DISCONNECT and closes. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#notifyState("0");
      this.#state = "closed";
      const deadline = Date.now() + this.#closeTimeoutMs;
      const remote = this.#remote, local = this.#local;
      remote.stopRetrying();
      local?.stopRetrying();
      // In order, so that nothing the bridge takes is dropped: first take no
      // more from the local side; then let the remote acknowledge what went up
      // (what comes down meanwhile still goes to the local side) and
      // DISCONNECT it; then let the local side acknowledge what came down.
      for (const u of this.#unsubs.splice(0)) u();
      await local?.unsubscribeAll(deadline);
      await remote.close(() => remote.owed === 0, deadline);
      await local?.close(() => local.owed === 0, deadline);
    })();
    return this.#closing;
  }
}
