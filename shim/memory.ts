// memory.ts: an in-process loopback Network (the browser's default, and a
// deterministic network for Node tests).
//
// Listeners are keyed by "host:port" of the Endpoint, so `mem://app`,
// `http://app:80` and `tcp://app:1234` are all addresses on it; port 0 on a
// non-mem scheme allocates a free port. Every Manager given the same
// MemoryNetwork instance can reach every listener on it.
//
// Bytes are copied into the peer's inbox by send() and delivered by a
// macrotask, one network-wide FIFO of tasks, so the order of events is
// deterministic. Each inbox holds at most `windowBytes` undelivered bytes:
// that is the backpressure window (send() takes less, `writable` follows when
// the peer has read). Graceful close delivers what was sent, then `ended`;
// forced close drops what the peer has not read yet and sends `ended` at once
// (like a socket destroyed with data still in flight). A connect to a name
// nobody listens on fails with an error whose code is "ECONNREFUSED".

import { TypeError, RangeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { ListenError, describe as describeArg } from "./errors";
import type { Address, Endpoint, Network, NetworkEvents } from "./network";
import { MemoryDatagrams, type MemoryDatagramOptions } from "./memory-udp";

/** Options of {@link memoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Undelivered bytes a socket buffers for its reader before send() returns short. Default 64 KiB. */
  windowBytes?: number;
  /** udp:// behaviour: loss and reordering for tests (also switchable later through `datagrams`). */
  datagrams?: MemoryDatagramOptions;
}

/** An Error carrying a socket-style `code` ("ECONNREFUSED", "EADDRINUSE", ...). */
export interface MemoryNetworkError extends Error {
  code: string;
}

/** Default per-socket window: bytes a reader may leave unread before the writer is held back. */
export const MEMORY_WINDOW_BYTES = 64 * 1024;

/** First port handed out for port 0 listeners and client sockets. */
const FIRST_EPHEMERAL_PORT = 49152;

/** "mem://app" or "http://app:80", for messages. */
function endpointText(ep: Endpoint, host: string): string {
  return ep.scheme === "mem" && ep.port === 0 ? `mem://${host}` : `${ep.scheme}://${host}:${ep.port}`;
}

function netError(code: string, message: string): MemoryNetworkError {
  return Object.assign(new Error(`${message} (${code})`), { code });
}

/** Runs a callback as a macrotask: setImmediate (Node), MessageChannel (browsers), else setTimeout. */
function macrotaskScheduler(): (fn: () => void) => void {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === "function") {
    const setImmediateFn = g.setImmediate;
    return (fn) => { setImmediateFn(fn); };
  }
  if (typeof MessageChannel === "function") {
    // Unlike nested setTimeout(0), a message is not clamped to 4 ms.
    const channel = new MessageChannel();
    const pending: (() => void)[] = [];
    channel.port1.onmessage = () => pending.shift()?.();
    return (fn) => { pending.push(fn); channel.port2.postMessage(0); };
  }
  return (fn) => { setTimeout(fn, 0); };
}

/** One end of an in-memory stream. Handed to `events.accepted` as the opaque socket. */
class MemorySocket {
  id = 0;
  events: NetworkEvents | undefined;
  peer: MemorySocket | undefined;
  /** Bytes the peer sent that this end has not delivered yet. */
  inbox: Uint8Array[] = [];
  inboxBytes = 0;
  paused = false;
  /** The peer closed gracefully: deliver `ended` once the inbox is empty. */
  peerEnded = false;
  /** The peer was destroyed: deliver `ended` now, drop the inbox. */
  peerReset = false;
  endedSent = false;
  closed = false;
  /** send() came back short: call `writable` when the peer has read. */
  wantWritable = false;
  pumpQueued = false;

  constructor(public local: Address, public remote: Address) {}
}

/** A bound listener: where connects to its key land. */
class MemoryListener {
  closed = false;
  constructor(public id: number, public key: string, public events: NetworkEvents, public address: Address) {}
}

function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

/** The in-process network. Share one instance between Managers that must reach each other. */
export class MemoryNetwork implements Network {
  /** Always "memory". */
  readonly name = "memory";
  /** Undelivered bytes each socket buffers before its writer is held back. */
  readonly windowBytes: number;
  private readonly entries = new Map<number, MemorySocket | MemoryListener>();
  private readonly listeners = new Map<string, MemoryListener>();
  private nextPort = FIRST_EPHEMERAL_PORT;
  private tasks: (() => void)[] = [];
  private flushQueued = false;
  private readonly schedule = macrotaskScheduler();
  /** The udp:// sockets; set `datagrams.loss` / `datagrams.reorder` to simulate a lossy network. */
  readonly datagrams: MemoryDatagrams;

