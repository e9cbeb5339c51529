// tsmongoose hello world, built from dist/ (imported by package name).
// Routes: GET / (13 bytes), GET /100k (100 KiB), POST /upload (body up to
// 2 MiB, answered "ok"). Uses the same payloads as the other servers.
import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import { HELLO, BIG, UPLOADED, serveIpc } from "./common.mjs";

await init();
const mgr = new Manager((conn, ev, hm) => {
  if (ev !== MG_EV_HTTP_MSG) return;
  if (hm.method === "POST") conn.reply(200, UPLOADED);
  else conn.reply(200, hm.uri === "/100k" ? BIG : HELLO);
}, { limits: { maxBodySize: 2 * 1024 * 1024 } });
const listener = mgr.listen("http://127.0.0.1:0");

// Drive the manager the fastest way the facade offers: run() (self-driven
// from socket callbacks), else auto-drive, else the poll loop (poll()
// resolves early on socket activity).
let stop = false;
let mode;
if (typeof mgr.run === "function") {
  mode = "run()";
  void mgr.run({ signals: [] });
} else if (typeof mgr.setAutoDrive === "function") {
  mode = "setAutoDrive(true)";
  mgr.setAutoDrive(true);
} else {
  mode = "poll loop";
  void (async () => { while (!stop) await mgr.poll(1000); })();
}
serveIpc(listener.localAddr.port, async () => {
  stop = true;
  mgr.close();
}, `driven by ${mode}`);
