// builtins.ts: Node built-in modules loaded on first use. A plain HTTP
// server never touches node:tls, node:cluster, node:zlib, node:crypto,
// node:dgram, node:v8, node:os or node:dns (it resolves no names), and
// importing them at load costs every process several MB of RSS (issue 24,
// "Memory under storms"). The accessors are synchronous and work in both
// bundles (ESM and CJS) and in Node, Bun and Deno:
// process.getBuiltinModule (Node 20.16+/22.3+, Bun, Deno), else a require
// made by createRequire (older Node 20).
import { createRequire } from "node:module";
import type * as Cluster from "node:cluster";
import type * as Crypto from "node:crypto";
import type * as Dgram from "node:dgram";
import type * as Dns from "node:dns";
import type * as Os from "node:os";
import type * as Tls from "node:tls";
import type * as V8 from "node:v8";
import type * as Zlib from "node:zlib";

let fallback: ((id: string) => unknown) | undefined;

/** The built-in module `id` ("node:..."), loaded now if it was not yet. */
export function builtin<T>(id: string): T {
  const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof get === "function") return get.call(process, id) as T;
  // Any absolute path serves as the base: built-ins resolve the same from everywhere.
  fallback ??= createRequire(process.execPath);
  return fallback(id) as T;
}

function lazy<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= builtin<T>(id));
}

/** node:cluster's default export (the cluster object). */
export const nodeCluster: () => typeof Cluster.default = lazy("node:cluster");
export const nodeCrypto: () => typeof Crypto = lazy("node:crypto");
export const nodeDgram: () => typeof Dgram = lazy("node:dgram");
export const nodeDns: () => typeof Dns = lazy("node:dns");
export const nodeOs: () => typeof Os = lazy("node:os");
export const nodeTls: () => typeof Tls = lazy("node:tls");
export const nodeV8: () => typeof V8 = lazy("node:v8");
export const nodeZlib: () => typeof Zlib = lazy("node:zlib");

/**
 * Whether this process is a node:cluster worker, without loading
 * node:cluster in a process that cannot be one. Node sets up a worker at
 * start-up (it reads and deletes NODE_UNIQUE_ID and loads node:cluster),
 * so in Node a worker is a process whose moduleLoadList has cluster;
 * elsewhere (Bun, Deno) a worker is at least forked with an IPC channel.
 */
export function isClusterWorker(): boolean {
  const loaded = (process as { moduleLoadList?: readonly string[] }).moduleLoadList;
  // Bun and Deno have a moduleLoadList too, without Node's entries ("NativeModule net": shim/ imports net).
  const nodeList = Array.isArray(loaded) && loaded.includes("NativeModule net");
  const possible = nodeList ? loaded.includes("NativeModule cluster")
    : typeof process.send === "function" || process.env.NODE_UNIQUE_ID !== undefined;
  return possible && nodeCluster().isWorker === true;
}
