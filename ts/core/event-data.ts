// event-data.ts: the `data` argument handlers get, built from host_event's
// ev_data pointer (its type per event is listed in wasm/src/mgx.h), and its
// static type per event (EventDataMap, Handler).
import { i32, u32 } from "./loader";
import { copyBytes, readCString } from "./core";
import type { HttpMessage } from "../http/http-message";
import { protocol } from "./protocols";
import {
  MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_OPEN, MG_EV_POLL,
  MG_EV_READ, MG_EV_RESOLVE, MG_EV_SNTP_TIME, MG_EV_TLS_HS, MG_EV_WAKEUP, MG_EV_WRITE, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN,
  MG_EV_WS_CTL, MG_EV_WS_MSG, MG_EV_WS_OPEN,
} from "./constants";
import type { MqttMessage } from "../mqtt/mqtt-message";
import type { WsMessage } from "../ws/ws";
import type { Connection } from "./connection";

/**
 * MG_EV_ERROR's data: an Error whose `message` is the core's message; `code`
 * and `syscall` are set when the host gave them (a socket error such as
 * ECONNREFUSED / "connect"). `String(err)` is the message alone, as the
 * string data of earlier releases was.
 */
export class ConnectionError extends Error {
  /** System or library code, e.g. "ECONNREFUSED", when known. */
  readonly code?: string;
  /** The system call that failed ("connect", "read", "write"...), when known. */
  readonly syscall?: string;
  /** Create one; `cause` is the host's original error, if any. */
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ConnectionError";
    const c = cause as { code?: unknown; syscall?: unknown } | undefined;
    if (c && typeof c.code === "string") this.code = c.code;
    if (c && typeof c.syscall === "string") this.syscall = c.syscall;
  }

  /** The message alone (not "ConnectionError: ..."). */
  override toString(): string {
    return this.message;
  }
}

/**
 * The `data` a handler receives for each event. Events not listed here
 * (MG_EV_USER and above) carry `unknown` until your module adds an entry by
 * declaration merging:
 *
 *     declare module "tsmongoose" {            // in the repo: declare module "./event-data"
 *       interface EventDataMap { [MG_EV_WS_MSG]: WsMessage }
 *     }
 */
export interface EventDataMap {
  [MG_EV_ERROR]: ConnectionError;
  [MG_EV_OPEN]: undefined;
  [MG_EV_POLL]: undefined;
  [MG_EV_RESOLVE]: undefined;
  [MG_EV_CONNECT]: undefined;
  [MG_EV_ACCEPT]: undefined;
  [MG_EV_TLS_HS]: undefined;
  [MG_EV_READ]: number;
  [MG_EV_WRITE]: number;
  [MG_EV_CLOSE]: undefined;
  [MG_EV_HTTP_HDRS]: HttpMessage;
  [MG_EV_HTTP_MSG]: HttpMessage;
  [MG_EV_WAKEUP]: Uint8Array;
  [MG_EV_MQTT_CMD]: MqttMessage;
  [MG_EV_MQTT_MSG]: MqttMessage;
  [MG_EV_MQTT_OPEN]: number;
  /** The upgrade request (server) or the 101 response (client). */
  [MG_EV_WS_OPEN]: HttpMessage;
  [MG_EV_WS_MSG]: WsMessage;
  [MG_EV_WS_CTL]: WsMessage;
  /** Milliseconds since the epoch (sntp.c). */
  [MG_EV_SNTP_TIME]: number;
}

/** Every event number the core delivers (MG_EV_ERROR .. MG_EV_USER). */
export type EventNumber = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20;

/** The data type of event `E` (unknown for events without an EventDataMap entry). */
export type EventData<E extends number> = E extends keyof EventDataMap ? EventDataMap[E] : unknown;

/** The argument list of a handler: one tuple per event, so checking `ev` narrows `data`. */
export type HandlerArgs<U = any> = {
  [E in EventNumber]: [conn: Connection<U>, ev: E, data: EventData<E>];
}[EventNumber];

