// node.ts: the Node entry point (dist/index.mjs and dist/index.cjs are both
// built from it). Registers the Node platform, then re-exports the API.
import { readFile, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setPlatform } from "./core/platform";
import { envVar, nodeNetwork, NODE_NETWORK_DEFAULTS } from "../shim/node";
import { CLUSTER_DEFAULTS } from "./cluster/cluster";
import { CLUSTER_CHANNEL_DEFAULTS } from "./cluster/bus";
import { CLUSTER_RELAY_DEFAULTS } from "./cluster/relay";
import { nodeUtilAccel } from "../shim/node-util";
import { setUtilAccel } from "./util/util-accel";
import { nodeFileSystem } from "../shim/node-fs";
import { setDefaultFileSystem } from "./http/static";
import * as diagnosticsChannel from "node:diagnostics_channel";
import { installDiagnostics } from "./lifecycle/diagnostics";
import "./ws/deflate-node"; // permessage-deflate through node:zlib

/** Where mongoose.wasm sits: next to the bundle (CJS: __dirname; ESM: import.meta.url). */
function defaultWasmPath(): string {
  const override = envVar("TSMONGOOSE_WASM");
  if (override) return override;
  // esbuild builds this file as both CJS and ESM, so decide at run time.
  if (typeof __dirname === "string") return join(__dirname, "mongoose.wasm");
  return join(dirname(fileURLToPath(import.meta.url)), "mongoose.wasm");
}

async function readSource(src: string | URL): Promise<BufferSource> {
  const text = String(src);
  if (/^https?:/i.test(text)) {
    const res = await fetch(text);
    if (!res.ok) throw new Error(`tsmongoose: fetching ${text} failed: HTTP ${res.status}`);
    return res.arrayBuffer();
  }
  // node:fs's callback form: node:fs/promises would be one more module to load.
  return new Promise((resolve, reject) => readFile(/^file:/i.test(text) ? fileURLToPath(text) : text, (err, data) => (err ? reject(err) : resolve(data))));
}

setPlatform({
  loadWasmSync: () => readFileSync(defaultWasmPath()),
  loadWasm: async (src) => WebAssembly.compile(await readSource(src ?? defaultWasmPath())),
  defaultNetwork: () => nodeNetwork(),
});
// Large inputs to hashes, CRC-32 and base64Encode go to node:crypto/zlib/Buffer (identical results).
if (envVar("TSMONGOOSE_UTIL_ACCEL") !== "0") setUtilAccel(nodeUtilAccel);
setDefaultFileSystem(nodeFileSystem());

installDiagnostics(diagnosticsChannel);

export * from "./index";
export { nodeNetwork, defaultTransport } from "../shim/node";
export { runCluster, type Cluster, type ClusterOptions, type ClusterReport, type WorkerReport } from "./cluster/cluster";
export type { NodeNetworkOptions, NodeTransport } from "../shim/node";
export { clusterChannel, clusterBusAvailable, type ClusterChannel, type ClusterChannelOptions } from "./cluster/bus";
export { clusterRelay, type ClusterRelay, type ClusterRelayOptions, type ClusterRelayStats } from "./cluster/relay";
export { clusterBrokerBus, clusterSessionStore } from "./cluster/mqtt-cluster";

/** Option defaults of the Node-only API (see DEFAULTS for the rest): `cluster` (ClusterOptions), `nodeNetwork`, `clusterChannel`, `clusterRelay`. */
export const NODE_DEFAULTS = Object.freeze({ cluster: CLUSTER_DEFAULTS, nodeNetwork: NODE_NETWORK_DEFAULTS,
  clusterChannel: CLUSTER_CHANNEL_DEFAULTS, clusterRelay: CLUSTER_RELAY_DEFAULTS });
