// memory-udp.ts: datagrams on the in-memory network (udp:// endpoints).
// Sockets are keyed by "host:port" in their own namespace (as UDP ports are
// apart from TCP ports). A datagram goes to the bound socket at its
// destination through the network's task queue; nobody bound there means
// it is dropped, as on a real network. For tests, `loss` drops each datagram
// with that probability and `reorder` shuffles the datagrams of each
// delivery round; `random` makes both reproducible.
import { ListenError, RangeError, TypeError, describe } from "./errors";
import type { Address, Endpoint, NetworkEvents } from "./network";

/** Datagram behaviour of a MemoryNetwork (switchable at any time). */
export interface MemoryDatagramOptions {
  /** Probability (0..1) that a datagram is lost. Default 0. */
  loss?: number;
  /** Deliver the datagrams of each round in random order. Default false. */
  reorder?: boolean;
  /** The random source for loss and reordering (default Math.random). */
  random?: () => number;
}

interface DgramSocket {
  id: number;
  key: string;
  local: Address;
  events: NetworkEvents;
  peer?: Address;
  paused: boolean;
}

interface InFlight {
  to: string;
  data: Uint8Array;
  from: Address;
}

const FIRST_PORT = 49152;

/** The udp:// part of a MemoryNetwork. */
export class MemoryDatagrams {
  loss: number;
  reorder: boolean;
  random: () => number;
  /** Datagrams dropped so far (loss, nobody bound, receiver gone). */
  dropped = 0;
  readonly #byId = new Map<number, DgramSocket>();
  readonly #byKey = new Map<string, DgramSocket>();
  #inFlight: InFlight[] = [];
  #nextPort = FIRST_PORT;

  constructor(private readonly enqueue: (task: () => void) => void, opts: MemoryDatagramOptions = {}) {
    if (opts === null || typeof opts !== "object") throw new TypeError(`memoryNetwork: datagram options must be an object, got ${describe(opts)}`);
    this.loss = opts.loss ?? 0;
    this.reorder = opts.reorder ?? false;
    this.random = opts.random ?? Math.random;
    if (!(this.loss >= 0 && this.loss <= 1)) throw new RangeError(`memoryNetwork: datagram loss must be in 0..1, got ${String(opts.loss)}`);
  }

  owns(id: number): boolean {
    return this.#byId.has(id);
  }

  #port(host: string): number {
    for (let tries = 0; tries < 65536; tries++) {
      const port = this.#nextPort;
      this.#nextPort = port >= 65535 ? FIRST_PORT : port + 1;
      if (!this.#byKey.has(`${host}:${port}`)) return port;
    }
    throw new ListenError(`udp://${host}:0`, "EADDRNOTAVAIL");
  }

  #bind(id: number, host: string, port: number, events: NetworkEvents): DgramSocket {
    const key = `${host}:${port}`;
    const s: DgramSocket = { id, key, local: { address: host, port, family: "mem" }, events, paused: false };
    this.#byId.set(id, s);
    this.#byKey.set(key, s);
    return s;
  }

  listen(id: number, ep: Endpoint, events: NetworkEvents): Address {
    const host = ep.host.toLowerCase();
    const port = ep.port === 0 ? this.#port(host) : ep.port;
    if (this.#byKey.has(`${host}:${port}`)) {
      const err = Object.assign(new Error(`udp://${host}:${port} is already in use on this memory network (EADDRINUSE)`), { code: "EADDRINUSE" });
      throw new ListenError(`udp://${host}:${port}`, "EADDRINUSE", err);
    }
    return { ...this.#bind(id, host, port, events).local };
  }

  connect(id: number, ep: Endpoint, events: NetworkEvents): void {
    const host = ep.host.toLowerCase();
    const s = this.#bind(id, host, this.#port(host), events);
    s.peer = { address: host, port: ep.port, family: "mem" };
    this.enqueue(() => {
      if (this.#byId.get(id) !== s) return;
      events.resolved(id);
      if (this.#byId.get(id) === s) events.connected(id);
    });
  }

  send(id: number, data: Uint8Array, to?: Address): number {
    const s = this.#byId.get(id);
    const dest = s?.peer ?? to;
    if (s === undefined || dest === undefined) return data.length;
    if (this.loss > 0 && this.random() < this.loss) {
      this.dropped++;
      return data.length;
    }
    const first = this.#inFlight.length === 0;
    this.#inFlight.push({ to: `${dest.address}:${dest.port}`, data: Uint8Array.prototype.slice.call(data), from: { ...s.local } });
    if (first) this.enqueue(() => this.#deliver());
    return data.length;
  }

  #deliver(): void {
    const batch = this.#inFlight;
    this.#inFlight = [];
    if (this.reorder) {
      for (let i = batch.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [batch[i], batch[j]] = [batch[j], batch[i]];
      }
    }
    for (const d of batch) {
      const r = this.#byKey.get(d.to);
      // A connected socket takes datagrams from its peer only.
      if (r === undefined || r.paused || (r.peer && `${r.peer.address}:${r.peer.port}` !== `${d.from.address}:${d.from.port}`)) {
        this.dropped++;
        continue;
      }
      r.events.data(r.id, d.data, d.from);
    }
  }

  pause(id: number, paused: boolean): void {
    const s = this.#byId.get(id);
    if (s) s.paused = paused;
  }

  close(id: number): void {
    const s = this.#byId.get(id);
    if (!s) return;
    this.#byId.delete(id);
    if (this.#byKey.get(s.key) === s) this.#byKey.delete(s.key);
  }

  localAddr(id: number): Address | undefined {
    const s = this.#byId.get(id);
    return s ? { ...s.local } : undefined;
  }

  remoteAddr(id: number): Address | undefined {
    const s = this.#byId.get(id);
    return s?.peer ? { ...s.peer } : undefined;
  }
}