/**
 * The event handler: `(conn, ev, data)`, where `data`'s type follows `ev`
 * (`if (ev === MG_EV_HTTP_MSG) data.uri` needs no cast); `U` types
 * `conn.userdata`. It may return a promise: the manager tracks it (conn busy
 * until it settles) and reports a rejection to the errorHandler; a request
 * still unanswered then gets 500 + Connection: close. A plain
 * `(c: Connection, ev: number, data: unknown) => void` is a Handler too.
 * `U` defaults to `any` so a `Handler<MyState>` goes wherever a Handler does
 * (Manager, listen/connect options, setHandler).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler<U = any> = (...args: HandlerArgs<U>) => unknown;

/**
 * A handler with fewer than three parameters (`(conn, ev) => ...`): every
 * API that takes a Handler takes one too (TypeScript cannot match a shorter
 * parameter list against HandlerArgs' event tuples).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ShortHandler<U = any> = (conn: Connection<U>, ev: EventNumber) => unknown;

/** Options carrying a ShortHandler instead of a Handler (listen/connect overloads). */
export type WithShortHandler<T extends { handler?: unknown }> = Omit<T, "handler"> & { handler?: ShortHandler };
import { u8 } from "./loader";

/** Whether `ev`'s data is a message view (HttpMessage), which must be expired after the handler call. */
export function isMessageEvent(ev: number): boolean {
  return ev === MG_EV_HTTP_MSG || ev === MG_EV_HTTP_HDRS || ev === MG_EV_MQTT_CMD || ev === MG_EV_MQTT_MSG ||
    (ev >= MG_EV_WS_OPEN && ev <= MG_EV_WS_CTL);
}

/**
 * Build the handler's data for `ev`. Message views (isMessageEvent) must be
 * expired (`_expire`) after the call. The views come from the protocol table
 * (protocols.ts): the core itself imports none. The common per-request events cost
 * next to nothing: MG_EV_READ/WRITE read one int32, MG_EV_POLL and the other
 * pointer-less events are undefined; only errors and wakeups decode or copy.
 */
export function eventData(ev: number, ptr: number, conn?: Connection): unknown {
  if (ev === MG_EV_READ || ev === MG_EV_WRITE) return ptr ? i32()[ptr >>> 2] : 0;
  if (ev === MG_EV_HTTP_MSG || ev === MG_EV_HTTP_HDRS) return new (protocol("http").HttpMessage)(ptr);
  // WebSocket: the upgrade request (server) or 101 response (client); messages and control frames.
  if (ev === MG_EV_WS_MSG || ev === MG_EV_WS_CTL) return new (protocol("ws").WsMessage)(ptr);
  if (ev === MG_EV_WS_OPEN) return new (protocol("http").HttpMessage)(ptr);
  if (ev === MG_EV_ERROR) {
    const host = conn?._hostError;
    if (conn) conn._hostError = undefined;
    return new ConnectionError(readCString(ptr), host);
  }
  if (ev === MG_EV_MQTT_CMD || ev === MG_EV_MQTT_MSG) return new (protocol("mqtt").MqttMessage)(ptr);
  if (ev === MG_EV_MQTT_OPEN) return ptr ? i32()[ptr >>> 2] : 0; // the CONNACK code
  // A double * (sntp.c): milliseconds since the epoch.
  if (ev === MG_EV_SNTP_TIME) return ptr ? new DataView(u8().buffer).getFloat64(ptr, true) : 0;
  if (ev === MG_EV_WAKEUP) {
    if (!ptr) return new Uint8Array(0);
    const w = u32();
    return copyBytes(w[ptr >>> 2], w[(ptr >>> 2) + 1]);
  }
  return undefined;
}

/** Whether a handler's (or timer callback's) result is a promise-like to track. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}
