// limits.ts: the explicit resource limits of a Manager (struct mg_limits in
// wasm/src/net.h), validated here and handed to the core by mgx_set_limits.

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
  /** Keep-alive idle time before the core closes a connection, ms (0 = off). */
  idleTimeoutMs: number;
  /** The request head must arrive within this time, ms (0 = off). */
  headerTimeoutMs: number;
  /** A handler must answer within this time, else 408, ms (0 = off). */
  requestTimeoutMs: number;
}

/** The core's defaults (net.h). A 0 passed for a size limit also means "default". */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxHeaderSize: 16384,
  maxHeaders: 100,
  maxBodySize: 1 << 20,
  recvBufferSize: 1 << 20,
  maxConnections: 10000,
  idleTimeoutMs: 0,
  headerTimeoutMs: 0,
  requestTimeoutMs: 0,
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
