// types.ts: the broker's public shapes (the contract in docs/mqtt.md
// "Broker"): messages, options, limits, the session store and the bus.
import type { Connection } from "../../core/connection";
import type { MqttProperty } from "../mqtt-message";

/** A message as the broker routes it (to clients, in-process subscribers, the store and the bus). */
export interface MqttBrokerMessage {
  /** Topic name. */
  topic: string;
  /** Payload bytes. */
  payload: Uint8Array;
  /** QoS it was published at. */
  qos: 0 | 1 | 2;
  /** Retain flag as published. */
  retain: boolean;
  /** MQTT 5 publish properties (no topic alias, no subscription identifier). */
  properties: MqttProperty[];
  /** The publishing client's id; undefined for broker.publish() and wills' own origin is their client. */
  origin?: string;
  /** Absolute expiry in ms since the epoch (from Message Expiry Interval); absent = never. */
  expiresAt?: number;
}

/** What authenticate() is given. */
export interface MqttAuthInfo {
  /** Client identifier (the assigned one when the client sent none). */
  clientId: string;
  /** User name, when sent. */
  username?: string;
  /** Password bytes, when sent. */
  password?: Uint8Array;
  /** The client's connection (remoteAddr, isTls...). */
  conn: Connection;
}

/** The client authorize() is asked about. */
export interface MqttAuthClient {
  /** Client identifier. */
  clientId: string;
  /** User name, when the client sent one. */
  username?: string;
}

/** Limits of one broker (defaults: DEFAULTS.mqttBroker). */
export interface MqttBrokerLimits {
  /** QoS 1/2 messages queued per session (offline, or over the in-flight window); over it new ones are dropped. */
  maxQueuedMessages: number;
  /** Payload bytes queued per session; over it new messages are dropped. Also bounds a client's unsent output (a client that does not read: QoS 0 dropped, QoS 1/2 queued). */
  maxQueuedBytes: number;
  /** QoS 1/2 deliveries in flight to one client (lowered to the client's Receive Maximum). */
  maxInflight: number;
  /** Receive Maximum advertised in CONNACK: QoS 2 publishes a client may have unreleased (DISCONNECT 0x93 over it). */
  receiveMaximum: number;
  /** Largest packet taken from a client, bytes (Maximum Packet Size in CONNACK; 0x95 over it). */
  maxPacketSize: number;
  /** Retained messages kept (a new topic over it is not retained). */
  maxRetained: number;
  /** Payload bytes of retained messages kept. */
  maxRetainedBytes: number;
  /** Sessions (connected and parked); a new client over it gets CONNACK 0x97 (3.1.1: 3). */
  maxSessions: number;
  /** Subscriptions per client; over it SUBACK 0x97 (3.1.1: 0x80). */
  maxSubscriptionsPerClient: number;
  /** Session Expiry Interval cap in seconds (0xFFFFFFFF = no cap; also bounds 3.1.1 persistent sessions). */
  maxSessionExpiry: number;
  /** Server Keep Alive in seconds (0 = the client's own keepalive). */
  keepalive: number;
  /** Largest QoS granted (0..2); advertised as Maximum QoS when below 2. */
  maxQos: number;
  /** Topic aliases the broker gives one MQTT 5 client (within the client's Topic Alias Maximum; 0 = none). */
  topicAliasMaximum: number;
  /** Keep alive cap in seconds, as mosquitto's max_keepalive: a client asking more (or 0) is held to it (MQTT 5: Server Keep Alive); 0 = no cap. */
  maxKeepalive: number;
}

/** A subscription as stored with a session. */
export interface MqttStoredSubscription {
  /** Topic filter as subscribed (with `$share/group/` when shared). */
  filter: string;
  /** Granted QoS. */
  qos: 0 | 1 | 2;
  /** The SUBSCRIBE options byte above the QoS (no local 0x04, retain as published 0x08, retain handling 0x30). */
  options: number;
  /** Subscription Identifier, if given. */
  id?: number;
}

