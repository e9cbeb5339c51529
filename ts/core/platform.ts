// platform.ts: what differs between Node and the browser, registered once by
// the entry point (ts/node.ts or ts/browser.ts) before any Manager exists.
import type { Network } from "../../shim/network";

/** A fetch Response (structurally, so the types need no DOM lib). */
export interface ResponseLike {
  readonly ok: boolean;
  readonly status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Where the WASM core comes from: a path or URL, a fetch Response, bytes, or
 * a compiled `WebAssembly.Module` (typed as `object` so that declarations do
 * not require the DOM lib).
 */
export type WasmSource = string | URL | ResponseLike | ArrayBuffer | ArrayBufferView | object;

/** Host hooks an entry point provides (modules are WebAssembly.Module objects). */
export interface Platform {
  /** Load the default core synchronously (Node: read the file next to the bundle). */
  loadWasmSync?(): ArrayBuffer | ArrayBufferView | object;
  /** Load and compile the core, from `src` or from the default location; resolves with a WebAssembly.Module. */
  loadWasm(src?: string | URL): Promise<object>;
  /** A fresh Network for a Manager created without `opts.network`. */
  defaultNetwork(): Network;
}

let current: Platform | undefined;

/** Register the platform (called by the entry point; the last call wins). */
export function setPlatform(p: Platform): void {
  current = p;
}

/** The registered platform, or undefined when no entry point registered one. */
export function getPlatform(): Platform | undefined {
  return current;
}
