// protocols.ts: the table through which the core reaches its protocols.
// Connection and Manager keep the reference's protocol methods (wsSend,
// mqttPub, tlsInit, ...), the engine its per-event protocol steps, but none of
// them imports a protocol: each protocol folder fills its entry here when its
// register.ts loads (the entries ts/index.ts, ts/node.ts and ts/browser.ts
// load them all). The core imports protocols as types only, so it loads
// without any of them (docs/layout.md).
import { MongooseError } from "./errors";
import type * as Headers from "../http/headers";
import type * as HttpMessage from "../http/http-message";
import type * as HttpStream from "../http/http-stream";
import type * as RequestGuard from "../http/request-guard";
import type * as Static from "../http/static";
import type * as Ws from "../ws/ws";
import type * as Mqtt from "../mqtt/mqtt";
import type * as MqttMessage from "../mqtt/mqtt-message";
import type * as Tls from "../tls/tls";
import type * as Udp from "../dgram/udp";
import type * as Sntp from "../dgram/sntp";

/** What each protocol registers: the functions and views of its modules the core calls, and no more. */
export interface ProtocolTable {
  http: Pick<typeof Headers, "formatHeaders" | "hasHeader"> & Pick<typeof HttpMessage, "HttpMessage">
    & Pick<typeof HttpStream, "strictHttp" | "streamBody" | "routeBody" | "endBody">
    & Pick<typeof RequestGuard, "checkNotAnswered" | "guardedReply" | "beforeEvent" | "handlerFailed">
    & Pick<typeof Static, "replyHost" | "serveDir" | "serveFile" | "bodyWritable" | "cancelBody">;
  ws: Pick<typeof Ws, "WsMessage" | "wsUpgrade" | "wsSend" | "wsClose" | "wsOutputFull" | "wsSetLimit" | "wsConnect" | "wsShutdown">;
  mqtt: Pick<typeof Mqtt, "mqttConnect" | "mqttListen" | "mqttPub" | "mqttSub" | "mqttPing" | "mqttDisconnect" | "mqttConnack"
    | "mqttSubackLike" | "mqttAck" | "mqttVersion"> & Pick<typeof MqttMessage, "MqttMessage">;
  tls: Pick<typeof Tls, "isTlsScheme" | "tlsInit" | "tlsFree" | "checkListenTls" | "checkTlsUrlListen" | "checkConnectTls" | "setListenerParams"
    | "setClientTls" | "setTlsContext" | "tlsOnAccept" | "tlsOnAccepted" | "tlsOnConnect">;
  udp: Pick<typeof Udp, "udpSend" | "udpDeliver" | "udpListen" | "udpConnect">;
  sntp: Pick<typeof Sntp, "sntpRequest" | "sntpConnect">;
}

/** The registered protocols; an entry is missing until its register.ts has loaded. */
export const protocols: Partial<ProtocolTable> = {};

/** Called once by each protocol's register.ts. */
export function registerProtocol<K extends keyof ProtocolTable>(name: K, impl: ProtocolTable[K]): void {
  protocols[name] = impl;
}

/**
 * The protocol `name`, or a MongooseError (ERR_PROTOCOL_NOT_LOADED) when
 * nothing registered it: only a build that leaves the protocol out (an entry
 * other than the package's) can meet that.
 */
export function protocol<K extends keyof ProtocolTable>(name: K): ProtocolTable[K] {
  const p = entry(name) as ProtocolTable[K] | undefined;
  if (p === undefined) {
    throw new MongooseError("ERR_PROTOCOL_NOT_LOADED", `the ${name} protocol is not loaded (import ts/${folder[name]}/register.ts)`);
  }
  return p;
}

const folder: Record<keyof ProtocolTable, string> = { http: "http", ws: "ws", mqtt: "mqtt", tls: "tls", udp: "dgram", sntp: "dgram" };

// Named loads, not protocols[name]: protocol() runs on every request with
// several names, which makes a keyed load megamorphic in optimized code.
function entry(name: keyof ProtocolTable): ProtocolTable[keyof ProtocolTable] | undefined {
  switch (name) {
    case "http": return protocols.http;
    case "ws": return protocols.ws;
    case "mqtt": return protocols.mqtt;
    case "tls": return protocols.tls;
    case "udp": return protocols.udp;
    case "sntp": return protocols.sntp;
    default: return undefined;
  }
}
