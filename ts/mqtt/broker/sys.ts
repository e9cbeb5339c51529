// sys.ts: `$SYS/broker/...` statistics, as mosquitto publishes them: retained,
// refreshed every interval, so a subscriber gets the current values at once.
// `$SYS` topics never match a filter starting with `+` or `#` (topics.ts).
import type { MqttBroker } from "./broker";

/** The package version the broker reports. */
export const BROKER_VERSION = "tsmongoose 0.1.0";

/** Publish the statistics now and every `intervalMs`; returns the stop function. */
export function startSys(broker: MqttBroker, intervalMs: number): () => void {
  const put = (topic: string, v: string | number): void => broker.publish(`$SYS/broker/${topic}`, String(v), { retain: true });
  const tick = (): void => {
    const s = broker.stats();
    put("version", BROKER_VERSION);
    put("uptime", `${s.uptime} seconds`);
    put("clients/connected", s.clients);
    put("clients/total", s.sessions);
    put("subscriptions/count", s.subscriptions);
    put("retained messages/count", s.retained);
    put("messages/received", s.messagesIn);
    put("messages/sent", s.messagesOut);
    put("bytes/received", s.bytesIn);
    put("bytes/sent", s.bytesOut);
    put("store/messages/count", s.queued);
    put("messages/dropped", s.dropped);
  };
  // Published after the constructor returns (stats() needs the whole broker).
  const first = setTimeout(tick, 0);
  const timer = setInterval(tick, intervalMs);
  (timer as { unref?: () => void }).unref?.();
  (first as { unref?: () => void }).unref?.();
  return () => { clearTimeout(first); clearInterval(timer); };
}
