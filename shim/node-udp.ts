// node-udp.ts: udp:// over node:dgram, for both Node transports.
// withDatagrams(tcp) wraps a TCP Network: udp:// endpoints and the ids bound
// to them go to the datagram sockets here, everything else to `tcp` (the
// check costs nothing while no datagram socket exists).
//
// A Network binds synchronously (listen returns the bound address). dgram
// binds after a lookup; with a lookup function that answers IP literals at
// once, bind() completes inside the call, and its error, if any, is emitted
// synchronously too.
import type { Socket, SocketType } from "node:dgram";
import { isIP } from "node:net";
import { nodeDgram, nodeDns } from "./builtins"; // loaded by the first udp:// connection
import { ListenError, TypeError } from "./errors";
import type { Address, Endpoint, Network, NetworkEvents } from "./network";
import { endpointUrl } from "./tcp-endpoint";

type LookupCb = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** dns.lookup, but synchronous for IP literals (see above). */
function lookup(host: string, opts: unknown, cb: LookupCb): void {
  const family = isIP(host);
  if (family !== 0) {
    cb(null, host, family);
    return;
  }
  const fam = typeof opts === "number" ? opts : (opts as { family?: number } | undefined)?.family;
  nodeDns().lookup(host, { family: fam ?? 0 }, (err, address, f) => cb(err, address, f));
}

interface DgramState {
  id: number;
  socket: Socket;
  events: NetworkEvents;
  closed: boolean;
  peer?: Address;
}

function toAddress(a: { address: string; port: number; family: string }): Address {
  return { address: a.address, port: a.port, family: a.family === "IPv6" ? "IPv6" : "IPv4" };
}

/** The datagram half of the Node network. */
export class NodeDatagrams {
  readonly #sockets = new Map<number, DgramState>();
  #refd = true;

  /** Number of open datagram sockets. */
  get size(): number {
    return this.#sockets.size;
  }

  owns(id: number): boolean {
    return this.#sockets.has(id);
  }

  #open(id: number, type: SocketType, events: NetworkEvents): DgramState {
    const socket = nodeDgram().createSocket({ type, lookup: lookup as never });
    const st: DgramState = { id, socket, events, closed: false };
    socket.on("message", (msg, rinfo) => {
      if (!st.closed) events.data(id, msg, toAddress(rinfo));
    });
    socket.on("error", (err) => {
      if (st.closed) return;
      // A bound socket survives ICMP errors (port unreachable after a send): keep it.
      if (st.peer === undefined) return;
      st.closed = true;
      this.#sockets.delete(id);
      events.error(id, err);
      socket.close();
    });
    if (!this.#refd) socket.unref();
    this.#sockets.set(id, st);
    return st;
  }

  listen(id: number, ep: Endpoint, events: NetworkEvents): Address {
    const host = ep.host === "localhost" ? "127.0.0.1" : ep.host;
    const family = isIP(host);
    const url = endpointUrl(ep);
    if (family === 0) {
      throw new TypeError(`listen needs an IP address or localhost, got host ${JSON.stringify(ep.host)} (url ${url})`);
    }
    const st = this.#open(id, family === 6 ? "udp6" : "udp4", events);
    let failure: (Error & { code?: string }) | undefined;
    const onError = (err: Error): void => { failure = err; };
    st.socket.prependListener("error", onError);
    st.socket.bind({ port: ep.port, address: host, exclusive: true });
    st.socket.off("error", onError);
    let bound: Address | undefined;
    try {
      bound = toAddress(st.socket.address());
    } catch {
      // not bound: failure says why
    }
    if (failure !== undefined || bound === undefined) {
      this.#sockets.delete(id);
      st.closed = true;
      try { st.socket.close(); } catch { /* never bound */ }
      throw new ListenError(url, failure?.code ?? "EUNKNOWN", failure);
    }
    return bound;
  }