/** A session as a store keeps it. */
export interface MqttStoredSession {
  /** Client identifier. */
  clientId: string;
  /** Protocol level of the last connection. */
  version: 4 | 5;
  /** When the session ends, ms since the epoch; absent = never. */
  expiresAt?: number;
  /** Subscriptions. */
  subscriptions: MqttStoredSubscription[];
  /** QoS 1/2 messages waiting to be sent (each at its delivery QoS). */
  queued: MqttBrokerMessage[];
  /** Deliveries sent but not yet acknowledged. */
  inflight: { id: number; message: MqttBrokerMessage; state: "publish" | "pubrel" }[];
  /** Next packet identifier. */
  nextId: number;
}

/** Where sessions and retained messages live; every method may be async. */
export interface MqttSessionStore {
  /** The stored session of `clientId`, if any. */
  load(clientId: string): MqttStoredSession | undefined | Promise<MqttStoredSession | undefined>;
  /** Keep (replace) the session of `clientId`. */
  save(clientId: string, s: MqttStoredSession): void | Promise<void>;
  /** Forget the session of `clientId`. */
  delete(clientId: string): void | Promise<void>;
  /** Every retained message, read once when the broker starts. */
  loadRetained?(): MqttBrokerMessage[] | Promise<MqttBrokerMessage[]>;
  /** Keep a retained message; an empty payload deletes the topic's. */
  saveRetained?(m: MqttBrokerMessage): void | Promise<void>;
}

/** A message between brokers joined by a bus. */
export type MqttBusMessage =
  | { type: "publish"; message: MqttBrokerMessage }
  | { type: "takeover"; clientId: string };

/** Joins brokers (workers, processes) into one. */
export interface MqttBrokerBus {
  /** This broker -> the others. */
  send(m: MqttBusMessage): void;
  /** The others -> this broker; called once, when the broker is constructed. */
  onMessage(cb: (m: MqttBusMessage) => void): void;
}

/** Options of new MqttBroker(). */
export interface MqttBrokerOptions {
  /** Accept or refuse a client: false -> CONNACK 0x87 (3.1.1: 5), a number = that reason code. */
  authenticate?(info: MqttAuthInfo): boolean | number | Promise<boolean | number>;
  /** Allow a publish or a subscription to a topic (filter); false -> 0x87 (3.1.1: dropped / SUBACK 0x80), a number = that MQTT 5 reason code (>= 0x80). */
  authorize?(action: "publish" | "subscribe", topic: string, client: MqttAuthClient): boolean | number | Promise<boolean | number>;
  /** Session and retained message store (default: in memory). */
  store?: MqttSessionStore;
  /** Joins this broker to others. */
  bus?: MqttBrokerBus;
  /** Limits over DEFAULTS.mqttBroker. */
  limits?: Partial<MqttBrokerLimits>;
  /** Publish `$SYS/broker/...` statistics (default every 10 s when true). */
  sys?: boolean | { intervalMs: number };
}

/** broker.stats(). */
export interface MqttBrokerStats {
  /** Connected clients. */
  clients: number;
  /** Sessions, connected and parked. */
  sessions: number;
  /** Subscriptions of every session (and in-process ones). */
  subscriptions: number;
  /** Retained messages. */
  retained: number;
  /** Payload bytes of retained messages. */
  retainedBytes: number;
  /** Messages queued in sessions. */
  queued: number;
  /** Payload bytes queued in sessions. */
  queuedBytes: number;
  /** QoS 1/2 deliveries not yet acknowledged. */
  inflight: number;
  /** PUBLISH packets accepted (from clients, broker.publish, the bus). */
  messagesIn: number;
  /** PUBLISH packets sent to clients. */
  messagesOut: number;
  /** Payload bytes accepted. */
  bytesIn: number;
  /** Payload bytes sent. */
  bytesOut: number;
  /** Messages dropped by a limit (queue full, too large, expired). */
  dropped: number;
  /** Seconds since the broker was made. */
  uptime: number;
}

/** Options of broker.close(). */
export interface MqttBrokerCloseOptions {
  /** How long to wait for clients to acknowledge owed QoS 1/2 deliveries, ms (default 5000). */
  timeoutMs?: number;
}

/** Options of broker.publish(). */
export interface MqttBrokerPublishOptions {
  /** QoS (default 0). */
  qos?: 0 | 1 | 2;
  /** Retain the message. */
  retain?: boolean;
  /** MQTT 5 properties. */
  properties?: MqttProperty[];
}
