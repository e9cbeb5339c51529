// tsmongoose HTTPS hello world (the TLS bench, tls.mjs): the certificate and
// key come from the files named by BENCH_TLS_CERT / BENCH_TLS_KEY; the
// transport from TSMONGOOSE_TRANSPORT (handle or socket).
import { readFileSync } from "node:fs";
import { defaultTransport, init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import { HELLO, serveIpc } from "./common.mjs";

await init();
const mgr = new Manager((conn, ev) => {
  if (ev === MG_EV_HTTP_MSG) conn.reply(200, HELLO);
});
const tls = { cert: readFileSync(process.env.BENCH_TLS_CERT, "utf8"), key: readFileSync(process.env.BENCH_TLS_KEY, "utf8") };
const listener = mgr.listen("https://127.0.0.1:0", { tls });
const running = mgr.run({ signals: [] });
serveIpc(listener.localAddr.port, async () => {
  mgr.close();
  await running;
}, `transport "${defaultTransport()}"`);
