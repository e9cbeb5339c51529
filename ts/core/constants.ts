// constants.ts: event numbers, WebSocket opcodes and log levels, numbered as
// in the C core (wasm/src/net.h) and the public API (API.md).
import { TypeError } from "./errors"; // Node's argument-error codes (errors.ts)

/** An error occurred; data is the message string. */
export const MG_EV_ERROR = 0;
/** Connection created (listener, client or accepted). */
export const MG_EV_OPEN = 1;
/** Fired on every connection by each Manager poll tick. */
export const MG_EV_POLL = 2;
/** Outbound connection: host name resolved. */
export const MG_EV_RESOLVE = 3;
/** Outbound connection: established. */
export const MG_EV_CONNECT = 4;
/** Inbound connection accepted. */
export const MG_EV_ACCEPT = 5;
/** TLS handshake done. */
export const MG_EV_TLS_HS = 6;
/** Bytes received; data is the byte count. */
export const MG_EV_READ = 7;
/** Bytes handed to the socket; data is the byte count. */
export const MG_EV_WRITE = 8;
/** Connection closed; last event it gets. */
export const MG_EV_CLOSE = 9;
/** HTTP head received; data is an HttpMessage (body not yet there). */
export const MG_EV_HTTP_HDRS = 10;
/** Full HTTP message received; data is an HttpMessage. */
export const MG_EV_HTTP_MSG = 11;
/** WebSocket handshake done. */
export const MG_EV_WS_OPEN = 12;
/** WebSocket message received. */
export const MG_EV_WS_MSG = 13;
/** WebSocket control frame received. */
export const MG_EV_WS_CTL = 14;
/** MQTT command received. */
export const MG_EV_MQTT_CMD = 15;
/** MQTT PUBLISH received. */
export const MG_EV_MQTT_MSG = 16;
/** MQTT CONNACK received. */
export const MG_EV_MQTT_OPEN = 17;
/** SNTP time received. */
export const MG_EV_SNTP_TIME = 18;
/** Manager.wakeup() delivered; data is a Uint8Array. */
export const MG_EV_WAKEUP = 19;
/** First number free for user-defined events. */
export const MG_EV_USER = 20;

/** WebSocket continuation frame opcode (a fragment after the first). */
export const WEBSOCKET_OP_CONTINUE = 0;
/** WebSocket text frame opcode. */
export const WEBSOCKET_OP_TEXT = 1;
/** WebSocket binary frame opcode. */
export const WEBSOCKET_OP_BINARY = 2;
/** WebSocket close frame opcode. */
export const WEBSOCKET_OP_CLOSE = 8;
/** WebSocket ping frame opcode. */
export const WEBSOCKET_OP_PING = 9;
/** WebSocket pong frame opcode. */
export const WEBSOCKET_OP_PONG = 10;

/** Log level: nothing. */
export const MG_LL_NONE = 0;
/** Log level: errors. */
export const MG_LL_ERROR = 1;
/** Log level: informational. */
export const MG_LL_INFO = 2;
/** Log level: debugging. */
export const MG_LL_DEBUG = 3;
/** Log level: everything. */
export const MG_LL_VERBOSE = 4;

const EVENT_NAMES = [
  "MG_EV_ERROR", "MG_EV_OPEN", "MG_EV_POLL", "MG_EV_RESOLVE", "MG_EV_CONNECT",
  "MG_EV_ACCEPT", "MG_EV_TLS_HS", "MG_EV_READ", "MG_EV_WRITE", "MG_EV_CLOSE",
  "MG_EV_HTTP_HDRS", "MG_EV_HTTP_MSG", "MG_EV_WS_OPEN", "MG_EV_WS_MSG", "MG_EV_WS_CTL",
  "MG_EV_MQTT_CMD", "MG_EV_MQTT_MSG", "MG_EV_MQTT_OPEN", "MG_EV_SNTP_TIME",
  "MG_EV_WAKEUP", "MG_EV_USER",
] as const;

/**
 * Name of an event number: `eventName(11) === "MG_EV_HTTP_MSG"`. User events
 * above MG_EV_USER are named `"MG_EV_USER+N"`; any other number (negative,
 * fractional, NaN) is `"MG_EV_UNKNOWN(<n>)"`, as the reference answers
 * rather than raising. A non-number throws a TypeError.
 */
export function eventName(ev: number): string {
  if (typeof ev !== "number") throw new TypeError(`eventName: ev must be a number, got ${typeof ev}`);
  // As the reference: a number that is no event is named, not thrown on.
  if (!Number.isInteger(ev) || ev < 0) return `MG_EV_UNKNOWN(${String(ev)})`;
  if (ev < EVENT_NAMES.length) return EVENT_NAMES[ev];
  return `MG_EV_USER+${ev - MG_EV_USER}`;
}
