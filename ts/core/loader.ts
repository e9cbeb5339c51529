// loader.ts: the one WebAssembly instance of the C core per process/page.
//
// No emscripten JS glue: we build the import object ourselves from what the
// module declares (WebAssembly.Module.imports), so a core that needs an import
// we do not provide fails with a message naming it instead of a LinkError.
// The core's calls into the host (netif.h) are routed through HostHooks,
// which the Manager module installs (global registries id -> object).
import { TypeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { getPlatform, type ResponseLike, type WasmSource } from "./platform";
import type { CoreExports } from "./core";

// The global is an accessor: read it once, not on every clock read (a slow global load in optimized code).
const perf = globalThis.performance;

/** What the core calls on the host (netif.h), installed by the Manager module. */
export interface HostHooks {
  send(id: number, ptr: number, len: number): number;
  close(id: number): void;
  event(id: number, ev: number, evData: number): void;
  timer(id: number): void;
}

/** What the core calls for files and host-side bodies (wasm/src/fs.h), installed by ts/static.ts. */
export interface FsHooks {
  stat(path: number, len: number, out: number): number;
  open(path: number, len: number, flags: number): number;
  read(fd: number, offset: number, buf: number, len: number): number;
  close(fd: number): void;
  within(root: number, rootLen: number, path: number, pathLen: number): number;
  body(id: number, fd: number, offset: number, len: number): void;
}

let fsHooks: FsHooks | undefined;

/** Install the host side of fs.h (done once by ts/static.ts). */
export function setFsHooks(h: FsHooks): void {
  fsHooks = h;
}

/** What the core calls for permessage-deflate (wasm/src/ws.h), installed by ts/ws/deflate.ts. */
export interface WsZlibHooks {
  inflate(id: number, ptr: number, len: number, max: number, pmd: number): number;
  take(id: number, dst: number): void;
  free(id: number): void;
}

let wsZlibHooks: WsZlibHooks | undefined;

/** Install the host side of ws.h's zlib imports (done once by ts/ws/deflate.ts). */
export function setWsZlibHooks(h: WsZlibHooks): void {
  wsZlibHooks = h;
}

// Views of linear memory, re-created when it grows: the core reports every
// growth (emscripten_notify_memory_growth, or emscripten_resize_heap for
// cores built without it), so an access needs no detachment check. Plain
// module variables: each read is one load in optimized code.
let u8v = new Uint8Array(0);
let u32v = new Uint32Array(0);
let i32v = new Int32Array(0);
let f64v = new Float64Array(0);

let memory: WebAssembly.Memory | undefined;
let exportsObj: CoreExports | undefined;
let pending: Promise<void> | undefined;
let logLevel = 1; // MG_LL_ERROR

function hooksMissing(): never {
  throw new Error("tsmongoose: internal: host hooks not installed");
}
// The installed hooks, held one by one so each host call is a single direct call.
let hostSend: HostHooks["send"] = hooksMissing;
let hostClose: HostHooks["close"] = hooksMissing;
let hostEvent: HostHooks["event"] = hooksMissing;
let hostTimer: HostHooks["timer"] = hooksMissing;

/**
 * Receives what a host import threw: `where` names the import, `id` is its
 * connection (0 when it has none). The import has already returned a safe
 * value to the core; the sink makes the failure that connection's error.
 */
export type HostFaultSink = (where: string, err: unknown, id: number) => void;
let hostFault: HostFaultSink = (where, err) => console.error(`tsmongoose: host call ${where} failed:`, err);

/** Install the fault sink (done once by ts/registry.ts). */
export function setHostFaultSink(sink: HostFaultSink): void {
  hostFault = sink;
}

/** Install the host side of netif.h (done once by ts/registry.ts). */
export function setHostHooks(h: HostHooks): void {
  hostSend = h.send;
  hostClose = h.close;
  hostEvent = h.event;
  hostTimer = h.timer;
}

/** Which core log lines (host_log) reach the console: MG_LL_NONE..MG_LL_VERBOSE. */
export function setHostLogLevel(level: number): void {
  logLevel = level;
}

/** Receives the core's log lines (logSet): level MG_LL_*, the line without a newline. */
export type LogSink = (level: number, line: string) => void;
let logSink: LogSink | undefined;

/** Where core log lines go; undefined/null: the console. */
export function setHostLogSink(sink: LogSink | null | undefined): void {
  logSink = sink ?? undefined;
}

let growthHook: (() => void) | undefined;

/** Run `hook` after linear memory grew (the views are fresh by then). */
export function setGrowthHook(hook: () => void): void {
  growthHook = hook;
}

/** Re-create the views after memory.grow detached the old buffer. */
export function refreshViews(): void {
  const buf = memory!.buffer;
  u8v = new Uint8Array(buf);
  u32v = new Uint32Array(buf);
  i32v = new Int32Array(buf);
  f64v = new Float64Array(buf);
  growthHook?.();
}

/** The byte view of linear memory. */
export function u8(): Uint8Array {
  return u8v;
}

/** The uint32 view of linear memory (index = byte offset >> 2). */
export function u32(): Uint32Array {
  return u32v;
}

/** The int32 view of linear memory (index = byte offset >> 2). */
export function i32(): Int32Array {
  return i32v;
}

/** The float64 view of linear memory (index = byte offset >> 3). */
export function f64(): Float64Array {
  return f64v;
}

/** Whether the core is instantiated. */
export function isLoaded(): boolean {
  return exportsObj !== undefined;
}

/** The core's exports, instantiating synchronously through the platform if needed. */
export function core(): CoreExports {
  return exportsObj ?? initSync();
}

/**
 * Instantiate the core now, synchronously (Node: reads mongoose.wasm next to
 * the bundle). Throws when the platform can only load asynchronously (the
 * browser): call `await init()` first there.
 */
export function initSync(): CoreExports {
  if (exportsObj) return exportsObj;
  const p = getPlatform();
  if (!p?.loadWasmSync) {
    throw new Error("tsmongoose: the WASM core is not loaded: call `await init()` before creating a Manager");
  }
  const src = p.loadWasmSync();
  const module = src instanceof WebAssembly.Module ? src : new WebAssembly.Module(asBytes(src));
  instantiate(module, new WebAssembly.Instance(module, buildImports(module)));
  return exportsObj!;
}

/**
 * Load the core once per process/page. `wasm` may be a path or URL, a
 * Response, bytes, or a compiled WebAssembly.Module; by default the platform
 * loads the module shipped next to the bundle. Later calls resolve at once.
 */
export function init(opts: { wasm?: WasmSource } = {}): Promise<void> {
  // Checked even once loaded, so a wrong call fails the same way every time.
  if (opts === null || typeof opts !== "object") {
    return Promise.reject(new TypeError(`init: options must be an object, got ${Object.prototype.toString.call(opts)}`));
  }
  const w: unknown = opts.wasm;
  if (w !== undefined && typeof w !== "string" && !(w instanceof URL) && !(w instanceof ArrayBuffer) && !ArrayBuffer.isView(w) &&
      !(w instanceof WebAssembly.Module) && !isResponseLike(w)) {
    return Promise.reject(new TypeError(`init: wasm must be a URL, path, Response, bytes or WebAssembly.Module, got ${Object.prototype.toString.call(w)}`));
  }
  if (exportsObj) return Promise.resolve();
  pending ??= (async () => {
    const module = await compile(opts.wasm);
    if (exportsObj) return;
    const instance = await WebAssembly.instantiate(module, buildImports(module));
    if (!exportsObj) instantiate(module, instance);
  })().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}

function asBytes(src: unknown): BufferSource {
  if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) return src as BufferSource;
  throw new TypeError(`tsmongoose: expected WASM bytes or a WebAssembly.Module, got ${Object.prototype.toString.call(src)}`);
}

