// node-handle.ts: the Network over libuv TCP handles, the layer node:net is
// built on. The default in Node wherever tcpBindings() finds it.
//
// node:net puts a stream (Readable + Writable, events, its own buffering) on
// every socket. The core already has buffers, backpressure and an event loop
// of its own, so this network talks to the handles directly, as Mongoose
// talks to its sockets:
// - reads land in one shared buffer (useUserBuffer), handed to the core,
//   which copies what it keeps: no allocation per read;
// - a send is one copy out of linear memory into a reused slab (write-slabs.ts) and one
//   writeBuffer(), which libuv finishes at once (uv_try_write) unless the
//   kernel buffer is full; only then are the slab and the request object
//   handed over to the pending write and replaced;
// - a graceful close is shutdown() after the queued writes, reading and
//   discarding until the peer's FIN or a linger timeout, then close().
// TLS: tlsInit() hands the connection's handle to node:tls (node-tls.ts),
// wrapped in a net.Socket, for the handshake. Once it is done the TLSWrap
// (node:tls's C++ stream over the TCP handle, the same StreamBase interface)
// is driven like a TCP handle: reads into the shared buffer, writeBuffer(),
// shutdown() (close_notify, then FIN), without the TLSSocket's JS stream.
import { nodeDns } from "./builtins";
import { isIP, Socket } from "node:net";
import type { LookupAddress } from "node:dns";
import type { Address, Endpoint, ListenOptions, Network, NetworkEvents } from "./network";
import { checkReusePort, needsNetListen, netListen, type NetListener } from "./net-listen";
import { checkTcpConnect, endpointUrl, HIGH_WATER, LINGER_MS, tcpListenHost } from "./tcp-endpoint";
import { bindListen, errnoName, listenError, sockName, uvError } from "./uv";
import { handOver, recycle, writeBuf } from "./write-slabs";
import { forgetReader, readIntoShared, readsInCore, readView, setReadArea } from "./read-buffer";
import type { TcpBindings, TcpHandle, UvReq } from "./uv";
import { prepareTls, startTls, tlsFailure } from "./node-tls";
import type { TLSSocket } from "node:tls";
import type { TlsParams } from "./tls-params";

interface HandleState {
  id: number;
  handle: TcpHandle;
  events: NetworkEvents;
  /** The socket map of the network that owns it. */
  owner: Map<number, HandleState>;
  /** close() was called: no more events, input discarded. */
  closed: boolean;
  /** ended/error already reported. */
  reported: boolean;
  /** handle.close() was called. */
  destroyed: boolean;
  /** The peer's FIN arrived. */
  eof: boolean;
  /** Our FIN went out (shutdown completed). */
  shutDown: boolean;
  /** Connected (accepted sockets are from the start). */
  connected: boolean;
  /** The Manager asked for no input (backpressure). */
  paused: boolean;
  /** readStart() is in effect. */
  reading: boolean;
  /** send() returned short; report writable once the queue drains. */
  wantWritable: boolean;
  linger?: ReturnType<typeof setTimeout>;
  /** TLS: node:tls's socket; during the handshake it owns the connection. */
  tls?: TLSSocket;
  /** TLS handshake under way (handle is still the raw TCP handle, unused). */
  handshaking?: boolean;
  /** TLS: bytes in writes not completed yet (the TLSWrap's writeQueueSize is not libuv's). */
  tlsQueued?: number;
  /** TLS: close() waits for tlsQueued to reach 0 before the shutdown. */
  shutdownWaits?: boolean;
  /**
   * TLS: set while a write is in flight, holding what was sent meanwhile. A
   * TLSWrap takes one write at a time (a second one aborts the process), so
   * these go out together when it completes.
   */
  tlsBacklog?: Uint8Array[];
}

/** A write request that went asynchronous: what it must keep alive. */
interface PendingWrite extends UvReq {
  state?: HandleState;
  buffer?: Uint8Array;
}

const kState = Symbol("tsmongoose.handleState");
type StatefulHandle = TcpHandle & { [kState]: HandleState };

let uv: TcpBindings;
/** The write request, reused while writes finish synchronously. */
let spareReq: PendingWrite;
// The socket that delivered data last: the answer to it usually follows at
// once (send() for the same id), which then needs no map lookup.
let hotState: HandleState | undefined;

function setReading(st: HandleState, on: boolean): void {
  if (st.reading === on || st.destroyed) return;
  st.reading = on;
  if (on) st.handle.readStart();
  else st.handle.readStop();
}

