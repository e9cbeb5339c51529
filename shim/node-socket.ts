// node-socket.ts: the Network over node:net sockets, the portable fallback
// where node-handle.ts cannot reach libuv's TCP handles. One per Manager.
//
// Listeners bind synchronously (net.Server#_listen2, the hook cluster uses)
// so the port is known when listen() returns. Sockets report data/EOF/errors
// through NetworkEvents; send() copies out of linear memory once (the view
// is reused by the core) into a Buffer it writes with one socket.write, and
// applies a high-water mark for backpressure. One set of listener functions
// serves every socket (state on the socket, no closures per connection).
import * as net from "node:net";
import type { Address, Endpoint, ListenOptions, Network, NetworkEvents } from "./network";
import { checkReusePort, needsNetListen, netListen } from "./net-listen";
import { checkTcpConnect, endpointUrl, HIGH_WATER, LINGER_MS, tcpListenHost } from "./tcp-endpoint";
import { bindListen, errnoName, listenError, tcpBindings } from "./uv";
import { prepareTls, startTls, tlsFailure } from "./node-tls";
import type { TlsParams } from "./tls-params";
import { handOver, recycle, writeBuf } from "./write-slabs";

/**
 * Sends from this size up go through the transports' reusable write slabs
 * (write-slabs.ts) instead of a fresh Buffer each: below it
 * Buffer.allocUnsafe takes a slice of Node's pool, which is cheap; above,
 * every fresh Buffer is a new allocation whose pages fault in, and garbage
 * until the GC comes (a 1 GiB file to a fast client: many MB of RSS).
 */
const SLAB_MIN = 4096;

/** Copy `data` out of linear memory and write it to `socket`: one copy, one write. */
function writeCopy(socket: net.Socket, data: Uint8Array): void {
  const len = data.length;
  if (len < SLAB_MIN) {
    const copy = Buffer.allocUnsafe(len);
    copy.set(data);
    socket.write(copy);
    return;
  }
  const buf = writeBuf(len);
  buf.set(data);
  // The stream keeps the slab while the write is queued: it goes back to the
  // spare list when the write completes (the callback always runs after
  // write() returns, so `queuedIn` is known by then).
  let queuedIn = false;
  socket.write(buf, () => { if (queuedIn) recycle(buf); });
  if (socket.writableLength !== 0) {
    queuedIn = true;
    handOver(buf);
  }
}

interface SocketState {
  id: number;
  socket: net.Socket;
  events: NetworkEvents;
  /** close() was called: no more events, input discarded. */
  closed: boolean;
  /** ended/error already reported. */
  reported: boolean;
  /** send() returned short; report 'drain' as writable. */
  wantWritable: boolean;
  resolved: boolean;
  /** A TLS handshake is under way: an error now is a failed handshake. */
  tlsPending: boolean;
  /** The socket map of the network that owns it. */
  owner: Map<number, SocketState>;
  linger?: ReturnType<typeof setTimeout>;
}

// The socket that delivered data last: the answer to it usually follows at
// once (send() for the same id), which then needs no map lookup.
let hotState: SocketState | undefined;

/** A closed socket leaves its network's map (unless its id now names another socket). */
function forget(st: SocketState): void {
  if (st.owner.get(st.id) === st) st.owner.delete(st.id);
  if (hotState === st) hotState = undefined;
}

/** Where a socket keeps its SocketState, so one set of listener functions serves every socket. */
const kState = Symbol("tsmongoose.socketState");
type StatefulSocket = net.Socket & { [kState]: SocketState };

// Socket listeners, shared by all sockets (no closures per connection).
function onData(this: StatefulSocket, chunk: Buffer): void {
  const st = this[kState];
  if (st.closed) return;
  hotState = st;
  st.events.data(st.id, chunk);
}

function onEnd(this: StatefulSocket): void {
  const st = this[kState];
  if (st.closed) {
    finish(st); // peer answered our FIN (or ended first): done
  } else if (!st.reported) {
    st.reported = true;
    st.events.ended(st.id);
  }
}

function onError(this: StatefulSocket, err: Error): void {
  const st = this[kState];
  if (st.closed || st.reported) return;
  st.reported = true;
  st.events.error(st.id, st.tlsPending ? tlsFailure(err) : err);
}

/** The TLS handshake completed (node-tls.ts verified the peer). */
function onSecure(this: net.Socket): void {
  const st = (this as StatefulSocket)[kState];
  st.tlsPending = false;
  if (!st.closed) st.events.tlsReady?.(st.id);
}

function onClose(this: StatefulSocket): void {
  const st = this[kState];
  if (st.linger) clearTimeout(st.linger);
  forget(st);
  if (!st.closed && !st.reported) {
    st.reported = true;
    st.events.ended(st.id);
  }
}

function onDrain(this: StatefulSocket): void {
  const st = this[kState];
  if (st.wantWritable && !st.closed) {
    st.wantWritable = false;
    st.events.writable(st.id);
  }
}

