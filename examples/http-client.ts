// http-client.ts: fetch a URL with the Manager as an HTTP client, the
// reference's way: connect, write the request on MG_EV_CONNECT, print the
// answer on MG_EV_HTTP_MSG, stop. Usage: http-client.mjs URL [METHOD [BODY]]
// (a missing or bad URL prints the usage line and exits 1).
// (http-basic-auth-client.ts adds credentials to the same request.)
// Prints the status line, then the body; exits 0 on a 2xx answer, 1 otherwise
// (2 on a connection error or a timeout of TIMEOUT_MS, default 10 000).
import { init, Manager, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";

const USAGE = "usage: http-client.mjs http://HOST[:PORT]/PATH [METHOD [BODY]]";
/** The URL argument, or undefined when it is missing, does not parse, or is not http://. */
function parseUrl(arg: string | undefined): URL | undefined {
  if (arg === undefined) return undefined;
  try {
    const u = new URL(arg);
    return u.protocol === "http:" && u.host !== "" ? u : undefined;
  } catch {
    return undefined;
  }
}
const url = parseUrl(process.argv[2]);
if (url === undefined) {
  // A usage line, not a stack trace: the mistake is the caller's.
  console.error(process.argv[2] === undefined ? "error: a URL is required" : `error: not an http:// URL: ${process.argv[2]}`);
  console.error(USAGE);
  process.exit(1);
}
const method = process.argv[3] ?? "GET";
const body = process.argv[4] ?? "";
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 10_000);

let done = false;
let exitCode = 2;

await init();
const mgr = new Manager();
mgr.connect(`http://${url.host}`, {
  timeoutMs,
  handler: (conn, ev, data) => {
    if (ev === MG_EV_CONNECT) {
      conn.send(`${method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n`);
      conn.send(`\r\n${body}`);
    } else if (ev === MG_EV_HTTP_MSG) {
      const hm = data as HttpMessage;
      const status = hm.status() ?? 0;
      console.log(`${hm.method} ${status} ${hm.proto}`);
      process.stdout.write(hm.bodyText);
      exitCode = status >= 200 && status < 300 ? 0 : 1;
      done = true;
      conn.close();
    } else if (ev === MG_EV_ERROR) {
      console.error(`error: ${String(data)}`);
      done = true;
    }
  },
});
const deadline = Date.now() + timeoutMs + 1000;
while (!done && Date.now() < deadline) await mgr.poll(100);
mgr.close();
process.exitCode = exitCode;
