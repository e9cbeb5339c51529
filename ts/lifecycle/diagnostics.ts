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

// One variable per channel: the publish functions run on every request, and a
// keyed lookup there is a megamorphic load in optimized code.
let requestStart: Channel | undefined;
let requestFinish: Channel | undefined;
let requestError: Channel | undefined;
let connectionOpen: Channel | undefined;
let connectionClose: Channel | undefined;

/** @internal Called by the Node entry with node:diagnostics_channel. */
export function installDiagnostics(dc: { channel(name: string): Channel }): void {
  requestStart = dc.channel(CHANNELS.requestStart);
  requestFinish = dc.channel(CHANNELS.requestFinish);
  requestError = dc.channel(CHANNELS.requestError);
  connectionOpen = dc.channel(CHANNELS.connectionOpen);
  connectionClose = dc.channel(CHANNELS.connectionClose);
}

/** @internal */
export function publishRequestStart(connection: Connection, request: HttpMessage): void {
  if (requestStart?.hasSubscribers) requestStart.publish({ connection, request });
}
/** @internal */
export function publishRequestFinish(connection: Connection, status: number): void {
  if (requestFinish?.hasSubscribers) requestFinish.publish({ connection, status });
}
/** @internal */
export function publishRequestError(connection: Connection, error: unknown): void {
  if (requestError?.hasSubscribers) requestError.publish({ connection, error });
}
/** @internal */
export function publishConnection(open: boolean, connection: Connection): void {
  const ch = open ? connectionOpen : connectionClose;
  if (ch?.hasSubscribers) ch.publish({ connection });
}
