// network.ts: the host half of the network-interface contract, TS side.
//
// A Network owns real (or simulated) sockets and knows nothing of HTTP. The
// Manager gives it connection ids (allocated by the core) and receives socket
// activity through the NetworkEvents it passes in. shim/node.ts implements it
// over node:net; shim/memory.ts over an in-process loopback network.
import type { TlsParams } from "./tls-params";

/** A socket address as reported by `Connection.localAddr` / `remoteAddr`. */
export interface Address {
  address: string;
  port: number;
  family: "IPv4" | "IPv6" | "mem";
}

/** A URL split into the parts a Network needs (produced by ts/url.ts). */
export interface Endpoint {
  scheme: string;   // "http", "tcp", "udp", "mem", ...
  host: string;     // "127.0.0.1", "::1", "localhost", memory name
  port: number;     // 0 = any free port
}

/** Options of Network.listen() (from Manager.listen's options). */
export interface ListenOptions {
  /**
   * Bind with SO_REUSEPORT so that independent processes share the port
   * (the kernel spreads connections among them).
   */
  reusePort?: boolean;
  /** In a node:cluster worker, bind this process's own socket instead of sharing the primary's. */
  exclusive?: boolean;
}

/** What a Network reports back; implemented by the Manager. */
export interface NetworkEvents {
  /**
   * A listener accepted a socket. Returns the new connection id, or 0 to
   * refuse it (the network then closes the socket at once).
   */
  accepted(listenerId: number, socket: unknown): number;
  /** The outbound connection's name was resolved. */
  resolved(id: number): void;
  /** The outbound connection is established. */
  connected(id: number): void;
  /**
   * Bytes arrived. The chunk may be reused by the network after the call.
   * On a udp:// socket each call is one datagram and `from` its sender.
   */
  data(id: number, chunk: Uint8Array, from?: Address): void;
  /**
   * `len` bytes arrived in the read area given to `Network.readArea` (at its
   * start). Optional: a network calls data() when this is absent.
   */
  dataAt?(id: number, len: number): void;
  /** The socket can take output again after send() took less than offered. */
  writable(id: number): void;
  /** The peer closed (EOF) or the socket was reset/destroyed. */
  ended(id: number): void;
  /** A socket error; the connection is being closed. */
  error(id: number, err: Error): void;
  /** The TLS handshake started by `Network.tlsInit` completed (peer verified). */
  tlsReady?(id: number): void;
}

/** The per-host socket layer behind a Manager. */
export interface Network {
  /** Human-readable name ("node", "memory"). */
  readonly name: string;
  /**
   * Bind and listen. Returns the bound address (port 0 is replaced by the
   * real port), or a promise of it where binding is asynchronous (a
   * node:cluster worker, reusePort). Throws (or rejects with) a
   * MongooseError on failure (EADDRINUSE, bad address...).
   */
  listen(id: number, ep: Endpoint, events: NetworkEvents, opts?: ListenOptions): Address | Promise<Address>;
  /** Attach an accepted socket (from `events.accepted`) to connection `id`. */
  adopt(id: number, socket: unknown): void;
  /** Start an outbound connection; progress arrives through `events`. */
  connect(id: number, ep: Endpoint, events: NetworkEvents): void;
  /**
   * Offer bytes. Returns how many were taken (copied); fewer than offered
   * means "full": call again after `events.writable(id)`. On a udp:// socket
   * `data` is one datagram, sent to `to` (a bound socket) or the connected
   * peer, and always taken (datagrams that cannot go are dropped).
   */
  send(id: number, data: Uint8Array, to?: Address): number;
  /**
   * Optional: send up to `len` bytes that `fill` writes into a buffer of the
   * network's own (returns how many it wrote), saving a copy for bodies the
   * host reads from files. Returns bytes sent, 0 when full (call again after
   * `events.writable(id)`, `fill` not called), -1 when the socket is gone or
   * `fill` gave nothing.
   */
  sendWith?(id: number, len: number, fill: (buf: Uint8Array) => number): number;
  /**
   * Optional: send() for bytes the caller keeps unchanged until they are
   * written and that are not in linear memory (a reply() body the host
   * holds): taken by reference, not copied, so a body that backs up behind
   * a slow or reset peer is held once, not twice. Same answers as send().
   */
  sendKept?(id: number, data: Uint8Array): number;
  /**
   * Optional: bytes send() took for `id` that are not written to the peer
   * yet (shutdown reports say how much a forced connection still had to send).
   */
  queuedBytes?(id: number): number;
  /** Stop (true) or resume (false) delivering `data` events for `id`. */
  pause(id: number, paused: boolean): void;
  /**
   * Close `id`. Graceful (`force` false): flush what send() took, half-close,
   * discard further input, and destroy after a short linger. Forced: destroy
   * now. Listeners stop accepting. Idempotent; emits no further events.
   */
  close(id: number, force: boolean): void;
  localAddr(id: number): Address | undefined;
  remoteAddr(id: number): Address | undefined;
  /** Resolve a host name (conn.resolve()); optional: without it only IP literals resolve. */
  lookup?(host: string): Promise<Address>;
  /** Keep the process alive (ref) or not (unref) on account of this network. */
  ref?(on: boolean): void;
  /**
   * Start TLS on connection `id` (absent: this network has no TLS). From now
   * on `data` carries plaintext, `send` takes plaintext; `events.tlsReady`
   * reports the handshake, a failed one is `events.error`. `pending`: bytes
   * read from the socket but not yet given to the core (they belong to the
   * handshake).
   */
  tlsInit?(id: number, tls: TlsParams, pending: readonly Uint8Array[]): void;
  /** Build (and cache) what `tls` needs now, so bad certificates throw here. */
  tlsPrepare?(tls: TlsParams): void;
  /**
   * Optional: read sockets straight into `area` (the core's read area, a
   * view of linear memory) and report those reads with events.dataAt where
   * the events have it. Given again, as a fresh view, whenever linear memory
   * grows.
   */
  readArea?(area: Uint8Array): void;
}
