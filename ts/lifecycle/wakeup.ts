// wakeup.ts: waking a Manager from another thread (worker_threads in Node,
// Web Workers in the browser). Manager.wakeupHandle() opens a MessageChannel
// and keeps one port; the other port travels to the worker inside the handle.
// The worker calls wakeup(handle, connId, data), which only posts a message:
// it needs neither the WASM core nor a Manager, so a worker can import it
// without loading anything heavy. On the manager's thread each message
// becomes manager.wakeup(connId, data) -> MG_EV_WAKEUP on that connection.
//
// Uses only globals (MessageChannel, SharedArrayBuffer, Atomics): this module
// is part of the browser bundle too, so it must not import node:* (the type
// import below is erased; it makes `transferList: [handle.port]` typecheck).
import { TypeError, RangeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import type { MessagePort as NodeMessagePort } from "node:worker_threads";
import { extendManager } from "../core/extensions";
import { MongooseError, ManagerClosedError, describe } from "../core/errors";
import type { Manager } from "../core/manager";

/**
 * A token that lets another thread wake one Manager: pass it to the worker
 * in `workerData` and list `handle.port` in the `transferList`
 * (`new Worker(file, { workerData: { handle }, transferList: [handle.port] })`).
 * Each Manager.wakeupHandle() call makes a new one; a port can be transferred
 * once, so give every worker its own handle.
 */
export interface WakeupHandle {
  /** Marks the object as a wakeup handle. */
  readonly kind: "tsmongoose.wakeup";
  /** The worker's end of the channel to the manager (a Node MessagePort; a DOM one in browsers). */
  readonly port: NodeMessagePort;
  /**
   * Shared flag, non-zero once the manager is closed, so that wakeup() can
   * answer false at once. Absent where SharedArrayBuffer is unavailable (a
   * browser page without cross-origin isolation): wakeup() then cannot tell.
   */
  readonly state?: Int32Array;
}

const KIND = "tsmongoose.wakeup";

/**
 * From any thread holding `handle` (typically a worker_threads Worker):
 * deliver MG_EV_WAKEUP with `data` to connection `connId` of the handle's
 * manager. Never blocks and never needs the WASM core. Returns false when
 * the manager is known to be closed (nothing is sent), true when the message
 * was posted; the manager drops wakeups for connections that closed in the
 * meantime, exactly like Manager.wakeup(), which returns false for them.
 */
export function wakeup(handle: WakeupHandle, connId: number, data: string | Uint8Array = ""): boolean {
  if (!isHandle(handle)) throw new TypeError(`wakeup: handle must come from Manager.wakeupHandle(), got ${describe(handle)}`);
  if (typeof connId !== "number" || !Number.isSafeInteger(connId) || connId <= 0) {
    throw new RangeError(`wakeup: connId must be a positive integer, got ${describe(connId)}`);
  }
  if (typeof data !== "string" && !(data instanceof Uint8Array)) {
    throw new TypeError(`wakeup: data must be a string or Uint8Array, got ${describe(data)}`);
  }
  if (handle.state !== undefined && Atomics.load(handle.state, 0) !== 0) return false;
  try {
    handle.port.postMessage([connId, data]);
  } catch {
    return false; // the port was closed or detached on this side
  }
  return true;
}

function isHandle(h: unknown): h is WakeupHandle {
  if (h === null || typeof h !== "object") return false;
  const o = h as Partial<WakeupHandle>;
  return o.kind === KIND && o.port !== null && typeof o.port === "object" && typeof o.port.postMessage === "function" &&
    (o.state === undefined || o.state instanceof Int32Array);
}

/** The manager-side ends of every handle of one manager. */
interface Receiver {
  ports: { close(): void }[];
  states: Int32Array[];
  /** A poll(0) nudge is scheduled this turn. */
  nudged: boolean;
}

const receivers = new WeakMap<Manager, Receiver>();

/** Manager.wakeupHandle(): a new channel whose messages become mgr.wakeup(). */
function createWakeupHandle(mgr: Manager): WakeupHandle {
  if (mgr.closed) throw new ManagerClosedError("wakeupHandle");
  if (!mgr.enableWakeup) {
    throw new MongooseError("ERR_WAKEUP_DISABLED",
      "wakeupHandle: this manager was created without { enableWakeup: true }");
  }
  if (typeof MessageChannel !== "function") {
    throw new MongooseError("ERR_NOT_SUPPORTED", "wakeupHandle: this platform has no MessageChannel");
  }
  let rx = receivers.get(mgr);
  if (!rx) {
    const r: Receiver = { ports: [], states: [], nudged: false };
    receivers.set(mgr, r);
    const unsubscribe = mgr._observe({
      closed: () => {
        unsubscribe();
        for (const s of r.states) Atomics.store(s, 0, 1);
        for (const p of r.ports) p.close(); // lets the process exit
        r.ports = [];
      },
    });
    rx = r;
  }
  const { port1, port2 } = new MessageChannel();
  const state = typeof SharedArrayBuffer === "function" ? new Int32Array(new SharedArrayBuffer(4)) : undefined;
  const receiver = rx;
  port1.onmessage = (ev: MessageEvent) => deliver(mgr, receiver, ev.data);
  // The manager's own driving (poll timers, auto-drive, sockets) keeps the
  // process alive; an idle channel must not.
  (port1 as { unref?: () => void }).unref?.();
  receiver.ports.push(port1);
  if (state) receiver.states.push(state);
  const port = port2 as unknown as NodeMessagePort;
  return state ? { kind: KIND, port, state } : { kind: KIND, port };
}

/** One message from a worker: deliver it now, then let a pending poll() return. */
function deliver(mgr: Manager, rx: Receiver, msg: unknown): void {
  if (mgr.closed) return;
  if (!Array.isArray(msg) || msg.length !== 2 || typeof msg[0] !== "number" ||
    (typeof msg[1] !== "string" && !(msg[1] instanceof Uint8Array))) {
    mgr._reportError(new TypeError(`wakeup: malformed message on a wakeup port: ${describe(msg)}`));
    return;
  }
  // Unknown or closed ids return false: dropped, as documented.
  if (!mgr.wakeup(msg[0], msg[1])) return;
  // A poll loop should see the work at once rather than at its timeout, as a
  // C mg_wakeup() interrupts poll(). Auto-driven managers need no nudge.
  if (!mgr.autoDrive && mgr.driven && !rx.nudged) {
    rx.nudged = true;
    queueMicrotask(() => {
      rx.nudged = false;
      if (!mgr.closed && mgr.driven) void mgr.poll(0);
    });
  }
}

extendManager({ wakeupHandle: createWakeupHandle });