/** Close the handle now; no further events. */
function destroy(st: HandleState): void {
  if (st.destroyed) return;
  st.destroyed = true;
  st.reading = false;
  if (st.linger) clearTimeout(st.linger);
  if (st.owner.get(st.id) === st) st.owner.delete(st.id);
  if (hotState === st) hotState = undefined;
  forgetReader(st.handle);
  if (st.tls === undefined) {
    st.handle.close();
  } else if (st.handshaking) {
    st.tls.destroy();
  } else {
    st.handle.close(); // the TLSWrap passes it to the TCP handle
    (st.handle as unknown as { destroySSL?: () => void }).destroySSL?.();
  }
}

/** Bytes written but not yet completed. */
function queued(st: HandleState): number {
  return st.tlsQueued ?? st.handle.writeQueueSize;
}

/** Report a socket error (unless closed or already reported), then destroy. */
function fail(st: HandleState, err: Error): void {
  if (!st.closed && !st.reported) {
    st.reported = true;
    st.events.error(st.id, err);
  }
  destroy(st);
}

function onRead(this: StatefulHandle): void {
  const st = this[kState];
  const n = uv.streamBaseState[uv.kReadBytesOrError];
  if (n > 0) {
    if (st.closed) return; // closing: discard
    hotState = st;
    if (readsInCore && st.events.dataAt !== undefined) st.events.dataAt(st.id, n);
    else st.events.data(st.id, readView.subarray(0, n));
    return;
  }
  if (n === 0) return;
  if (n === uv.UV_EOF) {
    st.eof = true;
    setReading(st, false);
    if (st.closed) {
      if (st.shutDown) destroy(st); // both FINs exchanged
    } else if (!st.reported) {
      st.reported = true;
      st.events.ended(st.id);
    }
    return;
  }
  if (st.closed) destroy(st);
  else fail(st, uvError(n, "read"));
}

function afterWrite(this: PendingWrite, status: number): void {
  const st = this.state as HandleState;
  this.state = undefined;
  if (st.tlsQueued !== undefined && this.buffer !== undefined) st.tlsQueued -= this.buffer.length;
  if (this.buffer !== undefined) recycle(this.buffer);
  this.buffer = undefined;
  const backlog = st.tlsBacklog;
  st.tlsBacklog = undefined;
  if (st.destroyed) return;
  if (status < 0) {
    fail(st, uvError(status, "write"));
  } else if (backlog !== undefined && backlog.length > 0) {
    const next = backlog.length === 1 ? backlog[0] : Buffer.concat(backlog);
    st.tlsQueued! -= next.length; // counted again by writeOut if it goes asynchronous
    writeOut(st, next);
    if (st.tlsBacklog === undefined) afterSettled(st); // it completed at once
  } else afterSettled(st);
}

/** A write completed and nothing waits behind it: shut down or report writable as due. */
function afterSettled(st: HandleState): void {
  if (st.shutdownWaits && st.tlsQueued === 0) {
    st.shutdownWaits = false;
    shutDown(st);
  } else if (st.wantWritable && !st.closed && queued(st) === 0) {
    st.wantWritable = false;
    st.events.writable(st.id);
  }
}

/** Copy `data` out of linear memory and write it: one copy, one write. */
function write(st: HandleState, data: Uint8Array): void {
  const buf = writeBuf(data.length);
  buf.set(data);
  writeOut(st, buf);
}

/** Write `buf` (a writeBuf() buffer, filled). */
function writeOut(st: HandleState, buf: Uint8Array): void {
  if (st.tlsBacklog !== undefined) {
    st.tlsBacklog.push(buf);
    st.tlsQueued! += buf.length;
    handOver(buf);
    return;
  }
  const req = spareReq;
  req.oncomplete = afterWrite;
  const err = st.handle.writeBuffer(req, buf);
  if (err < 0) {
    // Reported on the next tick: this runs inside the core's host_send.
    process.nextTick(fail, st, uvError(err, "write"));
  } else if (uv.streamBaseState[uv.kLastWriteWasAsync] !== 0) {
    // libuv holds on to the bytes and the request until the write completes.
    req.state = st;
    req.buffer = buf;
    if (st.tlsQueued !== undefined) {
      st.tlsQueued += buf.length;
      st.tlsBacklog = [];
    }
    spareReq = new uv.WriteWrap();
    handOver(buf);
  }
}

