// http-basic-auth-client.ts: an HTTP request with Basic credentials, the
// reference's basic-auth client: conn.httpBasicAuth(user, pass) writes the
// Authorization line into the request composed on MG_EV_CONNECT.
// Usage: http-basic-auth-client.mjs URL USER PASS
// Prints the status line and the body; exits 0 on 2xx, 1 otherwise, 2 on
// a connection error.
import { init, Manager, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";

const [, , target = "http://127.0.0.1:8000/api/secret", user = "admin", pass = "secret"] = process.argv;
const url = new URL(target);
let done = false;
let exitCode = 2;

await init();
const mgr = new Manager();
mgr.connect(`http://${url.host}`, {
  timeoutMs: 10_000,
  handler: (conn, ev, data) => {
    if (ev === MG_EV_CONNECT) {
      conn.send(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n`);
      conn.httpBasicAuth(user, pass);
      conn.send("Connection: close\r\n\r\n");
    } else if (ev === MG_EV_HTTP_MSG) {
      const hm = data as HttpMessage;
      const status = hm.status() ?? 0;
      console.log(`${hm.method} ${status} ${hm.proto}`);
      process.stdout.write(hm.bodyText);
      exitCode = status >= 200 && status < 300 ? 0 : 1;
      done = true;
    } else if (ev === MG_EV_ERROR) {
      console.error(`error: ${String(data)}`);
      done = true;
    }
  },
});
while (!done) await mgr.poll(100);
mgr.close();
process.exitCode = exitCode;
