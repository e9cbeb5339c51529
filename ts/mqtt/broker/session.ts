// session.ts: one client's session (MQTT 4.1): its subscriptions, the QoS 1/2
// messages queued for it, the deliveries in flight and the QoS 2 publishes it
// sent that await PUBREL; and its conversion to and from the stored form.
import type { Connection } from "../../core/connection";
import type { MqttBrokerMessage, MqttStoredSession, MqttStoredSubscription } from "./types";

/** One subscription of a session. */
export interface Sub extends MqttStoredSubscription {
  /** The filter matched against topics (without `$share/group/`). */
  topicFilter: string;
  /** Shared subscription group, if any. */
  group?: string;
  /** Its session. */
  session: Session;
}

/** A delivery sent and not yet acknowledged. */
export interface Inflight { message: MqttBrokerMessage; state: "publish" | "pubrel" }

/** A timer for any delay: Node and browsers run a delay over 2^31-1 ms at once, so long ones go in steps. */
export class LongTimer {
  #t?: ReturnType<typeof setTimeout>;

  constructor(ms: number, fn: () => void) {
    const at = Date.now() + ms;
    const arm = (): void => {
      const left = at - Date.now();
      this.#t = setTimeout(left > 0x7fffffff ? arm : fn, Math.max(0, Math.min(left, 0x7fffffff)));
      (this.#t as { unref?: () => void }).unref?.();
    };
    arm();
  }

  clear(): void {
    if (this.#t !== undefined) clearTimeout(this.#t);
  }
}

/** A will waiting for its connection to end (or for its delay). */
export interface Will { message: MqttBrokerMessage; delay: number }

export class Session {
  conn?: Connection;
  username?: string;
  version: 4 | 5 = 4;
  /** Session Expiry Interval, seconds (NEVER = no expiry). */
  expiry = 0;
  expiresAt?: number;
  expiryTimer?: LongTimer;
  readonly subs = new Map<string, Sub>();
  /** QoS 1/2 messages (and QoS 0 over the window) at their delivery QoS, with their subscription ids as properties. */
  queue: MqttBrokerMessage[] = [];
  queuedBytes = 0;
  readonly inflight = new Map<number, Inflight>();
  /** Incoming QoS 2 packet ids awaiting PUBREL (exactly once). */
  readonly received = new Set<number>();
  nextId = 1;
  /** The client's Receive Maximum (MQTT 5), 65535 for 3.1.1. */
  clientReceiveMax = 65535;
  will?: Will;
  willTimer?: LongTimer;
  /** Topic Alias Maximum of the client (MQTT 5), and the aliases given on this connection. */
  aliasMax = 0;
  aliases = new Map<string, number>();

  constructor(readonly clientId: string) {}

  /** A free packet id, skipping those in flight. */
  takeId(): number {
    for (let i = 0; i < 65535; i++) {
      const id = this.nextId;
      this.nextId = id === 65535 ? 1 : id + 1;
      if (!this.inflight.has(id)) return id;
    }
    return 0;
  }

  /** The stored form (deep enough copies for a store to keep). */
  toStored(): MqttStoredSession {
    const s: MqttStoredSession = {
      clientId: this.clientId,
      version: this.version,
      subscriptions: [...this.subs.values()].map((x) => {
        const o: MqttStoredSubscription = { filter: x.filter, qos: x.qos, options: x.options };
        if (x.id !== undefined) o.id = x.id;
        return o;
      }),
      queued: this.queue.slice(),
      inflight: [...this.inflight].map(([id, f]) => ({ id, message: f.message, state: f.state })),
      nextId: this.nextId,
    };
    if (this.expiresAt !== undefined) s.expiresAt = this.expiresAt;
    return s;
  }

  /** Fill a fresh session from its stored form (subscriptions are filed by the broker). */
  fromStored(s: MqttStoredSession): void {
    this.version = s.version;
    this.expiresAt = s.expiresAt;
    this.queue = (s.queued ?? []).map(revive);
    this.queuedBytes = this.queue.reduce((n, m) => n + m.payload.length, 0);
    for (const f of s.inflight ?? []) this.inflight.set(f.id, { message: revive(f.message), state: f.state });
    this.nextId = s.nextId >= 1 && s.nextId <= 65535 ? s.nextId : 1;
  }
}

/** A stored message back to bytes (a JSON store may have turned the payload into an object). */
export function revive(m: MqttBrokerMessage): MqttBrokerMessage {
  if (m.payload instanceof Uint8Array) return m;
  const p = m.payload as unknown;
  const bytes = Array.isArray(p) ? Uint8Array.from(p as number[]) : Uint8Array.from(Object.values(p as Record<string, number>));
  return { ...m, payload: bytes };
}
