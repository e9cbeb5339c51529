// close-active.ts: closing active connections by hand. The handler keeps a
// list of open connections (added on MG_EV_ACCEPT, removed on MG_EV_CLOSE).
// After the poll loop ends, every connection still open is answered with 503
// (connections with no request waiting throw HeadersSentError: their last
// request was answered already) and drained; the loop
// runs up to 1 s more until the list is empty, then close(). /slow answers
// after SLOW_MS (default 5000), so a request can be in flight at shutdown.
// PORT (default 8000; 0 = any free port).
import { init, Manager, ConnectionClosedError, HeadersSentError, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage, Timer } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const slowMs = Number(process.env.SLOW_MS ?? 5000);

let shutdownRequested = false;
let signalName = "";
function onSignal(signal: NodeJS.Signals): void {
  shutdownRequested = true;
  signalName = signal;
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const clients: Connection[] = [];
const slowTimers = new Map<Connection, Timer>();

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_ACCEPT) {
    clients.push(conn);
  } else if (ev === MG_EV_CLOSE) {
    const i = clients.indexOf(conn);
    if (i >= 0) clients.splice(i, 1);
    slowTimers.get(conn)?.cancel();
    slowTimers.delete(conn);
  } else if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    if (hm.uri === "/slow") {
      slowTimers.set(conn, mgr.timerAdd(slowMs, () => {
        slowTimers.delete(conn);
        conn.reply(200, "Slow hello\n");
      }));
    } else {
      conn.reply(200, "Hello, World!\n");
    }
  }
});
const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");

try {
  while (!shutdownRequested) await mgr.poll(100);
  console.log(`Received ${signalName}, shutting down...`);

  listener.close(); // stop accepting first, so the list can only shrink

  // Close all active connections.
  console.log(`Closing ${clients.length} active connections...`);
  for (const client of [...clients]) {
    try {
      slowTimers.get(client)?.cancel();
      try {
        client.reply(503, "Server shutting down\n");
      } catch (err) {
        if (!(err instanceof HeadersSentError)) throw err; // no request was waiting
      }
      client.drain();
    } catch (err) {
      if (!(err instanceof ConnectionClosedError)) throw err; // already closed
    }
  }

  // Give the connections up to 1 s to flush and close.
  for (let i = 0; i < 10 && clients.length > 0; i++) await mgr.poll(100);
  if (clients.length > 0) console.log(`${clients.length} connections did not drain in time`);
} finally {
  mgr.close();
  console.log("Server stopped cleanly");
}
