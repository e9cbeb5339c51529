// request-timeout.ts: answering 408 when a handler takes too long, by hand.
// Every request's start time is recorded; a repeating timer checks them once
// a second and answers the overdue ones with 408 + drain. /slow simulates a
// backend call that takes WORK_MS (default 60 000); / answers at once.
// REQUEST_TIMEOUT_MS (default 30 000) is the limit.
//
// The library does the same by itself: `new Manager(handler, { limits: {
// requestTimeoutMs: 30_000 } })` answers 408 and drains in the core, with no
// timer and no bookkeeping. BUILTIN_TIMEOUT=1 runs this example that way.
// PORT (default 8000; 0 = any free port).
import { init, Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage, Timer } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const requestTimeoutMs = Number(process.env.REQUEST_TIMEOUT_MS ?? 30_000);
const workMs = Number(process.env.WORK_MS ?? 60_000);
const builtin = process.env.BUILTIN_TIMEOUT === "1";

let shutdownRequested = false;
let signalName = "";
function onSignal(signal: NodeJS.Signals): void {
  shutdownRequested = true;
  signalName = signal;
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const connections = new Map<number, Connection>(); // conn.id -> connection
const connectionsWithTimeout = new Map<number, number>(); // conn.id -> start time (ms)
const work = new Map<number, Timer>(); // conn.id -> the simulated backend call

/** Answer a request and stop watching it. */
function finish(conn: Connection, status: number, body: string): void {
  connectionsWithTimeout.delete(conn.id);
  conn.reply(status, body);
}

function processRequest(conn: Connection, hm: HttpMessage): void {
  if (hm.uri === "/slow") {
    work.set(conn.id, mgr.timerAdd(workMs, () => {
      work.delete(conn.id);
      finish(conn, 200, "Slow work done\n");
    }));
  } else {
    finish(conn, 200, "Hello, World!\n");
  }
}

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_ACCEPT) {
    connections.set(conn.id, conn);
  } else if (ev === MG_EV_HTTP_MSG) {
    connectionsWithTimeout.set(conn.id, Date.now());
    processRequest(conn, data as HttpMessage);
  } else if (ev === MG_EV_CLOSE) {
    connections.delete(conn.id);
    connectionsWithTimeout.delete(conn.id);
    work.get(conn.id)?.cancel();
    work.delete(conn.id);
  }
}, builtin ? { limits: { requestTimeoutMs } } : {});

// Check for timeouts periodically.
function checkTimeouts(): void {
  const now = Date.now();
  for (const [connId, startTime] of connectionsWithTimeout) {
    if (now - startTime > requestTimeoutMs) {
      const conn = connections.get(connId);
      work.get(connId)?.cancel();
      work.delete(connId);
      if (conn) {
        finish(conn, 408, "Request Timeout\n");
        conn.drain();
        console.log(`Request on connection ${connId} timed out after ${now - startTime} ms: 408`);
      }
    }
  }
}
if (!builtin) mgr.timerAdd(Math.min(1000, requestTimeoutMs), checkTimeouts, { repeat: true });

const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
console.log(builtin ? `Request timeout: ${requestTimeoutMs} ms (limits.requestTimeoutMs)`
  : `Request timeout: ${requestTimeoutMs} ms (checked by a timer)`);
console.log("Press Ctrl+C to stop");

try {
  while (!shutdownRequested) await mgr.poll(100);
  console.log(`Received ${signalName}, shutting down...`);
  listener.close();
  for (const conn of connections.values()) {
    if (connectionsWithTimeout.has(conn.id)) finish(conn, 503, "Server shutting down\n");
    conn.drain();
  }
  for (let i = 0; i < 10 && connections.size > 0; i++) await mgr.poll(100);
} finally {
  mgr.close();
  console.log("Server stopped cleanly");
}