function asModule(m: unknown): WebAssembly.Module {
  if (m instanceof WebAssembly.Module) return m;
  throw new TypeError(`tsmongoose: the platform's loadWasm() must resolve with a WebAssembly.Module, got ${Object.prototype.toString.call(m)}`);
}

function isResponseLike(src: unknown): src is ResponseLike {
  return typeof src === "object" && src !== null && typeof (src as ResponseLike).arrayBuffer === "function" && "ok" in src;
}

async function compile(src: WasmSource | undefined): Promise<WebAssembly.Module> {
  if (src instanceof WebAssembly.Module) return src;
  if (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) return WebAssembly.compile(src as BufferSource);
  if (isResponseLike(src)) {
    if (!src.ok) throw new Error(`tsmongoose: fetching the WASM core failed: HTTP ${src.status}`);
    return WebAssembly.compile(await src.arrayBuffer());
  }
  if (src !== undefined && typeof src !== "string" && !(src instanceof URL)) {
    throw new TypeError("init: wasm must be a URL, path, Response, bytes or WebAssembly.Module, " +
      `got ${Object.prototype.toString.call(src)}`);
  }
  const p = getPlatform();
  if (p) return asModule(await p.loadWasm(src));
  if (src === undefined) throw new Error("tsmongoose: no platform registered: pass init({ wasm })");
  const res = await fetch(src);
  if (!res.ok) throw new Error(`tsmongoose: fetching ${String(src)} failed: HTTP ${res.status}`);
  return WebAssembly.compile(await res.arrayBuffer());
}

