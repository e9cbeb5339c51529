// mqtt-js.ts: mqtt.js clients for broker tests, closed by closeClients() (afterEach).
import mqtt from "mqtt";

const clients = new Set<mqtt.MqttClient>();

export interface Got { topic: string; text: string; qos: number; retain: boolean; properties?: mqtt.IPublishPacket["properties"] }

export interface JsClient { c: mqtt.MqttClient; present: boolean; got: Got[]; connack: mqtt.IConnackPacket }

/** Connect mqtt.js (no reconnect); resolves after CONNACK with what it receives from then on. */
export async function jsConnect(url: string, opts: mqtt.IClientOptions = {}): Promise<JsClient> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.add(c);
  const got: Got[] = [];
  c.on("message", (topic, payload, packet) => got.push({ topic, text: payload.toString(), qos: packet.qos, retain: packet.retain, properties: packet.properties }));
  const connack = await new Promise<mqtt.IConnackPacket>((resolve, reject) => {
    c.once("connect", (ack) => resolve(ack));
    c.once("error", reject);
  });
  return { c, present: connack.sessionPresent, got, connack };
}

/** Connect expecting a refusal: resolves with the CONNACK code mqtt.js reports. */
export async function jsRefused(url: string, opts: mqtt.IClientOptions = {}): Promise<number> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.add(c);
  return new Promise((resolve, reject) => {
    c.once("connect", () => reject(new Error("accepted")));
    c.once("error", (err) => resolve((err as { code?: number }).code ?? -1));
  });
}

export function closeClients(): void {
  for (const c of clients) c.end(true);
  clients.clear();
}
