// http-stream.ts: request bodies streamed to a callback (wasm/src/http_stream.c).
// conn.httpStreamBody(onData) from MG_EV_HTTP_HDRS: the core then hands
// every de-chunked piece of the body to `onData` as it arrives (through a
// private event the engine routes here, never to the handler), whatever
// its size, and delivers MG_EV_HTTP_MSG with an empty body at the end.
import { core, u32, u8 } from "../core/loader";
import { describe, TypeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import type { Connection } from "../core/connection";

/** The core's private "body piece" event (MG_EV_X_BODY in http_stream.h). */
export const EV_HTTP_BODY = 1002;

/** Receives one piece of a streamed request body: a view valid only during the call. */
export type BodySink = (piece: Uint8Array, conn: Connection) => void;

const sinks = new WeakMap<Connection, BodySink>();

interface StreamExports {
  mgx_http_stream(c: number): number;
  mgx_http_strict(mgr: number, on: number): void;
}

/** @internal RFC 9112 3.2 on a new manager: HTTP/1.1 requests need exactly one Host, else 400. */
export function strictHttp(mgr: number): void {
  (core() as unknown as StreamExports).mgx_http_strict(mgr, 1);
}

/** conn.httpStreamBody(): true when the body will stream to `onData`. */
export function streamBody(conn: Connection, c: number, onData: BodySink): boolean {
  if (typeof onData !== "function") throw new TypeError(`httpStreamBody: onData must be a function, got ${describe(onData)}`);
  if ((core() as unknown as StreamExports).mgx_http_stream(c) === 0) return false;
  sinks.set(conn, onData);
  return true;
}

/** @internal Engine hook: one piece (struct mg_str at `ptr`) for `conn`'s sink. */
export function routeBody(conn: Connection, ptr: number, report: (err: unknown, conn: Connection) => void): void {
  const sink = sinks.get(conn);
  if (sink === undefined) return;
  const w = u32();
  const p = w[ptr >>> 2], n = w[(ptr >>> 2) + 1];
  try {
    sink(u8().subarray(p, p + n), conn);
  } catch (err) {
    // A sink that fails (a full disk) ends the upload: nothing can answer it correctly.
    report(err, conn);
    conn.close();
  }
}

/** @internal The request finished (MG_EV_HTTP_MSG) or the connection closed: forget the sink. */
export function endBody(conn: Connection): void {
  sinks.delete(conn);
}
