// graceful-server.ts: the server `npm start` runs, with graceful shutdown
// done by the library.
//
// Listens on http://127.0.0.1:8000 (PORT overrides the port, PORT=0 picks a
// free one and prints it; HOST overrides the address, e.g. HOST=0.0.0.0 in a
// container). Routes:
//   /             "Hello, World!"
//   /slow?ms=N    answers after N ms (default 2000) from a timer
//   /big?mb=N     an N MiB body (default 8), bytes i % 251
//   /healthz      200 "ok" while ready, 503 once shutdown has started
// mgr.run() drives the manager and handles SIGINT (Ctrl+C) and SIGTERM. The
// first signal starts a graceful shutdown: the listener closes (new
// connections are refused), requests in flight finish, a request that
// arrives on an open connection is still served but its answer says
// Connection: close, idle keep-alive connections close once idle for the
// keep-alive timeout the responses advertise (5 s), and after SHUTDOWN_TIMEOUT_MS (default 10 s) whatever is
// left is force-closed. A second press (1 s or more after the first: npm
// forwards Ctrl+C once more) forces the exit at once. The report
// is printed as one JSON line.
import { init, Manager, MG_EV_CLOSE, MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage, Timer } from "tsmongoose";

function intEnv(name: string, fallback: number, max: number): number {
  const text = process.env[name];
  const value = text === undefined || text === "" ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    console.error(`graceful-server: ${name} must be 0..${max}, got '${text}'`);
    process.exit(2);
  }
  return value;
}

/** An integer query parameter within 0..max, or `fallback` when absent or invalid. */
function intParam(hm: HttpMessage, name: string, fallback: number, max: number): number {
  const n = Number(hm.queryVar(name) ?? fallback);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : fallback;
}

const port = intEnv("PORT", 8000, 65535);
const host = process.env.HOST || "127.0.0.1";
const hostInUrl = host.includes(":") ? `[${host}]` : host;
const shutdownTimeoutMs = intEnv("SHUTDOWN_TIMEOUT_MS", 10_000, 3_600_000);

/** `mb` MiB of the bytes i % 251 (a pattern a client can check). */
function bigBody(mb: number): Uint8Array {
  const body = new Uint8Array(mb * 1024 * 1024);
  for (let i = 0; i < Math.min(251, body.length); i++) body[i] = i;
  for (let filled = 251; filled < body.length; filled *= 2) body.copyWithin(filled, 0, Math.min(filled, body.length - filled));
  return body;
}

await init();
const slow = new Map<Connection, Timer>(); // /slow requests waiting for their timer

const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_CLOSE) {
    slow.get(conn)?.cancel(); // the client went away: no answer to send
    slow.delete(conn);
  } else if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    if (hm.uri === "/") {
      conn.reply(200, "Hello, World!");
    } else if (hm.uri === "/slow") {
      const ms = intParam(hm, "ms", 2000, 600_000);
      slow.set(conn, mgr.timerAdd(ms, () => {
        slow.delete(conn);
        conn.reply(200, `Slow hello after ${ms} ms\n`);
      }));
    } else if (hm.uri === "/big") {
      conn.reply(200, bigBody(intParam(hm, "mb", 8, 64)), { "Content-Type": "application/octet-stream" });
    } else if (hm.uri === "/healthz") {
      // Load balancers stop routing here once this says 503.
      if (mgr.ready) conn.reply(200, "ok\n");
      else conn.reply(503, "shutting down\n");
    } else {
      conn.reply(404, "Not Found\n");
    }
  }
});

mgr.onShutdown((signal) => {
  const open = mgr.connections.filter((c) => c.isAccepted).length;
  console.log(`Received ${signal ?? "a shutdown request"}, shutting down...`);
  console.log(`Draining ${open} connection(s)... (up to ${shutdownTimeoutMs} ms; press Ctrl+C again to force)`);
});

const listener = mgr.listen(`http://${hostInUrl}:${port}`);
console.log(`Server running on http://${hostInUrl}:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");

const report = await mgr.run({ shutdownTimeoutMs });
console.log(`shutdown report: ${JSON.stringify(report)}`);
if (report.forced.length > 0) console.log(`Force-closed ${report.forced.length} connection(s) that did not finish in time`);
console.log("Server stopped cleanly");
