// node.ts: nodeNetwork(), the Network a Manager uses in Node. It picks the
// transport: libuv TCP handles (node-handle.ts) where this Node offers them,
// node:net sockets (node-socket.ts) otherwise or when asked to.
import { nodeDns } from "./builtins";
import { TypeError, RangeError } from "./errors"; // Node's argument-error codes (errors.ts)
import { MongooseError } from "./errors";
import type { Address, Network } from "./network";
import { handleNetwork } from "./node-handle";
import { socketNetwork } from "./node-socket";
import { tcpBindings } from "./uv";
import { withDatagrams } from "./node-udp";

/** How a node network reaches the sockets. */
export type NodeTransport = "handle" | "socket";

/** Defaults of NodeNetworkOptions (also `NODE_DEFAULTS.nodeNetwork`); transport: defaultTransport(). */
export const NODE_NETWORK_DEFAULTS = Object.freeze({ backlog: 511 });

/** Options of nodeNetwork(). */
export interface NodeNetworkOptions {
  /** Listen backlog (default 511). */
  backlog?: number;
  /**
   * "handle": libuv's TCP handles, without node:net's stream layer (fastest);
   * "socket": node:net sockets. Default: the TSMONGOOSE_TRANSPORT environment
   * variable, else "handle" where this Node offers it, else "socket".
   */
  transport?: NodeTransport;
}

/**
 * An environment variable, or undefined where reading it is not allowed
 * (Deno without --allow-env throws instead of returning undefined).
 */
export function envVar(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

/** The transport nodeNetwork() picks when none is given. */
export function defaultTransport(): NodeTransport {
  const env = envVar("TSMONGOOSE_TRANSPORT");
  if (env === "socket" || env === "handle") return env;
  return tcpBindings() === undefined ? "socket" : "handle";
}

/** A Network over TCP (and udp:// over node:dgram) in Node: listeners and clients, IPv4 and IPv6. */
export function nodeNetwork(opts: NodeNetworkOptions = {}): Network {
  if (opts === null || typeof opts !== "object") throw new TypeError(`nodeNetwork: options must be an object, got ${String(opts)}`);
  const { backlog = NODE_NETWORK_DEFAULTS.backlog, transport = defaultTransport() } = opts;
  if (!Number.isInteger(backlog) || backlog < 1) {
    throw new RangeError(`nodeNetwork: backlog must be a positive integer, got ${String(backlog)}`);
  }
  if (transport === "socket") return withDatagrams(withLookup(socketNetwork({ backlog })));
  if (transport !== "handle") {
    throw new TypeError(`nodeNetwork: transport must be "handle" or "socket", got ${JSON.stringify(transport)}`);
  }
  const bindings = tcpBindings();
  if (bindings === undefined) {
    throw new MongooseError("ERR_TRANSPORT_UNAVAILABLE",
      `nodeNetwork: transport "handle" needs Node's libuv TCP handles (process.binding('tcp_wrap')), which ` +
      `${runtimeName()} does not offer as expected; use transport "socket"`);
  }
  return withDatagrams(withLookup(handleNetwork(bindings, { backlog })));
}

/** "Node v22.1.0", "Bun 1.2.3", "Deno 2.1.0": for error messages. */
function runtimeName(): string {
  const v = process.versions as Record<string, string | undefined>;
  if (v.bun) return `Bun ${v.bun}`;
  if (v.deno) return `Deno ${v.deno}`;
  return `Node ${process.version}`;
}

/** Name resolution for conn.resolve(): dns.lookup, as connect() uses. */
function withLookup(network: Network): Network {
  network.lookup = (host: string) => new Promise<Address>((resolve, reject) => {
    nodeDns().lookup(host, (err, address, family) => {
      if (err) reject(err);
      else resolve({ address, port: 0, family: family === 6 ? "IPv6" : "IPv4" });
    });
  });
  return network;
}