/** Start the graceful shutdown (FIN; TLS: close_notify first); false if the handle refused (then destroyed). */
function shutDown(st: HandleState): boolean {
  const req: UvReq & { state?: HandleState } = new uv.ShutdownWrap();
  req.oncomplete = afterShutdown;
  req.state = st;
  if (st.handle.shutdown(req) < 0) {
    destroy(st);
    return false;
  }
  return true;
}

function afterShutdown(this: UvReq & { state?: HandleState }, status: number): void {
  const st = this.state as HandleState;
  this.state = undefined;
  st.shutDown = true;
  if (status < 0 || st.eof) destroy(st);
}

function lingerExpired(st: HandleState): void {
  destroy(st);
}

// node:tls's socket during the handshake (this = the TLSSocket, state on it).
type TlsOwned = TLSSocket & { [kState]: HandleState };

function onTlsError(this: TlsOwned, err: Error): void {
  const st = this[kState];
  if (st.handshaking) {
    if (!st.closed && !st.reported) {
      st.reported = true;
      st.events.error(st.id, tlsFailure(err));
    }
    destroy(st);
  } else {
    fail(st, err); // a TLS alert or bad record on an established session
  }
}

function onTlsGone(this: TlsOwned): void {
  const st = this[kState];
  if (!st.handshaking) return;
  if (!st.closed && !st.reported) {
    st.reported = true;
    st.events.ended(st.id);
  }
  destroy(st);
}

/** A safety net: plaintext the TLSSocket delivers itself before the takeover. */
function onTlsData(this: TlsOwned, chunk: Buffer): void {
  const st = this[kState];
  if (!st.closed) st.events.data(st.id, chunk);
}

/** Handshake done, peer verified: drive the TLSWrap like a TCP handle from now on. */
function onTlsSecure(this: TLSSocket): void {
  const s = this as TlsOwned;
  const st = s[kState];
  const h = (s as unknown as { _handle?: TcpHandle })._handle;
  if (h === undefined || h === null || st.destroyed) return;
  s.removeListener("data", onTlsData);
  s.removeListener("end", onTlsGone);
  s.removeListener("close", onTlsGone);
  st.handshaking = false;
  st.tlsQueued = 0;
  st.handle = h;
  (h as StatefulHandle)[kState] = st;
  h.onread = onRead;
  readIntoShared(h);
  st.reading = true; // the TLSSocket started reading for the handshake
  st.connected = true;
  if (st.closed) return;
  st.events.tlsReady?.(st.id);
  if (st.closed || st.destroyed) return;
  if (st.paused) setReading(st, false);
  if (st.wantWritable) {
    st.wantWritable = false;
    st.events.writable(st.id);
  }
}

interface ListenerState {
  /** The listening handle (closed with the listener), unless `server` owns it. */
  handle?: TcpHandle;
  /** A listener bound through node:net (cluster worker, reusePort). */
  server?: NetListener["server"];
  address: Address;
}

/** Options of handleNetwork(). */
export interface HandleNetworkOptions {
  /** Listen backlog (default 511). */
  backlog?: number;
}

