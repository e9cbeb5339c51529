// retained.ts: the retained messages (MQTT 3.3.1.3), bounded by count and
// payload bytes, mirrored to the session store so they survive a restart.
import { topicMatches } from "./topics";
import type { MqttBrokerLimits, MqttBrokerMessage, MqttSessionStore } from "./types";

export class Retained {
  readonly map = new Map<string, MqttBrokerMessage>();
  bytes = 0;
  dropped = 0;

  constructor(readonly limits: MqttBrokerLimits, readonly store: MqttSessionStore) {}

  /** Keep `m` for its topic (an empty payload clears it); false when a limit refused it. */
  set(m: MqttBrokerMessage, persist = true): boolean {
    const old = this.map.get(m.topic);
    if (m.payload.length === 0) {
      if (old === undefined) return true;
      this.map.delete(m.topic);
      this.bytes -= old.payload.length;
    } else {
      const bytes = this.bytes - (old?.payload.length ?? 0) + m.payload.length;
      if ((old === undefined && this.map.size >= this.limits.maxRetained) || bytes > this.limits.maxRetainedBytes) {
        this.dropped++;
        return false;
      }
      this.map.set(m.topic, m);
      this.bytes = bytes;
    }
    if (persist && this.store.saveRetained) void Promise.resolve(this.store.saveRetained(m)).catch(() => undefined);
    return true;
  }

  /** The retained messages whose topic matches `filter`. */
  matching(filter: string): MqttBrokerMessage[] {
    const out: MqttBrokerMessage[] = [];
    if (!/[+#]/.test(filter)) {
      const m = this.map.get(filter);
      if (m !== undefined) out.push(m);
      return out;
    }
    for (const [topic, m] of this.map) if (topicMatches(filter, topic)) out.push(m);
    return out;
  }
}
