// bus.ts: the cluster message bus, the worker's half (Node only).
//
// clusterChannel(name) in a node:cluster worker whose primary relays
// (runCluster(), or clusterRelay() in a plain node:cluster primary: relay.ts)
// sends to every other worker that has a channel of that name open. The
// payload is v8-serialized here (structured clone: JSON values, Uint8Array,
// Map, Date... round-trip with their types) and crosses the primary as one
// opaque Buffer. All messages pass through the primary in the order it
// receives them, so with `echo` every worker sees the same order.
// Bounded: the IPC pipe to the primary takes at most maxPendingBytes of
// unwritten messages; send() drops beyond that and returns false.
import { nodeCluster, nodeV8 } from "../../shim/builtins"; // loaded only where the bus is used
import { argTypeError, argValueError, checkBoolean, checkFunction, checkNumber, checkObject } from "../core/args";
import { MongooseError } from "../core/errors";
import { BUS_ENV, type BusMessage } from "./bus-wire";

/** Defaults of ClusterChannelOptions (also `NODE_DEFAULTS.clusterChannel`). */
export const CLUSTER_CHANNEL_DEFAULTS = Object.freeze({ echo: false, maxPendingBytes: 8 * 1024 * 1024 });

/** Options of clusterChannel(). */
export interface ClusterChannelOptions {
  /** Also deliver this worker's own messages to its channels of that name, in the primary's order (default false). */
  echo?: boolean;
  /** Bytes of messages that may wait to be written to the primary before send() drops (default 8 MiB). */
  maxPendingBytes?: number;
}

/** A named channel of the cluster bus. */
export interface ClusterChannel<T = unknown> {
  /** The channel's name. */
  readonly name: string;
  /** Messages send() dropped because maxPendingBytes were waiting (or the IPC channel had closed). */
  readonly dropped: number;
  /** Send `data` (anything structured clone takes) to the other workers; false when it was dropped. */
  send(data: T): boolean;
  /** Call `cb(data, fromWorkerId)` for each message that arrives; returns a function that stops it. */
  onMessage(cb: (data: T, from: number) => void): () => void;
  /** Stop sending and receiving; the last channel closed lets go of the IPC channel (the worker may exit). */
  close(): void;
}

interface Local {
  echo: boolean;
  cbs: Set<(data: unknown, from: number) => void>;
}

const open = new Map<string, Set<Local>>();
let pendingBytes = 0;

/** True in a node:cluster worker whose primary relays bus messages (runCluster() or clusterRelay()). */
export function clusterBusAvailable(): boolean {
  return process.env[BUS_ENV] === "1" && typeof process.send === "function" && nodeCluster().isWorker;
}

function post(msg: BusMessage, bytes: number): void {
  pendingBytes += bytes;
  try {
    process.send!(msg, undefined, undefined, () => { pendingBytes -= bytes; });
  } catch {
    pendingBytes -= bytes; // the channel closed under us
  }
}

// Messages sent within one turn of the event loop (a burst of publishes a
// broker handles from one socket read) go to the primary as one IPC message
// per channel: the IPC cost (framing, serialization, a write) is per batch.
type Batch = { c: string; e: boolean; d: Uint8Array[]; bytes: number };
let outbox: Batch[] = [];
const flush = (): void => {
  if (outbox.length === 0) return; // flushed early by close()
  const batches = outbox;
  outbox = [];
  for (const b of batches) {
    post(b.e ? { tsmongoose: "bus", c: b.c, d: b.d, e: true } : { tsmongoose: "bus", c: b.c, d: b.d }, b.bytes);
    pendingBytes -= b.bytes; // counted while queued; post() counts it again until written
  }
};

function enqueue(c: string, e: boolean, d: Uint8Array): void {
  const last = outbox[outbox.length - 1];
  pendingBytes += d.byteLength;
  if (last !== undefined && last.c === c && last.e === e) {
    last.d.push(d);
    last.bytes += d.byteLength;
    return;
  }
  if (outbox.length === 0) queueMicrotask(flush);
  outbox.push({ c, e, d: [d], bytes: d.byteLength });
}

const onIpc = (raw: unknown): void => {
  const m = raw as BusMessage | null;
  if (m === null || typeof m !== "object" || m.tsmongoose !== "bus") return;
  const from = m.w ?? -1;
  for (const d of m.d) {
    const set = open.get(m.c);
    if (!set) return;
    const data: unknown = nodeV8().deserialize(d);
    for (const l of [...set]) {
      if (m.w === nodeCluster().worker?.id && !l.echo) continue; // an echo asked for by another channel object
      for (const cb of [...l.cbs]) cb(data, from);
    }
  }
};

/**
 * Open the channel `name` of the cluster bus in this worker. Throws a
 * MongooseError ERR_CLUSTER_BUS_UNAVAILABLE outside a node:cluster worker
 * whose primary relays (see clusterBusAvailable()).
 */
export function clusterChannel<T = unknown>(name: string, opts: ClusterChannelOptions = {}): ClusterChannel<T> {
  const op = "clusterChannel";
  if (typeof name !== "string") throw argTypeError(op, "name", "a string", name);
  if (name === "") throw argValueError(op, "name", "must not be empty", name);
  checkObject(op, "opts", opts);
  checkBoolean(op, "opts.echo", opts.echo);
  const maxPending = opts.maxPendingBytes === undefined ? CLUSTER_CHANNEL_DEFAULTS.maxPendingBytes
    : checkNumber(op, "opts.maxPendingBytes", opts.maxPendingBytes, 0, Infinity, true);
  if (!clusterBusAvailable()) {
    throw new MongooseError("ERR_CLUSTER_BUS_UNAVAILABLE", `${op}("${name}"): not in a node:cluster worker whose primary ` +
      "relays (runCluster(), or clusterRelay() called in the primary before forking)");
  }
  const local: Local = { echo: opts.echo ?? CLUSTER_CHANNEL_DEFAULTS.echo, cbs: new Set() };
  if (open.size === 0) process.on("message", onIpc);
  let set = open.get(name);
  if (!set) {
    open.set(name, set = new Set());
    post({ tsmongoose: "bus-sub", c: name }, 0);
  }
  set.add(local);
  let closed = false;
  let dropped = 0;
  return {
    name,
    get dropped() { return dropped; },
    send(data: T): boolean {
      if (closed) throw new MongooseError("ERR_CLUSTER_CHANNEL_CLOSED", `${op}("${name}").send: the channel is closed`);
      let d: Uint8Array;
      try {
        d = nodeV8().serialize(data);
      } catch (err) {
        throw argValueError(`${op}("${name}").send`, "data", `must be structured-cloneable (${(err as Error).message})`, data);
      }
      if (!process.connected || pendingBytes + d.byteLength > maxPending) {
        dropped++;
        return false;
      }
      enqueue(name, local.echo, d);
      return true;
    },
    onMessage(cb: (data: T, from: number) => void): () => void {
      checkFunction(`${op}("${name}").onMessage`, "cb", cb);
      const f = cb as (data: unknown, from: number) => void;
      local.cbs.add(f);
      return () => { local.cbs.delete(f); };
    },
    close(): void {
      if (closed) return;
      closed = true;
      if (outbox.length > 0) flush(); // what it sent goes out now: a process.disconnect() may follow at once
      local.cbs.clear();
      set!.delete(local);
      if (set!.size > 0) return;
      open.delete(name);
      if (process.connected) post({ tsmongoose: "bus-unsub", c: name }, 0);
      if (open.size === 0) process.off("message", onIpc);
    },
  };
}
