// diagnostics.ts: node:diagnostics_channel channels, so tracers (OpenTelemetry
// instrumentations, APMs) hook in without wrapping handlers. The Node entry
// installs node:diagnostics_channel (ts/node.ts); in browsers nothing is
// published. Publishing costs one hasSubscribers check when nobody listens.
import type { Connection } from "../core/connection";
import type { HttpMessage } from "../http/http-message";

/** Channel names (`diagnostics_channel.subscribe(CHANNELS.requestStart, fn)`). */
export const CHANNELS = Object.freeze({
  /** An HTTP request reached the handler: `{ connection, request }` (request valid during the publish only). */
  requestStart: "tsmongoose:http.server.request.start",
  /** A response to it was queued: `{ connection, status }`. */
  requestFinish: "tsmongoose:http.server.response.finish",
  /** Its handler threw or rejected: `{ connection, error }` (the client got 500 or a close). */
  requestError: "tsmongoose:http.server.request.error",
  /** A connection was created (listener, client or accepted): `{ connection }`. */
  connectionOpen: "tsmongoose:connection.open",
  /** A connection closed (its MG_EV_CLOSE was delivered): `{ connection }`. */
  connectionClose: "tsmongoose:connection.close",
});

/** The subset of node:diagnostics_channel's Channel we use. */
interface Channel { readonly hasSubscribers: boolean; publish(message: unknown): void }

let channels: Record<keyof typeof CHANNELS, Channel> | undefined;

/** @internal Called by the Node entry with node:diagnostics_channel. */
export function installDiagnostics(dc: { channel(name: string): Channel }): void {
  const out = {} as Record<keyof typeof CHANNELS, Channel>;
  for (const key of Object.keys(CHANNELS) as (keyof typeof CHANNELS)[]) out[key] = dc.channel(CHANNELS[key]);
  channels = out;
}

function publish(key: keyof typeof CHANNELS, build: () => object): void {
  const ch = channels?.[key];
  if (ch && ch.hasSubscribers) ch.publish(build());
}

/** @internal */
export function publishRequestStart(connection: Connection, request: HttpMessage): void {
  publish("requestStart", () => ({ connection, request }));
}
/** @internal */
export function publishRequestFinish(connection: Connection, status: number): void {
  publish("requestFinish", () => ({ connection, status }));
}
/** @internal */
export function publishRequestError(connection: Connection, error: unknown): void {
  publish("requestError", () => ({ connection, error }));
}
/** @internal */
export function publishConnection(open: boolean, connection: Connection): void {
  publish(open ? "connectionOpen" : "connectionClose", () => ({ connection }));
}
