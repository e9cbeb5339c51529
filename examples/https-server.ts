// https-server.ts: an HTTPS server whose certificate rotates without a
// restart. TLS_CERT and TLS_KEY name PEM files (e.g. Let's Encrypt's
// fullchain.pem and privkey.pem); on SIGHUP they are read again and new
// connections get the new certificate (established ones keep theirs). A
// file that does not parse is reported and the old certificate stays.
// SIGINT/SIGTERM shut down gracefully (run()). PORT (default 8443; 0 = any).
import { readFileSync } from "node:fs";
import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8443);
const certFile = process.env.TLS_CERT ?? "cert.pem";
const keyFile = process.env.TLS_KEY ?? "key.pem";
const credentials = () => ({ cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") });

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    conn.reply(200, `Hello over TLS from ${hm.uri}\n`);
  }
});
const listener = mgr.listen(`https://127.0.0.1:${port}`, { tls: credentials() });

process.on("SIGHUP", () => {
  try {
    mgr.setTlsContext(credentials());
    console.log("Certificate reloaded");
  } catch (err) {
    console.error(`Certificate not reloaded, keeping the old one: ${(err as Error).message}`);
  }
});

console.log(`Server running on https://127.0.0.1:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");
const report = await mgr.run();
console.log(`Server stopped cleanly (${report.completed} request(s) completed during shutdown)`);
