// sntp.ts: SNTP client connections (wasm/src/sntp.c).
import { MongooseError, describe, TypeError } from "../core/errors";
import { parseEndpoint } from "../core/url";
import { udpConnect } from "./udp";
import { ucore } from "../util/util-core";
import type { Connection, Handler } from "../core/connection";
import type { Manager } from "../core/manager";

/** Options of sntpConnect(). */
export interface SntpOptions {
  /** Handler of this connection (MG_EV_SNTP_TIME, MG_EV_ERROR...). */
  handler?: Handler;
}

/** The public server the reference library uses by default. */
export const SNTP_DEFAULT_URL = "udp://time.google.com:123";

/** Manager.sntpConnect: a UDP client that sends a request once connected. */
export function sntpConnect(mgr: Manager, url: string, opts: SntpOptions): Connection {
  if (opts === null || typeof opts !== "object") throw new TypeError(`sntpConnect: options must be an object, got ${describe(opts)}`);
  if (opts.handler !== undefined && typeof opts.handler !== "function") {
    throw new TypeError(`sntpConnect: handler must be a function, got ${describe(opts.handler)}`);
  }
  // sntp://host[:123] is the reference's spelling of the same UDP client.
  const sntp = typeof url === "string" ? /^sntp:\/\/(\[[^\]]*\]|[^:/?#]*)(:\d*)?(.*)$/i.exec(url) : null;
  const ep = parseEndpoint(sntp !== null ? `udp://${sntp[1]}${sntp[2] ?? ":123"}${sntp[3]}` : url);
  if (ep.scheme !== "udp") throw new TypeError(`sntpConnect: url must be sntp://host[:port] or udp://host:port, got ${JSON.stringify(url)}`);
  return udpConnect(mgr, ep, opts.handler, (ptr) => ucore().mgx_sntp_init(ptr));
}

/** Connection.sntpRequest: send a request (now, or once connected). */
export function sntpRequest(conn: Connection, c: number): void {
  if (ucore().mgx_sntp_request(c) === 0) {
    throw new MongooseError("ERR_NOT_SNTP", `sntpRequest: connection ${conn.id} is not an SNTP connection (use mgr.sntpConnect)`);
  }
}