function instantiate(module: WebAssembly.Module, instance: WebAssembly.Instance): void {
  const ex = instance.exports as Record<string, unknown>;
  if (!(ex.memory instanceof WebAssembly.Memory)) throw new Error("tsmongoose: mongoose.wasm exports no memory");
  const missing = ["mgx_mgr_new", "mgx_conn_new", "mgx_flush", "mgx_scratch"].filter((n) => typeof ex[n] !== "function");
  if (missing.length) throw new Error(`tsmongoose: mongoose.wasm lacks exports ${missing.join(", ")}`);
  memory = ex.memory;
  refreshViews();
  if (typeof ex._initialize === "function") (ex._initialize as () => void)();
  void module;
  exportsObj = ex as unknown as CoreExports;
}

/** host_now: monotonic milliseconds. */
function monotonicNow(): number {
  return perf.now();
}

/** host_wall: the wall clock (ms since the epoch), read at most once a second for the Date header. */
function wallNow(): number {
  return Date.now();
}

const decoder = new TextDecoder();
function logLine(level: number, ptr: number, len: number): void {
  if (level > logLevel) return;
  const text = decoder.decode(u8().subarray(ptr, ptr + len));
  if (logSink !== undefined) {
    try {
      logSink(level, text);
    } catch {
      // a failing sink must not break the core call that logged
    }
    return;
  }
  (level <= 1 ? console.error : console.log)(`tsmongoose core: ${text}`);
}

/**
 * The host functions of netif.h plus what emscripten's standalone runtime may import.
 *
 * No exception may leave an import: it would unwind through the core's
 * frames and skip their bookkeeping (mgr->entered stays raised: the manager
 * never flushes or frees again). Each import catches, hands the failure to
 * the fault sink, and gives the core the answer that means "failed" (sent
 * everything: the connection is being errored; no such file; nothing read).
 */
