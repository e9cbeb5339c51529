// session-store.ts: the default session store, in memory. It keeps copies, so
// that what the broker later changes in a live session is not the stored one.
import type { MqttBrokerMessage, MqttSessionStore, MqttStoredSession } from "./types";

/** The default MqttSessionStore: sessions and retained messages in this process's memory (lost on exit). */
export class MemorySessionStore implements MqttSessionStore {
  #sessions = new Map<string, MqttStoredSession>();
  #retained = new Map<string, MqttBrokerMessage>();

  /** The stored session of `clientId`. */
  load(clientId: string): MqttStoredSession | undefined {
    return this.#sessions.get(clientId);
  }

  /** Keep the session of `clientId`. */
  save(clientId: string, s: MqttStoredSession): void {
    this.#sessions.set(clientId, structuredClone(s));
  }

  /** Forget the session of `clientId`. */
  delete(clientId: string): void {
    this.#sessions.delete(clientId);
  }

  /** Every retained message. */
  loadRetained(): MqttBrokerMessage[] {
    return [...this.#retained.values()];
  }

  /** Keep (or, with an empty payload, drop) the retained message of `m.topic`. */
  saveRetained(m: MqttBrokerMessage): void {
    if (m.payload.length === 0) this.#retained.delete(m.topic);
    else this.#retained.set(m.topic, m);
  }
}
