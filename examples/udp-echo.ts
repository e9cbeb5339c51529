// udp-echo.ts: a UDP echo server, as in the reference library. Every
// datagram comes in as its own MG_EV_READ with the sender in
// conn.remoteAddr; send() answers it with one datagram. Stop with Ctrl+C
// (run() shuts down on SIGINT/SIGTERM). PORT (default 8000; 0 = any free),
// HOST (default 127.0.0.1; "::1" for IPv6).
//   echo hello | nc -u -w1 127.0.0.1 8000
import { init, Manager, MG_EV_READ } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const host = process.env.HOST ?? "127.0.0.1";

await init();
const mgr = new Manager((conn, ev) => {
  if (ev === MG_EV_READ) {
    const datagram = conn.recvData(); // consume it: the next one starts fresh
    conn.send(datagram);              // back to conn.remoteAddr, the sender
  }
});
const sock = mgr.listen(`udp://${host.includes(":") ? `[${host}]` : host}:${port}`);
console.log(`UDP echo server on udp://${host.includes(":") ? `[${host}]` : host}:${sock.localAddr.port}`);
console.log("Press Ctrl+C to stop");
await mgr.run();
console.log("Server stopped cleanly");