function knownEnv(): Record<string, (...args: number[]) => number | void> {
  return {
    host_send: (id, ptr, len) => {
      try {
        return hostSend(id >>> 0, ptr >>> 0, len >>> 0);
      } catch (err) {
        hostFault("host_send", err, id >>> 0);
        return len >>> 0;
      }
    },
    host_close: (id) => {
      try {
        hostClose(id >>> 0);
      } catch (err) {
        hostFault("host_close", err, id >>> 0);
      }
    },
    host_event: (id, ev, evData) => {
      try {
        hostEvent(id >>> 0, ev, evData >>> 0);
      } catch (err) {
        hostFault("host_event", err, id >>> 0);
      }
    },
    host_timer: (id) => {
      try {
        hostTimer(id >>> 0);
      } catch (err) {
        hostFault("host_timer", err, 0);
      }
    },
    host_now: monotonicNow,
    host_wall: wallNow,
    host_random: (ptr, len) => {
      const view = u8();
      for (let off = 0; off < len; off += 65536) {
        // No fallback for entropy: a failure here is fatal by design, but
        // must still not unwind through the core.
        try {
          crypto.getRandomValues(view.subarray(ptr + off, ptr + Math.min(len, off + 65536)));
        } catch (err) {
          hostFault("host_random", err, 0);
          return;
        }
      }
    },
    host_log: logLine,
    // fs.h: no file system until ts/static.ts installs one.
    host_fs_stat: (p, l, out) => {
      try {
        return fsHooks?.stat(p >>> 0, l >>> 0, out >>> 0) ?? 0;
      } catch (err) {
        hostFault("host_fs_stat", err, 0);
        return 0;
      }
    },
    host_fs_open: (p, l, flags) => {
      try {
        return fsHooks?.open(p >>> 0, l >>> 0, flags) ?? 0;
      } catch (err) {
        hostFault("host_fs_open", err, 0);
        return 0;
      }
    },
    host_fs_read: (fd, off, buf, len) => {
      try {
        return fsHooks?.read(fd >>> 0, off, buf >>> 0, len >>> 0) ?? 0;
      } catch (err) {
        hostFault("host_fs_read", err, 0);
        return 0;
      }
    },
    host_fs_close: (fd) => {
      try {
        fsHooks?.close(fd >>> 0);
      } catch (err) {
        hostFault("host_fs_close", err, 0);
      }
    },
    host_fs_within: (r, rl, p, pl) => {
      try {
        return fsHooks?.within(r >>> 0, rl >>> 0, p >>> 0, pl >>> 0) ?? 0;
      } catch (err) {
        hostFault("host_fs_within", err, 0);
        return 0;
      }
    },
    host_body: (id, fd, off, len) => {
      try {
        fsHooks?.body(id >>> 0, fd >>> 0, off, len);
      } catch (err) {
        hostFault("host_body", err, id >>> 0);
      }
    },
    // ws.h: permessage-deflate through the host's zlib (never agreed without it).
    host_ws_inflate: (id, p, l, max, pmd) => {
      try {
        return wsZlibHooks?.inflate(id >>> 0, p >>> 0, l >>> 0, max >>> 0, pmd) ?? -1;
      } catch (err) {
        hostFault("host_ws_inflate", err, id >>> 0);
        return -1;
      }
    },
    host_ws_inflate_take: (id, dst) => {
      try {
        wsZlibHooks?.take(id >>> 0, dst >>> 0);
      } catch (err) {
        hostFault("host_ws_inflate_take", err, id >>> 0);
      }
    },
    host_ws_zfree: (id) => {
      try {
        wsZlibHooks?.free(id >>> 0);
      } catch (err) {
        hostFault("host_ws_zfree", err, id >>> 0);
      }
    },
    emscripten_notify_memory_growth: () => refreshViews(),
    emscripten_memcpy_big: (dest, src, n) => {
      u8().copyWithin(dest, src, src + n);
      return dest;
    },
    emscripten_resize_heap: (size) => {
      const m = memory!;
      const grow = Math.ceil((size - m.buffer.byteLength) / 65536);
      try {
        if (grow > 0) m.grow(grow);
        refreshViews();
        return 1;
      } catch {
        return 0;
      }
    },
  };
}

const WASI_ENOSYS = 52;

/** WASI calls a standalone emscripten build may declare: stderr writes, exit; the rest ENOSYS. */
function wasiImport(name: string): (...args: number[]) => number {
  if (name === "proc_exit") {
    return (code) => {
      throw new Error(`tsmongoose: the WASM core called exit(${code})`);
    };
  }
  if (name === "fd_write") {
    return (fd, iovs, iovcnt, nwrittenPtr) => {
      const w = u32();
      let text = "";
      let total = 0;
      for (let i = 0; i < iovcnt; i++) {
        const p = w[(iovs >>> 2) + i * 2];
        const n = w[(iovs >>> 2) + i * 2 + 1];
        text += decoder.decode(u8().subarray(p, p + n));
        total += n;
      }
      if (text.trim()) console.error(`tsmongoose core (fd ${fd}): ${text.trimEnd()}`);
      u32()[nwrittenPtr >>> 2] = total;
      return 0;
    };
  }
  return () => WASI_ENOSYS;
}

/** The import object for `module`: known functions, or stubs that fail naming the import. */
function buildImports(module: WebAssembly.Module): WebAssembly.Imports {
  const env = knownEnv();
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    const ns = (imports[imp.module] ??= {});
    if (imp.kind !== "function") {
      throw new Error(`tsmongoose: mongoose.wasm imports ${imp.kind} ${imp.module}.${imp.name}, ` +
        "which the loader does not provide (build it with emscripten.sh)");
    }
    if (imp.module === "env" && imp.name in env) ns[imp.name] = env[imp.name];
    else if (imp.module.startsWith("wasi_")) ns[imp.name] = wasiImport(imp.name);
    else {
      ns[imp.name] = () => {
        throw new Error(`tsmongoose: the WASM core called ${imp.module}.${imp.name}, which the host ` +
          "does not implement (the core may only import what wasm/src/netif.h declares)");
      };
    }
  }
  return imports;
}
