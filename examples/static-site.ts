// static-site.ts: a web root served the Mongoose way (the reference's
// http-server example): every request that is not an API call goes to
// serveDir, which maps the URL to a file under the root, answers
// conditional and range requests, sends app.js.gz to clients that accept
// gzip, and never serves a byte from outside the root.
// PORT (default 8000; 0 = any free port), WEB_ROOT (default examples/web_root).
import { resolve } from "node:path";
import { init, Manager, MG_EV_HTTP_MSG } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const webRoot = resolve(process.env.WEB_ROOT ?? "examples/web_root");

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev !== MG_EV_HTTP_MSG) return;
  const hm = data as HttpMessage;
  if (hm.uri === "/api/stats") {
    // A dynamic endpoint beside the files, as in the reference example.
    conn.replyJson({ connections: mgr.connections.length, uptimeSeconds: Math.round(process.uptime()) });
  } else {
    conn.serveDir(hm, webRoot, { extraHeaders: { "Cache-Control": "no-cache" } });
  }
});
const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Serving ${webRoot}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
console.log("Press Ctrl+C to stop");

// run() drives the manager; Ctrl+C (SIGINT) or SIGTERM shuts it down gracefully.
const report = await mgr.run({ shutdownTimeoutMs: 5_000 });
console.log(`Server stopped cleanly (${report.signal ?? "closed"})`);