/** Graceful close is complete once our side is flushed: destroy. */
function finish(st: SocketState): void {
  const s = st.socket;
  if (s.destroyed) return;
  if (s.writableFinished) s.destroy();
  else s.once("finish", () => s.destroy());
}

interface ServerState {
  server: net.Server;
  address: Address;
}

/**
 * The errno name of a failed bind/listen on host:port, found by repeating it
 * on a raw handle (Node reports the original error only on the next tick).
 * "EUNKNOWN" when that is not possible or the retry succeeds.
 */
function probeListenError(host: string, port: number, family: number, backlog: number): string {
  const uv = tcpBindings();
  if (uv === undefined) return "EUNKNOWN";
  const result = bindListen(uv, host, port, family, backlog);
  if (typeof result === "number") return errnoName(result);
  result.close();
  return "EUNKNOWN";
}

type Listen2 = (address: string, port: number, addressType: number, backlog: number) => void;

/** Options of socketNetwork(). */
export interface SocketNetworkOptions {
  /** Listen backlog (default 511). */
  backlog?: number;
}

/** socketNetwork()'s Network, plus what node-handle.ts uses to hand TLS connections over. */
export interface SocketNetwork extends Network {
  /** Drive `socket` (connected) as connection `id` from now on. */
  adoptSocket(id: number, socket: net.Socket, events: NetworkEvents): void;
  /** Whether `id` is one of this network's sockets. */
  has(id: number): boolean;
}

