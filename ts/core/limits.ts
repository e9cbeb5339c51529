// limits.ts: the explicit resource limits of a Manager (struct mg_limits in
// wasm/src/net.h), validated here and handed to the core by mgx_set_limits.
import { TypeError, RangeError } from "./errors"; // Node's argument-error codes (errors.ts)

/** Resource limits of a Manager; every field is optional in `new Manager(..., { limits })`. */
export interface Limits {
  /** Request line + headers, bytes; larger heads get 431. */
  maxHeaderSize: number;
  /** Header count; more get 431 (hard cap 100). */
  maxHeaders: number;
  /** Decoded request body, bytes; larger bodies get 413. */
  maxBodySize: number;
  /** Receive buffer cap of raw (non-HTTP) connections, bytes. */
  recvBufferSize: number;
  /** Accepted connections at once; further sockets are refused. */
  maxConnections: number;
  /**
   * A connection with no activity for this long is closed, ms (0 = off;
   * default 5000). Applies to every connection, raw TCP included, but not
   * to a TLS handshake in progress (`handshakeTimeoutMs` bounds that). HTTP
   * responses that keep the connection open advertise it as
   * `Keep-Alive: timeout=<seconds>`, which is what lets graceful shutdown
   * close idle keep-alive connections without racing a client's next request.
   */
  idleTimeoutMs: number;
  /**
   * A request head must arrive completely within this time of its first
   * byte, else 408 + close (slow-header clients), ms (0 = off; default 30000).
   */
  headerTimeoutMs: number;
  /**
   * From a request's complete head, its body must arrive and its handler
   * start the answer within this time, else the core answers 408 +
   * Connection: close and drains, ms (0 = off; default 300000, as Node's
   * server.requestTimeout, so a trickled body cannot hold a socket forever). A late reply()
   * then returns false while the connection drains, and throws
   * ConnectionClosedError once it is closed.
   */
  requestTimeoutMs: number;
  /**
   * Largest body reply()/replyJson() accept, bytes (default 512 MiB): a
   * larger one throws ReplyTooLargeError (ERR_REPLY_TOO_LARGE) and the client
   * gets 500 + Connection: close. Stream bigger answers with httpChunk().
   */
  maxReplySize: number;
  /**
   * Largest MQTT packet taken from a peer, bytes (capped by recvBufferSize);
   * a bigger one closes the connection with reason 0x95 "packet too large".
   * MQTT 5 clients advertise it as Maximum Packet Size.
   */
  maxMqttPacketSize: number;
  /**
   * Largest WebSocket message (reassembled from its fragments), bytes; a
   * bigger frame or message fails the connection with close 1009 (default 1 MiB).
   */
  maxWsMessageSize: number;
}

/**
 * The defaults every Manager passes to the core. Size limits match the
 * core's own (net.h); the timeouts are the facade's: the native core keeps
 * them off unless the host sets them. A 0 passed for a size limit also
 * means "default".
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxHeaderSize: 16384,
  maxHeaders: 100,
  maxBodySize: 1 << 20,
  recvBufferSize: 1 << 20,
  maxConnections: 10000,
  idleTimeoutMs: 5000,
  headerTimeoutMs: 30000,
  requestTimeoutMs: 300_000,
  maxReplySize: 512 * 1024 * 1024,
  maxMqttPacketSize: 1 << 20,
  maxWsMessageSize: 1 << 20,
});

const KEYS = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];

/**
 * Merge `partial` over the defaults. Unknown keys throw a TypeError; values
 * that are not integers in 0..2^32-1 throw a RangeError. For size and count
 * limits 0 means "the default"; for the timeouts 0 means "off".
 */
export function resolveLimits(partial: Partial<Limits> | undefined): Limits {
  const out: Limits = { ...DEFAULT_LIMITS };
  if (partial === undefined) return out;
  if (partial === null || typeof partial !== "object") {
    throw new TypeError(`limits must be an object, got ${String(partial)}`);
  }
  for (const [key, value] of Object.entries(partial)) {
    if (!(KEYS as string[]).includes(key)) {
      throw new TypeError(`unknown limit ${JSON.stringify(key)} (known: ${KEYS.join(", ")})`);
    }
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(`limits.${key} must be an integer in 0..4294967295, got ${String(value)}`);
    }
    const k = key as keyof Limits;
    out[k] = value === 0 && !k.endsWith("Ms") ? DEFAULT_LIMITS[k] : value;
  }
  if (out.maxHeaders > 100) throw new RangeError(`limits.maxHeaders must be at most 100, got ${out.maxHeaders}`);
  return out;
}
