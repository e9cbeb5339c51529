// fetch-serve.ts: serve({ fetch, port, hostname }), the one-call server for
// a web-standard fetch function, with the Manager's graceful shutdown built
// in: a Manager listening with fetchHandler(fetch), driven by run() (signals
// start shutdown(); a second one forces), returned as a FetchServer.
import { Manager } from "../core/manager";
import { describe, TypeError } from "../core/errors"; // Node's argument-error codes (errors.ts)
import { checkNumber } from "../core/args";
import { fetchHandler, type FetchFunction, type FetchHandlerOptions } from "./fetch";
import type { Connection } from "../core/connection";
import type { ErrorHandler } from "../core/engine";
import type { Limits } from "../core/limits";
import type { ShutdownOptions, ShutdownReport } from "../lifecycle/shutdown";
import type { Address, Network } from "../../shim/network";
import { RUN_DEFAULTS } from "../lifecycle/run";

/** Defaults of ServeOptions (also `DEFAULTS.serve`); signals and shutdownTimeoutMs are run()'s. */
export const SERVE_DEFAULTS = Object.freeze({
  port: 3000, hostname: "0.0.0.0", signals: RUN_DEFAULTS.signals, shutdownTimeoutMs: RUN_DEFAULTS.shutdownTimeoutMs,
});

/** Options of serve(). */
export interface ServeOptions extends Omit<FetchHandlerOptions, "hostname"> {
  /** The app: `(request, env) => Response | Promise<Response>` (Hono's `app.fetch`). */
  fetch: FetchFunction;
  /** Port to listen on (default 3000; 0 picks a free one: read `server.port`). */
  port?: number;
  /** Address to listen on (default "0.0.0.0"). */
  hostname?: string;
  /** Listen URL instead of port/hostname, e.g. "http://[::1]:8080" or "mem://app" on the memory network. */
  url?: string;
  /** Resource limits of the manager (body size, connections, timeouts...). */
  limits?: Partial<Limits>;
  /** The socket layer (default: the platform's; memoryNetwork() in the browser). */
  network?: Network;
  /** Receives errors of the app and handlers (default: console.error). */
  errorHandler?: ErrorHandler;
  /** Signals that start a graceful shutdown; a second one forces (default ["SIGINT", "SIGTERM"]; [] for none). */
  signals?: string[];
  /** Hard limit of a shutdown started by a signal, ms (default 30_000). */
  shutdownTimeoutMs?: number;
}

/** A running fetch server (serve()). */
export class FetchServer implements AsyncDisposable {
  /** The Manager serving (add listeners, timers, onShutdown hooks to it). */
  readonly manager: Manager;
  /** The listening connection. */
  readonly listener: Connection;
  /** Settles with the ShutdownReport once the server is closed (by a signal, shutdown() or close()). */
  readonly finished: Promise<ShutdownReport>;
  readonly #listenUrl: string;

  /** @internal Created by serve(). */
  constructor(manager: Manager, listener: Connection, finished: Promise<ShutdownReport>, listenUrl: string) {
    this.manager = manager;
    this.listener = listener;
    this.finished = finished;
    this.#listenUrl = listenUrl;
  }

  /** The bound address (port 0 resolved). */
  get address(): Address {
    return this.listener.localAddr;
  }

  /** The bound port. */
  get port(): number {
    return this.listener.localAddr.port;
  }

  /** "http://127.0.0.1:3000" (IPv6 in brackets); on the memory network, the listen URL. */
  get url(): string {
    const a = this.listener.localAddr;
    if (a.family === "mem") return this.#listenUrl;
    return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  }


  /**
   * Graceful shutdown (Manager.shutdown): stop accepting, requests arriving
   * meanwhile on open connections served with Connection: close (or
   * answered with `replyStatus`), wait for in-flight fetches and streams, force-close
   * at `timeoutMs`. Resolves with the report; idempotent.
   */
  shutdown(opts?: ShutdownOptions): Promise<ShutdownReport> {
    return this.manager.shutdown(opts);
  }

  /** shutdown() with its defaults. */
  close(): Promise<ShutdownReport> {
    return this.manager.shutdown();
  }

  /** `await using server = serve(...)`: close() on scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Serve a web-standard fetch app: `serve({ fetch: app.fetch, port: 3000 })`.
 * Binds synchronously (in the browser, `await init()` first), drives itself
 * with Manager.run() (SIGINT/SIGTERM start a graceful shutdown), and
 * returns the FetchServer; `onListen` is called with the bound address.
 */
export function serve(opts: ServeOptions, onListen?: (address: Address) => void): FetchServer {
  if (opts === null || typeof opts !== "object") throw new TypeError(`serve: options must be an object, got ${describe(opts)}`);
  if (typeof opts.fetch !== "function") throw new TypeError(`serve: fetch must be a function, got ${describe(opts.fetch)}`);
  if (onListen !== undefined && typeof onListen !== "function") throw new TypeError(`serve: onListen must be a function, got ${describe(onListen)}`);
  const { fetch, port = SERVE_DEFAULTS.port, hostname = SERVE_DEFAULTS.hostname, url, limits, network, errorHandler, signals, shutdownTimeoutMs, ...rest } = opts;
  let listenUrl: string;
  if (url !== undefined) {
    if (typeof url !== "string") throw new TypeError(`serve: url must be a string, got ${describe(url)}`);
    listenUrl = url;
  } else {
    checkNumber("serve", "opts.port", port, 0, 65535, true);
    if (typeof hostname !== "string" || hostname === "") throw new TypeError(`serve: hostname must be an address, got ${describe(hostname)}`);
    listenUrl = `http://${hostname.includes(":") && !hostname.startsWith("[") ? `[${hostname}]` : hostname}:${port}`;
  }
  const handler = fetchHandler(fetch, rest);
  const manager = new Manager(undefined, { limits, network, errorHandler });
  let listener: Connection;
  try {
    listener = manager.listen(listenUrl, { handler, http: true });
  } catch (err) {
    manager.close();
    throw err;
  }
  const finished = manager.run({ signals, shutdownTimeoutMs });
  const server = new FetchServer(manager, listener, finished, listenUrl);
  onListen?.(server.address);
  return server;
}
