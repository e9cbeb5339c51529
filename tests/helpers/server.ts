// server.ts: start a Manager on a loopback port for a test and stop it again.
//
// Two ways to drive the manager are offered: "poll" runs the seed's loop
// (`while (!stop) await mgr.poll(ms)`) in the background of the test; "auto"
// uses the facade's self-driving mode (`setAutoDrive(true)`, the engine under
// run()/AsyncManager; `run()` itself belongs to a later issue). Every server started here is
// tracked so `stopAllServers()` in afterEach can close what a failing test
// left behind.
import * as net from "node:net";
import { init, Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_READ } from "tsmongoose";
import type { Connection } from "tsmongoose";

/** The handler signature of API.md. */
export type Handler = (conn: Connection, ev: number, data: unknown) => void | Promise<void>;

/** Options of `startServer`. */
export interface StartOptions {
  /** Listen URL; defaults to "http://127.0.0.1:0". */
  url?: string;
  /** Manager constructor options (limits, errorHandler, ...). */
  managerOpts?: Record<string, unknown>;
  /** Timeout passed to each `poll()` of the background loop (ms). */
  pollMs?: number;
  /** "poll" (default): a background poll loop; "auto": the manager drives itself. */
  mode?: DriveMode;
}

/** How a test server is driven. */
export type DriveMode = "poll" | "auto";

/** The facade's auto-drive switch (internal API of Manager, used by run()). */
interface AutoDrivable {
  setAutoDrive(on: boolean, opts?: { tickMs?: number }): void;
}

/** A running test server. */
export interface TestServer {
  mgr: Manager;
  listener: Connection;
  port: number;
  host: string;
  /** "http://127.0.0.1:PORT" (brackets around IPv6 hosts). */
  base: string;
  /** How many times the background loop called poll(). */
  readonly polls: number;
  /** Stop the loop, then close the manager. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<TestServer>();

/** Resolves once the WASM core is loaded (idempotent). */
export async function ready(): Promise<void> {
  await init();
}

/** Make a Manager after init() (constructors are synchronous once loaded). */
export async function makeManager(handler?: Handler, opts?: Record<string, unknown>): Promise<Manager> {
  await ready();
  return new Manager(handler as never, opts as never);
}

/** Run `while (!stop) await mgr.poll(ms)` in the background; returns a stopper. */
export function backgroundPoll(mgr: Manager, pollMs = 10): { stop(): Promise<void>; count(): number } {
  let stop = false;
  let polls = 0;
  const loop = (async () => {
    // Bounded: at most 10 minutes of polling even if a test forgets to stop.
    const deadline = Date.now() + 600_000;
    while (!stop && !mgr.closed && Date.now() < deadline) {
      polls++;
      await mgr.poll(pollMs);
    }
  })();
  return {
    stop: async () => { stop = true; await loop; },
    count: () => polls,
  };
}

/** Turn on the manager's auto-drive (tick every `tickMs`); returns a stopper like backgroundPoll's. */
export function autoDrive(mgr: Manager, tickMs = 100): { stop(): Promise<void>; count(): number } {
  const m = mgr as unknown as AutoDrivable;
  if (typeof m.setAutoDrive !== "function") throw new Error("this Manager has no setAutoDrive(): no auto-drive mode");
  m.setAutoDrive(true, { tickMs });
  return {
    stop: async () => { m.setAutoDrive(false); },
    count: () => 0,
  };
}

/** Start an HTTP (or tcp://) listener driven by a background poll loop (or auto-drive with mode "auto"). */
export async function startServer(handler: Handler, opts: StartOptions = {}): Promise<TestServer> {
  const mgr = await makeManager(handler, opts.managerOpts);
  let listener: Connection;
  try {
    listener = mgr.listen(opts.url ?? "http://127.0.0.1:0");
  } catch (e) {
    mgr.close();
    throw e;
  }
  const addr = listener.localAddr!;
  const host = addr.address;
  const loop = opts.mode === "auto" ? autoDrive(mgr, opts.pollMs ?? 100) : backgroundPoll(mgr, opts.pollMs ?? 10);
  let stopped: Promise<void> | undefined;
  const server: TestServer = {
    mgr, listener, port: addr.port, host,
    base: `http://${host.includes(":") ? `[${host}]` : host}:${addr.port}`,
    get polls() { return loop.count(); },
    stop() {
      stopped ??= (async () => {
        live.delete(server);
        // close() resolves a pending poll(), so a long poll does not delay the stop.
        const loopDone = loop.stop();
        mgr.close();
        await loopDone;
      })();
      return stopped;
    },
  };
  live.add(server);
  return server;
}

/** Close every server still running (call from afterEach). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `cond` every few ms until it holds; throws after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 3000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * Connect `mgr` (driven by the caller) to `url` with a per-connection
 * handler that sends `payload` on MG_EV_CONNECT; resolves with everything
 * read once the peer closes.
 */
export async function exchange(mgr: Manager, url: string, payload: string, timeoutMs = 5000): Promise<string> {
  let got = "";
  let closed = false;
  mgr.connect(url, {
    handler: (c: Connection, ev: number) => {
      if (ev === MG_EV_CONNECT) c.send(payload);
      if (ev === MG_EV_READ) got += Buffer.from(c.recvData()).toString();
      if (ev === MG_EV_CLOSE) closed = true;
    },
  });
  await waitFor(() => closed, timeoutMs, `the close of ${url}`);
  return got;
}

/** A port nobody listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
