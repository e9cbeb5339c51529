// mqtt-ws.ts: MQTT over WebSocket URLs (ws://, wss://) for mqttConnect and
// mqttListen. The core carries the packets in binary WebSocket messages
// (wasm/src/mqtt_ws.c); this file turns the URL into the byte-stream
// transport under it and hands the core the path or the upgrade request.
import { core } from "../core/loader";
import { toScratch, latin1Bytes } from "../core/core";
import { MongooseError, TypeError } from "../core/errors";

/** The core's MQTT-over-WebSocket export (wasm/src/mqtt.h). */
interface MqttWsExports {
  mgx_mqtt_ws(c: number, arg: number, len: number): number;
}

/** A ws:// or wss:// MQTT URL taken apart. */
export interface MqttWsUrl {
  /** The byte-stream transport under the WebSocket: tcp://host:port or tls://host:port. */
  target: string;
  /** Path of the request ("/mqtt"); a listener serves only this path unless it is "/". */
  path: string;
  /** The query ("?a=b" or ""), sent by a client. */
  search: string;
  /** The Host header. */
  host: string;
}

/** undefined for a URL that is not ws:// or wss://. */
export function mqttWsUrl(op: string, url: string): MqttWsUrl | undefined {
  if (typeof url !== "string" || !/^wss?:\/\//i.test(url)) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`${op}: invalid URL ${JSON.stringify(url)}`, { code: "ERR_INVALID_URL" });
  }
  const tls = u.protocol === "wss:";
  const port = u.port || (tls ? "443" : "80");
  return { target: `${tls ? "tls" : "tcp"}://${u.hostname}:${port}`, path: u.pathname || "/", search: u.search, host: u.host };
}

/**
 * Make the MQTT connection `c` (after mgx_mqtt_init) speak over WebSocket:
 * a listener gets its path, a client its upgrade request. Call inside a core entry.
 */
export function mqttWsInit(op: string, c: number, w: MqttWsUrl, client: boolean): void {
  const arg = client ? `GET ${w.path}${w.search} HTTP/1.1\r\nHost: ${w.host}\r\n` : w.path;
  const [p, n] = toScratch(latin1Bytes(arg));
  if (!(core() as unknown as MqttWsExports).mgx_mqtt_ws(c, p, n)) {
    throw new MongooseError("ERR_NO_MEMORY", `${op}: the core could not set up MQTT over WebSocket`);
  }
}