  constructor(opts: MemoryNetworkOptions = {}) {
    if (opts === null || typeof opts !== "object") throw new TypeError(`memoryNetwork: options must be an object, got ${describeArg(opts)}`);
    const w = opts.windowBytes ?? MEMORY_WINDOW_BYTES;
    if (!Number.isInteger(w) || w < 1) throw new RangeError(`memoryNetwork: windowBytes must be a positive integer, got ${String(w)}`);
    this.windowBytes = w;
    this.datagrams = new MemoryDatagrams((task) => this.enqueue(task), opts.datagrams);
  }

  /** Names (host:port keys) currently listening, for diagnostics. */
  get listening(): string[] {
    return [...this.listeners.keys()];
  }

  listen(id: number, ep: Endpoint, events: NetworkEvents): Address {
    if (ep.scheme === "udp") return this.datagrams.listen(id, { ...ep, host: this.checkEndpoint(ep) }, events);
    const host = this.checkEndpoint(ep);
    let port = ep.port;
    if (port === 0 && ep.scheme !== "mem") port = this.allocatePort(host);
    const key = `${host}:${port}`;
    if (this.listeners.has(key)) {
      const where = endpointText({ ...ep, port }, host);
      throw new ListenError(where, "EADDRINUSE", netError("EADDRINUSE", `${where} is already in use on this memory network`));
    }
    const listener = new MemoryListener(id, key, events, { address: host, port, family: "mem" });
    this.listeners.set(key, listener);
    this.entries.set(id, listener);
    return { ...listener.address };
  }

  adopt(id: number, socket: unknown): void {
    if (!(socket instanceof MemorySocket)) throw new TypeError(`memoryNetwork.adopt: not a socket of this network: ${String(socket)}`);
    if (socket.id === id) return;   // already adopted by the accept path
    if (socket.id !== 0) throw new RangeError(`memoryNetwork.adopt: socket already belongs to connection ${socket.id}, not ${id}`);
    socket.id = id;
    this.entries.set(id, socket);
    this.queuePump(socket);
  }

  /** Names of this network resolve to themselves. */
  lookup(host: string): Promise<Address> {
    return Promise.resolve({ address: host, port: 0, family: "mem" });
  }

  connect(id: number, ep: Endpoint, events: NetworkEvents): void {
    if (ep.scheme === "udp") return this.datagrams.connect(id, { ...ep, host: this.checkEndpoint(ep) }, events);
    const host = this.checkEndpoint(ep);
    const key = `${host}:${ep.port}`;
    const local: Address = { address: host, port: this.allocatePort(host), family: "mem" };
    const client = new MemorySocket(local, { address: host, port: ep.port, family: "mem" });
    client.id = id;
    client.events = events;
    this.entries.set(id, client);
    this.enqueue(() => {
      if (client.closed) return;
      events.resolved(id);
      if (client.closed) return;
      const listener = this.listeners.get(key);
      if (!listener || listener.closed) {
        events.error(id, netError("ECONNREFUSED", `connect: nothing listens on ${endpointText(ep, host)} in this memory network`));
        return;
      }
      const server = new MemorySocket({ ...listener.address }, { ...local });
      server.events = listener.events;
      server.peer = client;
      client.peer = server;
      const accepted = listener.events.accepted(listener.id, server);
      if (accepted === 0) this.closeSocket(server, false);             // refused: the client sees connect then EOF
      else if (server.id === 0) this.adopt(accepted, server);
      if (!client.closed) events.connected(id);
    });
  }

  send(id: number, data: Uint8Array, to?: Address): number {
    const s = this.entries.get(id);
    if (s === undefined && this.datagrams.owns(id)) return this.datagrams.send(id, data, to);
    if (!(s instanceof MemorySocket) || s.closed || !s.peer) return 0;
    const peer = s.peer;
    if (peer.closed) return data.length;      // the reader is gone: bytes are discarded, like after a half-close
    const room = this.windowBytes - peer.inboxBytes;
    const n = Math.min(room, data.length);
    if (n > 0) {
      // Copy (the caller's buffer is core memory). Uint8Array's slice, not a Buffer's view.
      peer.inbox.push(Uint8Array.prototype.slice.call(data, 0, n));
      peer.inboxBytes += n;
      this.queuePump(peer);
    }
    if (n < data.length) s.wantWritable = true;
    return n;
  }

  pause(id: number, paused: boolean): void {
    if (this.datagrams.owns(id)) return this.datagrams.pause(id, paused);
    const s = this.entries.get(id);
    if (!(s instanceof MemorySocket) || s.paused === paused) return;
    s.paused = paused;
    if (!paused) this.queuePump(s);
  }

