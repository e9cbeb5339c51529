// mqtt-broker-file-store.ts: the MQTT broker of mqtt-broker.ts with its
// sessions and retained messages in files, so that they survive a restart:
// persistent sessions (subscriptions, queued and unacknowledged QoS 1/2
// messages) are written when their connection ends and when the broker stops
// (SIGINT/SIGTERM: deliver what is owed, DISCONNECT 0x8B / close, then save).
// A store is the MqttSessionStore interface: load/save/delete by client id,
// and loadRetained/saveRetained. This one keeps one JSON file per session
// (written to a temporary name, then renamed: a crash leaves the old or the
// new file, never half of one) and one file of retained messages.
// DATA_DIR (default ./mqtt-data), PORT (default 1883; 0 = any free port).
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { init, Manager, MqttBroker } from "tsmongoose";
import type { MqttBrokerMessage, MqttSessionStore, MqttStoredSession } from "tsmongoose";

const port = Number(process.env.PORT ?? 1883);
const dir = process.env.DATA_DIR ?? "mqtt-data";

/** Payloads as base64 in JSON. */
type Json<T> = Omit<T, "payload"> & { payload: string };
const toJson = (m: MqttBrokerMessage): Json<MqttBrokerMessage> => ({ ...m, payload: Buffer.from(m.payload).toString("base64") });
const fromJson = (m: Json<MqttBrokerMessage>): MqttBrokerMessage => ({ ...m, payload: new Uint8Array(Buffer.from(m.payload, "base64")) });

class FileStore implements MqttSessionStore {
  #retained = new Map<string, MqttBrokerMessage>();

  constructor(readonly dir: string) {
    mkdirSync(join(dir, "sessions"), { recursive: true });
    for (const f of readdirSync(join(dir, "sessions"))) if (f.endsWith(".tmp")) rmSync(join(dir, "sessions", f));
  }

  #file(clientId: string): string {
    return join(this.dir, "sessions", encodeURIComponent(clientId) + ".json");
  }

  #write(file: string, value: unknown): void {
    writeFileSync(file + ".tmp", JSON.stringify(value));
    renameSync(file + ".tmp", file);
  }

  load(clientId: string): MqttStoredSession | undefined {
    let text: string;
    try {
      text = readFileSync(this.#file(clientId), "utf8");
    } catch {
      return undefined;
    }
    const s = JSON.parse(text);
    return { ...s, queued: s.queued.map(fromJson), inflight: s.inflight.map((f: { message: Json<MqttBrokerMessage> }) => ({ ...f, message: fromJson(f.message) })) };
  }

  save(clientId: string, s: MqttStoredSession): void {
    this.#write(this.#file(clientId), { ...s, queued: s.queued.map(toJson), inflight: s.inflight.map((f) => ({ ...f, message: toJson(f.message) })) });
  }

  delete(clientId: string): void {
    rmSync(this.#file(clientId), { force: true });
  }

  loadRetained(): MqttBrokerMessage[] {
    try {
      for (const m of JSON.parse(readFileSync(join(this.dir, "retained.json"), "utf8"))) this.#retained.set(m.topic, fromJson(m));
    } catch {
      // none yet
    }
    return [...this.#retained.values()];
  }

  saveRetained(m: MqttBrokerMessage): void {
    if (m.payload.length === 0) this.#retained.delete(m.topic);
    else this.#retained.set(m.topic, m);
    this.#write(join(this.dir, "retained.json"), [...this.#retained.values()].map(toJson));
  }
}

await init();
const mgr = new Manager();
const broker = new MqttBroker(mgr, { store: new FileStore(dir) });
await broker.ready;
const listener = broker.listen(`mqtt://127.0.0.1:${port}`);
console.log(`MQTT broker running on mqtt://127.0.0.1:${listener.localAddr.port} (sessions in ${dir})`);
console.log("Press Ctrl+C to stop");
const report = await mgr.run({ shutdownTimeoutMs: 10_000 });
console.log(`Broker stopped: ${report.drained} connection(s) drained, ${report.forced.length} forced; sessions saved`);