  connect(id: number, ep: Endpoint, events: NetworkEvents): void {
    const family = isIP(ep.host);
    const v6 = family === 6;
    const start = (address: string, fam: number): void => {
      const st = this.#open(id, fam === 6 ? "udp6" : "udp4", events);
      st.peer = { address, port: ep.port, family: fam === 6 ? "IPv6" : "IPv4" };
      events.resolved(id);
      if (st.closed) return;
      st.socket.connect(ep.port, address, () => {
        if (!st.closed) events.connected(id);
      });
    };
    if (family !== 0) {
      // As for TCP: an IP literal is "resolved" on the next tick.
      process.nextTick(() => start(ep.host, v6 ? 6 : 4));
      return;
    }
    nodeDns().lookup(ep.host, (err, address, fam) => {
      if (err) events.error(id, err);
      else start(address, fam);
    });
  }

  send(id: number, data: Uint8Array, to?: Address): number {
    const st = this.#sockets.get(id);
    if (st === undefined || st.closed) return data.length;
    const copy = Buffer.from(data); // data lives in core memory
    try {
      if (st.peer !== undefined) st.socket.send(copy);
      else if (to !== undefined && to.port > 0) st.socket.send(copy, to.port, to.address);
    } catch {
      // not connected yet, or closed: the datagram is dropped, as UDP may
    }
    return data.length;
  }

  pause(_id: number, _paused: boolean): void {
    // Datagrams the core cannot take are dropped instead (udp.ts).
  }

  close(id: number): void {
    const st = this.#sockets.get(id);
    if (st === undefined) return;
    this.#sockets.delete(id);
    st.closed = true;
    try { st.socket.close(); } catch { /* already closed */ }
  }

  localAddr(id: number): Address | undefined {
    const st = this.#sockets.get(id);
    try {
      return st === undefined ? undefined : toAddress(st.socket.address());
    } catch {
      return undefined;
    }
  }

  remoteAddr(id: number): Address | undefined {
    return this.#sockets.get(id)?.peer;
  }

  ref(on: boolean): void {
    this.#refd = on;
    for (const { socket } of this.#sockets.values()) {
      if (on) socket.ref();
      else socket.unref();
    }
  }
}

/** `tcp` plus udp:// over node:dgram. */
export function withDatagrams(tcp: Network, udp = new NodeDatagrams()): Network {
  const mine = (id: number): boolean => udp.size !== 0 && udp.owns(id);
  const net: Network = {
    name: tcp.name,
    listen: (id, ep, events, opts) => (ep.scheme === "udp" ? udp.listen(id, ep, events) : tcp.listen(id, ep, events, opts)),
    adopt: (id, socket) => tcp.adopt(id, socket),
    connect: (id, ep, events) => (ep.scheme === "udp" ? udp.connect(id, ep, events) : tcp.connect(id, ep, events)),
    send: (id, data, to) => (mine(id) ? udp.send(id, data, to) : tcp.send(id, data)),
    pause: (id, paused) => (mine(id) ? udp.pause(id, paused) : tcp.pause(id, paused)),
    close: (id, force) => (mine(id) ? udp.close(id) : tcp.close(id, force)),
    localAddr: (id) => (mine(id) ? udp.localAddr(id) : tcp.localAddr(id)),
    remoteAddr: (id) => (mine(id) ? udp.remoteAddr(id) : tcp.remoteAddr(id)),
    ref: (on) => {
      udp.ref(on);
      tcp.ref?.(on);
    },
  };
  // Optional members of the TCP network (name resolution, TLS) pass through.
  if (tcp.lookup) net.lookup = (host) => tcp.lookup!(host);
  if (tcp.tlsInit) net.tlsInit = (id, tls, pending) => tcp.tlsInit!(id, tls, pending);
  if (tcp.tlsPrepare) net.tlsPrepare = (tls) => tcp.tlsPrepare!(tls);
  if (tcp.queuedBytes) net.queuedBytes = (id) => (mine(id) ? 0 : tcp.queuedBytes!(id));
  if (tcp.sendKept) net.sendKept = (id, data) => (mine(id) ? udp.send(id, data) : tcp.sendKept!(id, data));
  // Big file bodies are read straight into the TCP transport's write buffer (a datagram id never has one).
  if (tcp.sendWith) net.sendWith = (id, len, fill) => (mine(id) ? -1 : tcp.sendWith!(id, len, fill));
  if (tcp.readArea) net.readArea = (area) => tcp.readArea!(area);
  return net;
}