  close(id: number, force: boolean): void {
    if (this.datagrams.owns(id)) return this.datagrams.close(id);
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    if (entry instanceof MemoryListener) {
      entry.closed = true;
      if (this.listeners.get(entry.key) === entry) this.listeners.delete(entry.key);
      return;
    }
    this.closeSocket(entry, force);
  }

  localAddr(id: number): Address | undefined {
    if (this.datagrams.owns(id)) return this.datagrams.localAddr(id);
    const e = this.entries.get(id);
    if (!e) return undefined;
    return { ...(e instanceof MemoryListener ? e.address : e.local) };
  }

  remoteAddr(id: number): Address | undefined {
    if (this.datagrams.owns(id)) return this.datagrams.remoteAddr(id);
    const e = this.entries.get(id);
    return e instanceof MemorySocket ? { ...e.remote } : undefined;
  }

  /** The memory network never holds a Node process open: nothing to do. */
  ref(_on: boolean): void {}

  private checkEndpoint(ep: Endpoint): string {
    const host = ep.host.toLowerCase();
    if (!host) throw new TypeError(`the memory network needs a name, as in mem://app or http://app:80, got ${JSON.stringify(ep.host)}`);
    if (!Number.isInteger(ep.port) || ep.port < 0 || ep.port > 65535) throw new RangeError(`memory network: bad port ${String(ep.port)}`);
    return host;
  }

  private allocatePort(host: string): number {
    for (let tries = 0; tries < 65536; tries++) {
      const port = this.nextPort;
      this.nextPort = port >= 65535 ? FIRST_EPHEMERAL_PORT : port + 1;
      const key = `${host}:${port}`;
      if (!this.listeners.has(key)) return port;
    }
    throw new ListenError(`${host}:0`, "EADDRNOTAVAIL", netError("EADDRNOTAVAIL", `no free port on ${host} in this memory network`));
  }

  private closeSocket(s: MemorySocket, force: boolean): void {
    if (s.closed) return;
    s.closed = true;
    s.inbox = [];
    s.inboxBytes = 0;
    const peer = s.peer;
    if (!peer || peer.closed) return;
    if (force) {
      peer.inbox = [];
      peer.inboxBytes = 0;
      peer.peerReset = true;
    } else {
      peer.peerEnded = true;
    }
    // A writer held back by us would wait forever: wake it; what it sends now is discarded.
    if (peer.wantWritable) this.queueWritable(peer);
    this.queuePump(peer);
  }

  private queueWritable(s: MemorySocket): void {
    s.wantWritable = false;
    this.enqueue(() => {
      if (!s.closed && s.id && s.events) s.events.writable(s.id);
    });
  }

  private queuePump(s: MemorySocket): void {
    if (s.pumpQueued) return;
    s.pumpQueued = true;
    this.enqueue(() => this.pump(s));
  }

  /** Delivers a socket's inbox (unless paused), wakes its held-back writer, then reports EOF. */
  private pump(s: MemorySocket): void {
    s.pumpQueued = false;
    if (s.closed || s.id === 0 || !s.events || s.endedSent) return;
    const events = s.events;
    if (s.peerReset) {
      s.endedSent = true;
      events.ended(s.id);
      return;
    }
    while (!s.paused && s.inboxBytes > 0 && !s.closed) {
      const chunk = concatChunks(s.inbox, s.inboxBytes);
      s.inbox = [];
      s.inboxBytes = 0;
      events.data(s.id, chunk);
    }
    const writer = s.peer;
    if (writer && writer.wantWritable && !writer.closed && s.inboxBytes < this.windowBytes) this.queueWritable(writer);
    if (!s.closed && s.inboxBytes === 0 && s.peerEnded && !s.endedSent) {
      s.endedSent = true;
      events.ended(s.id);
    }
  }

  private enqueue(task: () => void): void {
    this.tasks.push(task);
    if (this.flushQueued) return;
    this.flushQueued = true;
    this.schedule(() => this.runTasks());
  }

  /** Runs the tasks queued so far (later ones go to the next macrotask, so timers and I/O interleave). */
  private runTasks(): void {
    this.flushQueued = false;
    const batch = this.tasks;
    this.tasks = [];
    let failure: unknown;
    for (const task of batch) {
      try {
        task();
      } catch (err) {
        // A throwing event sink must not lose the rest of the batch; report it after.
        failure ??= err;
      }
    }
    if (failure !== undefined) setTimeout(() => { throw failure; }, 0);
  }
}

/**
 * Creates an in-process network: `new Manager(handler, { network: memoryNetwork() })`.
 * Listeners are reached by name (`mem://app`, or `http://app:80`) from every
 * Manager that shares the instance. The browser build uses one by default.
 */
export function memoryNetwork(opts?: MemoryNetworkOptions): MemoryNetwork {
  return new MemoryNetwork(opts);
}
