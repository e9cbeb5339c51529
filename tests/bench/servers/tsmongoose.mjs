// tsmongoose hello world, built from dist/ (imported by package name).
// Routes: GET / (13 bytes), GET /100k (100 KiB), POST /upload (body up to
// 2 MiB, answered "ok"). Uses the same payloads as the other servers.
import { defaultTransport, init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
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
// resolves early on socket activity). A run() that is still a stub rejects
// with ERR_NOT_IMPLEMENTED at once: then the next way is used.
let stop = false;
async function drive() {
  if (typeof mgr.run === "function") {
    const running = mgr.run({ signals: [] });
    const early = await Promise.race([running.then(() => "resolved", (err) => err),
      new Promise((resolve) => setImmediate(() => resolve("running")))]);
    if (early === "running") return "run()";
    if (early?.code !== "ERR_NOT_IMPLEMENTED") throw early;
  }
  if (typeof mgr.setAutoDrive === "function") {
    mgr.setAutoDrive(true);
    return "setAutoDrive(true)";
  }
  void (async () => { while (!stop) await mgr.poll(1000); })();
  return "a poll(1000) loop";
}
const mode = await drive();
serveIpc(listener.localAddr.port, async () => {
  stop = true;
  mgr.close();
}, `driven by ${mode}, transport "${defaultTransport()}" (TSMONGOOSE_TRANSPORT=socket for node:net)`);