/** A Network over libuv TCP handles. `bindings` from tcpBindings(). */
export function handleNetwork(bindings: TcpBindings, opts: HandleNetworkOptions = {}): Network {
  if (uv === undefined) {
    uv = bindings;
    spareReq = new uv.WriteWrap();
  }
  const backlog = opts.backlog ?? 511;
  const sockets = new Map<number, HandleState>();
  const servers = new Map<number, ListenerState>();
  let refd = true;
  /** The handle being offered through events.accepted(), which adopt() takes. */
  let accepting: { handle: TcpHandle; events: NetworkEvents } | undefined;

  function attach(id: number, handle: TcpHandle, events: NetworkEvents, connected: boolean): HandleState {
    const st: HandleState = { id, handle, events, owner: sockets, closed: false, reported: false, destroyed: false,
      eof: false, shutDown: false, connected, paused: false, reading: false, wantWritable: false };
    sockets.set(id, st);
    if (hotState !== undefined && hotState.id === id) hotState = undefined;
    own(st, handle);
    return st;
  }

  /** Make `handle` the one behind `st`. */
  function own(st: HandleState, handle: TcpHandle): void {
    st.handle = handle;
    (handle as StatefulHandle)[kState] = st;
    handle.onread = onRead;
    readIntoShared(handle);
    if (!refd) handle.unref();
  }

  function onConnection(id: number, events: NetworkEvents): (status: number, client?: TcpHandle) => void {
    return (status: number, client?: TcpHandle) => {
      if (status < 0 || client === undefined) return; // EMFILE and the like: keep listening
      if (!servers.has(id)) {
        client.close();
        return;
      }
      accepting = { handle: client, events };
      let cid = 0;
      try {
        cid = events.accepted(id, client); // the Manager calls adopt() inside
      } finally {
        accepting = undefined;
      }
      if (cid === 0) client.close(); // refused (limits.maxConnections, closing manager)
    };
  }

  function serve(id: number, handle: TcpHandle, events: NetworkEvents): void {
    handle.onconnection = onConnection(id, events);
    if (!refd) handle.unref();
  }

  function listen(id: number, ep: Endpoint, events: NetworkEvents, opts?: ListenOptions): Address | Promise<Address> {
    const { host, family } = tcpListenHost(ep);
    if (needsNetListen(opts)) {
      const url = endpointUrl(ep);
      if (opts?.reusePort) checkReusePort(url);
      const nl = netListen(url, host, ep.port, backlog, opts, onConnection(id, events) as (s: number, h: unknown) => void);
      const st: ListenerState = { server: nl.server, address: { address: host, port: ep.port, family: family === 6 ? "IPv6" : "IPv4" } };
      servers.set(id, st);
      if (!refd) nl.server.unref();
      return nl.bound.then((address) => (st.address = address));
    }
    const handle = bindListen(uv, host, ep.port, family, backlog);
    if (typeof handle === "number") throw listenError(endpointUrl(ep), host, ep.port, errnoName(handle));
    const address = sockName(handle, false) ?? { address: host, port: ep.port, family: family === 6 ? "IPv6" : "IPv4" };
    servers.set(id, { handle, address });
    serve(id, handle, events);
    return address;
  }

  /** Try `addresses` in order until one connects. */
  function dial(st: HandleState, addresses: LookupAddress[], port: number, first: boolean): void {
    const { address, family } = addresses[0];
    if (!first) {
      // A failed attempt's handle cannot be reused: start over on a new one.
      const old = st.handle;
      own(st, new uv.TCP(uv.SOCKET));
      old.close();
    }
    const req = new uv.TCPConnectWrap();
    req.oncomplete = (status: number) => {
      if (st.destroyed) return;
      if (status < 0) {
        if (addresses.length > 1 && !st.closed) dial(st, addresses.slice(1), port, false);
        else fail(st, uvError(status, "connect", address, port));
        return;
      }
      st.connected = true;
      st.handle.setNoDelay(true);
      if (st.closed) {
        destroy(st);
        return;
      }
      st.events.connected(st.id);
      // (TLS started inside that event: node:tls owns the handle until its handshake is done.)
      if (!st.closed && !st.destroyed && st.tls === undefined) {
        if (!st.paused) setReading(st, true);
        if (st.wantWritable) {
          st.wantWritable = false;
          st.events.writable(st.id);
        }
      }
    };
    const err = family === 6 ? st.handle.connect6(req, address, port) : st.handle.connect(req, address, port);
    if (err < 0) process.nextTick(() => fail(st, uvError(err, "connect", address, port)));
  }

  /** send() (`kept`: sendKept(), written by reference, no copy: libuv keeps it until written). */
  function offer(id: number, data: Uint8Array, kept: boolean): number {
    const hot = hotState;
    const st = hot !== undefined && hot.id === id && hot.owner === sockets ? hot : sockets.get(id);
    if (st === undefined || st.closed || st.destroyed) return data.length; // gone: drop
    if (!st.connected || queued(st) >= HIGH_WATER) {
      st.wantWritable = true;
      return 0;
    }
    if (kept) writeOut(st, data);
    else write(st, data);
    return data.length;
  }

  return {
    name: "node",

    listen,

    adopt(id: number, socket: unknown): void {
      if (accepting === undefined || socket !== accepting.handle) {
        throw new TypeError("node network: adopt() is only valid inside events.accepted()");
      }
      const st = attach(id, accepting.handle, accepting.events, true);
      st.handle.setNoDelay(true);
      setReading(st, true);
    },

    connect(id: number, ep: Endpoint, events: NetworkEvents): void {
      checkTcpConnect(ep);
      const st = attach(id, new uv.TCP(uv.SOCKET), events, false);
      const family = isIP(ep.host);
      if (family !== 0) {
        // An IP literal needs no lookup: report it resolved on the next tick, as a lookup would.
        process.nextTick(() => {
          if (st.closed || st.destroyed) return;
          events.resolved(id);
          if (!st.closed && !st.destroyed) dial(st, [{ address: ep.host, family }], ep.port, true);
        });
        return;
      }
      nodeDns().lookup(ep.host, { all: true }, (err, addresses) => {
        if (st.closed || st.destroyed) {
          destroy(st);
          return;
        }
        if (err || addresses.length === 0) {
          fail(st, err ?? uvError(-3008 /* ENOTFOUND */, "getaddrinfo", ep.host));
          return;
        }
        events.resolved(id);
        if (!st.closed && !st.destroyed) dial(st, addresses, ep.port, true);
      });
    },

    send: (id: number, data: Uint8Array): number => offer(id, data, false),

    sendKept: (id: number, data: Uint8Array): number => offer(id, data, true),

    sendWith(id: number, len: number, fill: (buf: Uint8Array) => number): number {
      const st = sockets.get(id);
      if (st === undefined || st.closed || st.destroyed) return -1; // gone
      if (!st.connected || queued(st) >= HIGH_WATER) {
        st.wantWritable = true;
        return 0;
      }
      // The bytes go straight into the write buffer: no copy in between.
      const buf = writeBuf(len);
      const n = fill(buf);
      if (n <= 0) return -1;
      writeOut(st, n === buf.length ? buf : buf.subarray(0, n));
      return n;
    },

    pause(id: number, paused: boolean): void {
      const st = sockets.get(id);
      if (st === undefined || st.closed || st.destroyed) return;
      st.paused = paused;
      if (st.connected && !st.eof) setReading(st, !paused);
    },

    close(id: number, force: boolean): void {
      const srv = servers.get(id);
      if (srv) {
        servers.delete(id);
        if (srv.server) srv.server.close();
        else srv.handle?.close();
        return;
      }
      const st = sockets.get(id);
      if (st === undefined) return;
      if (force || !st.connected) {
        st.closed = true;
        destroy(st);
        return;
      }
      if (st.closed || st.destroyed) return;
      st.closed = true;
      // Our FIN after what was written; keep reading (and discarding) so
      // unread input does not turn into a TCP RST; close on the peer's FIN
      // or after the linger timeout. TLS: close_notify goes out with the
      // shutdown only when no write is in flight, so wait for them first.
      if (st.tlsQueued !== undefined && st.tlsQueued > 0) st.shutdownWaits = true;
      else if (!shutDown(st)) return;
      if (!st.eof) setReading(st, true);
      st.linger = setTimeout(lingerExpired, LINGER_MS, st);
      st.linger.unref();
    },

    queuedBytes(id: number): number {
      const st = sockets.get(id);
      return st === undefined || st.destroyed ? 0 : queued(st);
    },

    localAddr(id: number): Address | undefined {
      const srv = servers.get(id);
      if (srv) return srv.address;
      const st = sockets.get(id);
      return st === undefined || st.destroyed ? undefined : sockName(st.handle, false);
    },

    remoteAddr(id: number): Address | undefined {
      const st = sockets.get(id);
      return st === undefined || st.destroyed || (!st.connected && !st.handshaking) ? undefined : sockName(st.handle, true);
    },

    tlsInit(id: number, params: TlsParams, pending: readonly Uint8Array[]): void {
      const st = sockets.get(id);
      if (st === undefined || st.closed || st.destroyed || !st.connected || st.tls !== undefined) return;
      // node:tls needs a net.Socket around the handle for the handshake.
      setReading(st, false);
      forgetReader(st.handle); // node:tls reads it now (its TLSWrap is renewed in onTlsSecure)
      const raw = new Socket({ handle: st.handle, readable: true, writable: true, allowHalfOpen: true,
        manualStart: true } as ConstructorParameters<typeof Socket>[0]);
      const s = startTls(raw, params, pending, onTlsSecure) as TlsOwned;
      s[kState] = st;
      st.tls = s;
      st.handshaking = true;
      st.connected = false; // output waits for the handshake (send() answers 0)
      if (!refd) s.unref();
      s.on("error", onTlsError);
      s.on("end", onTlsGone);
      s.on("close", onTlsGone);
      s.on("data", onTlsData);
    },

    tlsPrepare: prepareTls,

    readArea: setReadArea,

    ref(on: boolean): void {
      refd = on;
      for (const { handle, server } of servers.values()) {
        const h = server ?? handle;
        if (on) h?.ref();
        else h?.unref();
      }
      for (const { handle } of sockets.values()) {
        if (on) handle.ref();
        else handle.unref();
      }
      for (const st of sockets.values()) {
        if (st.tls !== undefined && st.handshaking) {
          if (on) st.tls.ref();
          else st.tls.unref();
        }
      }
    },
  };
}