/** A Network over node:net sockets: TCP listeners and clients, IPv4 and IPv6. */
export function socketNetwork(opts: SocketNetworkOptions = {}): SocketNetwork {
  const backlog = opts.backlog ?? 511;
  const sockets = new Map<number, SocketState>();
  const servers = new Map<number, ServerState>();
  /** Sockets between 'connection' and adopt(), with the events of their listener. */
  const accepting = new WeakMap<net.Socket, NetworkEvents>();

  function attach(id: number, socket: net.Socket, events: NetworkEvents): SocketState {
    const st: SocketState = { id, socket, events, closed: false, reported: false, wantWritable: false, resolved: false,
      tlsPending: false, owner: sockets };
    sockets.set(id, st);
    if (hotState !== undefined && hotState.id === id) hotState = undefined;
    (socket as StatefulSocket)[kState] = st;
    socket.setNoDelay(true);
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.on("drain", onDrain);
    return st;
  }

  function onConnection(id: number, events: NetworkEvents): (socket: net.Socket) => void {
    return (socket: net.Socket) => {
      accepting.set(socket, events);
      const cid = events.accepted(id, socket); // the Manager calls adopt() inside
      accepting.delete(socket);
      if (cid === 0) socket.destroy();
    };
  }

  function listen(id: number, ep: Endpoint, events: NetworkEvents, opts?: ListenOptions): Address | Promise<Address> {
    if (!needsNetListen(opts)) return listenOwn(id, ep, events);
    const url = endpointUrl(ep);
    const { host, family } = tcpListenHost(ep);
    if (opts?.reusePort) checkReusePort(url);
    const nl = netListen(url, host, ep.port, backlog, opts);
    nl.server.on("connection", onConnection(id, events));
    const st: ServerState = { server: nl.server, address: { address: host, port: ep.port, family: family === 6 ? "IPv6" : "IPv4" } };
    servers.set(id, st);
    return nl.bound.then((address) => (st.address = address));
  }

  /** A listener of our own: bound synchronously where Node's _listen2 exists. */
  function listenOwn(id: number, ep: Endpoint, events: NetworkEvents): Address | Promise<Address> {
    const url = endpointUrl(ep);
    const { host, family } = tcpListenHost(ep);
    const listen2 = (net.Server.prototype as unknown as { _listen2?: Listen2 })._listen2;
    if (typeof listen2 === "function") {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true });
      server.on("connection", onConnection(id, events));
      // Synchronous bind. On failure Node leaves _handle null and emits the
      // error on the next tick: swallow that and throw now instead.
      listen2.call(server, host, ep.port, family, backlog);
      if (!(server as unknown as { _handle: unknown })._handle) {
        server.on("error", () => undefined);
        throw listenError(url, host, ep.port, probeListenError(host, ep.port, family, backlog));
      }
      // Bound: later server errors are accept() failures (EMFILE...), which
      // are transient; Node keeps listening, and so do we.
      server.on("error", () => undefined);
      const a = server.address() as net.AddressInfo;
      const address: Address = { address: a.address, port: a.port, family: a.family === "IPv6" ? "IPv6" : "IPv4" };
      servers.set(id, { server, address });
      return address;
    }
    // A runtime without _listen2 (Bun): Server#listen(). Bun binds at once
    // and reports the address; where the address comes later, listen()
    // returns its promise (listener.listening()), failures included.
    const nl = netListen(url, host, ep.port, backlog, { exclusive: true });
    nl.server.on("connection", onConnection(id, events));
    const st: ServerState = { server: nl.server, address: { address: host, port: ep.port, family: family === 6 ? "IPv6" : "IPv4" } };
    servers.set(id, st);
    const a = nl.server.address();
    if (a !== null && typeof a === "object" && a.port !== 0) {
      st.address = { address: a.address, port: a.port, family: a.family === "IPv6" ? "IPv6" : "IPv4" };
      return st.address;
    }
    return nl.bound.then((address) => (st.address = address));
  }

  return {
    name: "node",

    listen,

    adopt(id: number, socket: unknown): void {
      if (!(socket instanceof net.Socket)) throw new TypeError("node network: adopt() needs a net.Socket");
      const events = accepting.get(socket);
      if (!events) throw new TypeError("node network: adopt() is only valid inside events.accepted()");
      // Input is delivered asynchronously, so listeners attached now miss nothing.
      attach(id, socket, events);
    },

    connect(id: number, ep: Endpoint, events: NetworkEvents): void {
      checkTcpConnect(ep);
      const socket = net.connect({ host: ep.host, port: ep.port, noDelay: true, allowHalfOpen: true });
      const st = attach(id, socket, events);
      socket.once("lookup", (err) => {
        if (!err && !st.closed && !st.resolved) {
          st.resolved = true;
          events.resolved(id);
        }
      });
      socket.once("connect", () => {
        if (st.closed) return;
        if (!st.resolved) {
          st.resolved = true; // an IP literal needs no lookup
          events.resolved(id);
        }
        if (!st.closed) events.connected(id);
      });
    },

    send(id: number, data: Uint8Array): number {
      const hot = hotState;
      const st = hot !== undefined && hot.id === id && hot.owner === sockets ? hot : sockets.get(id);
      if (!st || st.closed || st.socket.destroyed || !st.socket.writable) return data.length; // gone: drop
      if (st.socket.writableLength >= HIGH_WATER) {
        st.wantWritable = true;
        return 0;
      }
      writeCopy(st.socket, data);
      return data.length;
    },

    sendKept(id: number, data: Uint8Array): number {
      const st = sockets.get(id);
      if (!st || st.closed || st.socket.destroyed || !st.socket.writable) return data.length; // gone: drop
      if (st.socket.writableLength >= HIGH_WATER) {
        st.wantWritable = true;
        return 0;
      }
      st.socket.write(data); // the stream keeps a reference until written; no copy
      return data.length;
    },

    pause(id: number, paused: boolean): void {
      const st = sockets.get(id);
      if (!st || st.closed) return;
      if (paused) st.socket.pause();
      else st.socket.resume();
    },

    close(id: number, force: boolean): void {
      const srv = servers.get(id);
      if (srv) {
        servers.delete(id);
        srv.server.close();
        return;
      }
      const st = sockets.get(id);
      if (!st) return;
      const s = st.socket;
      if (force) {
        st.closed = true;
        s.destroy();
        return;
      }
      if (st.closed) return;
      st.closed = true;
      if (s.destroyed) return;
      // Half-close after what was written, keep reading (and discarding) so
      // unread input does not turn into a TCP RST, destroy on the peer's FIN
      // or after a linger timeout.
      s.end();
      s.resume();
      if (s.readableEnded) finish(st);
      st.linger = setTimeout(() => s.destroy(), LINGER_MS);
      st.linger.unref();
    },

    queuedBytes(id: number): number {
      return sockets.get(id)?.socket.writableLength ?? 0;
    },

    localAddr(id: number): Address | undefined {
      const srv = servers.get(id);
      if (srv) return srv.address;
      const s = sockets.get(id)?.socket;
      if (!s || s.localAddress === undefined || s.localPort === undefined) return undefined;
      return { address: s.localAddress, port: s.localPort, family: s.localAddress.includes(":") ? "IPv6" : "IPv4" };
    },

    remoteAddr(id: number): Address | undefined {
      const s = sockets.get(id)?.socket;
      if (!s || s.remoteAddress === undefined || s.remotePort === undefined) return undefined;
      return { address: s.remoteAddress, port: s.remotePort, family: s.remoteFamily === "IPv6" ? "IPv6" : "IPv4" };
    },

    adoptSocket(id: number, socket: net.Socket, events: NetworkEvents): void {
      attach(id, socket, events).resolved = true;
    },

    has(id: number): boolean {
      return sockets.has(id);
    },

    tlsInit(id: number, params: TlsParams, pending: readonly Uint8Array[]): void {
      const st = sockets.get(id);
      if (!st || st.closed || st.socket.destroyed) return;
      const raw = st.socket;
      raw.removeListener("data", onData);
      raw.removeListener("end", onEnd);
      raw.removeListener("error", onError);
      raw.removeListener("close", onClose);
      raw.removeListener("drain", onDrain);
      const s = startTls(raw, params, pending, onSecure);
      const next = attach(id, s, st.events);
      next.tlsPending = true;
      next.resolved = true;
      next.wantWritable = st.wantWritable;
    },

    tlsPrepare: prepareTls,

    ref(on: boolean): void {
      for (const { server } of servers.values()) {
        if (on) server.ref();
        else server.unref();
      }
      for (const { socket } of sockets.values()) {
        if (on) socket.ref();
        else socket.unref();
      }
    },
  };
}
