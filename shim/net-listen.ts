// net-listen.ts: listeners bound through node:net's Server#listen(), for the
// two cases where the transports' own synchronous bind is wrong:
// - in a node:cluster worker, where the primary owns the port and hands
//   the worker either the listening handle (SCHED_NONE) or each accepted
//   connection (round-robin); binding ourselves would be EADDRINUSE;
// - `reusePort`, which only Server#listen() can ask libuv for.
// Both bind asynchronously: the address is known once the 'listening' event
// has fired. The handle transport takes the accepted libuv handles straight
// off the server's handle (its `onconnection`, which both cluster modes and
// a plain listening handle call with a TCP handle); the socket transport
// takes the server's net.Socket 'connection's.
import net from "node:net";
import { listenError } from "./uv";
import { MongooseError } from "./errors";
import { isClusterWorker } from "./builtins";
import type { Address, ListenOptions } from "./network";

/** A listener bound through net.Server. */
export interface NetListener {
  server: net.Server;
  /** Resolves with the bound address, rejects with a ListenError. */
  bound: Promise<Address>;
}

/** Whether a listen must go through node:net: a cluster worker (unless exclusive) or reusePort. */
export function needsNetListen(opts: ListenOptions | undefined): boolean {
  if (opts?.reusePort) return true;
  return opts?.exclusive !== true && isClusterWorker();
}

/** Node versions whose Server#listen() takes `reusePort` (22.12+, 23.1+). */
export function reusePortSupported(): boolean {
  if (process.platform !== "linux" && process.platform !== "freebsd" && process.platform !== "darwin") return false;
  const [maj, min] = process.versions.node.split(".").map(Number);
  return maj > 23 || (maj === 23 && min >= 1) || (maj === 22 && min >= 12);
}

/** Throws ERR_REUSEPORT_UNSUPPORTED where `reusePort` would be silently ignored. */
export function checkReusePort(url: string): void {
  if (reusePortSupported()) return;
  throw new MongooseError("ERR_REUSEPORT_UNSUPPORTED", `listen ${url}: reusePort needs SO_REUSEPORT through ` +
    `node:net, which Node ${process.versions.node} on ${process.platform} does not offer (Node 22.12+ or 23.1+ ` +
    `on Linux, FreeBSD or macOS); use node:cluster to share a port instead`);
}

/**
 * Bind `host:port` through a net.Server. `onHandle`, when given, receives
 * each accepted libuv TCP handle (handle transport); otherwise the caller
 * listens for the server's 'connection' events (socket transport).
 */
export function netListen(url: string, host: string, port: number, backlog: number, opts: ListenOptions | undefined,
  onHandle?: (status: number, handle: unknown) => void): NetListener {
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true });
  const listenOpts: net.ListenOptions & { reusePort?: boolean } = { host, port, backlog, exclusive: opts?.exclusive === true };
  if (opts?.reusePort) listenOpts.reusePort = true;
  const bound = new Promise<Address>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(listenError(url, host, port, typeof err.code === "string" ? err.code : "EUNKNOWN"));
    };
    server.once("error", onError);
    server.listen(listenOpts, () => {
      server.off("error", onError);
      // Later server errors are accept() failures (EMFILE...): transient, keep listening.
      server.on("error", () => undefined);
      if (onHandle) {
        // net installed its own onconnection, which would wrap each handle
        // in a net.Socket; the handle transport wants the bare handle.
        (server as unknown as { _handle: { onconnection: unknown } })._handle.onconnection = onHandle;
      }
      const a = server.address() as net.AddressInfo;
      resolve({ address: a.address, port: a.port, family: a.family === "IPv6" ? "IPv6" : "IPv4" });
    });
  });
  bound.catch(() => undefined); // the Manager observes it; never an unhandled rejection here
  return { server, bound };
}
