// graceful-server.ts: the basic graceful-shutdown pattern.
//
// A Manager answers "Hello, World!" on http://127.0.0.1:8000 (PORT overrides
// it; PORT=0 picks a free port). /slow answers after 2 s from a timer, so a
// request can be in flight when the server is stopped. SIGINT (Ctrl+C) and
// SIGTERM only set a flag: the poll loop ends, every open connection is
// drained (a /slow request still waiting gets a 503 first), and the manager
// is closed. Run it with `npm start`.
import { init, Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage, Timer } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`graceful-server: PORT must be 0..65535, got '${process.env.PORT}'`);
  process.exit(2);
}

let stop = false;
let signalName = "";
const onSignal = (signal: NodeJS.Signals): void => {
  if (stop) {
    console.log(`Received ${signal} again, exiting now`);
    process.exit(1);
  }
  stop = true;
  signalName = signal;
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const clients = new Set<Connection>();
const slow = new Map<Connection, Timer>(); // /slow requests not yet answered

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_ACCEPT) {
    clients.add(conn);
  } else if (ev === MG_EV_CLOSE) {
    clients.delete(conn);
    slow.get(conn)?.cancel();
    slow.delete(conn);
  } else if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    if (hm.uri === "/slow") {
      const timer = mgr.timerAdd(2000, () => {
        slow.delete(conn);
        conn.reply(200, "Slow hello after 2 s\n");
      });
      slow.set(conn, timer);
    } else {
      conn.reply(200, "Hello, World!");
    }
  }
});

const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");

while (!stop) await mgr.poll(100);

console.log(`Received ${signalName}, shutting down...`);
console.log(`Draining ${clients.size} connection(s)...`);
for (const conn of clients) {
  const timer = slow.get(conn);
  if (timer) {
    // Accepted but not answered yet: say so instead of dropping it.
    timer.cancel();
    slow.delete(conn);
    conn.reply(503, "Server shutting down\n");
  }
  conn.drain();
}
// Give the drained connections up to 1 s to flush and close.
for (let i = 0; i < 10 && clients.size > 0; i++) await mgr.poll(100);
if (clients.size > 0) console.log(`Closing ${clients.size} connection(s) that did not drain in time`);
mgr.close();
console.log("Server stopped cleanly");
