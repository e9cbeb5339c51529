// poll-loop.ts: the manual pattern, step by step: signal handlers that only
// set a flag, a `while (!stop) await mgr.poll(100)` loop, and close() at the
// end. Nothing is drained: requests still in flight when the loop ends are
// cut off (see close-active.ts for the graceful version, graceful-server.ts
// for the library doing it all). PORT (default 8000; 0 = any free port).
import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);

let shutdownRequested = false;
let signalName = "";
// A signal handler runs on the event loop like any other callback: keep it
// tiny, let the loop notice the flag at its next turn (<= 100 ms).
function onSignal(signal: NodeJS.Signals): void {
  shutdownRequested = true;
  signalName = signal;
}
process.on("SIGINT", onSignal); // Ctrl+C
process.on("SIGTERM", onSignal); // kill, systemd, docker stop

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    conn.reply(200, `Hello from ${hm.uri}\n`);
  }
});
const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");

try {
  while (!shutdownRequested) await mgr.poll(100);
  console.log(`Received ${signalName}, shutting down...`);
} finally {
  mgr.close();
  console.log("Server stopped cleanly");
}
