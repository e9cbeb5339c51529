// upload.ts: file uploads of any size, written to disk as they arrive.
// GET / serves a page whose form posts the chosen file to /upload (the raw
// file as the request body, as the reference's upload example does);
// POST /upload?name=<file> streams the body into UPLOAD_DIR/<file> with
// conn.httpStreamBody(): the body arrives in pieces (MG_EV_HTTP_HDRS first,
// then each piece, then MG_EV_HTTP_MSG), so a 1 GB upload passes through a
// buffer of at most limits.maxBodySize (1 MiB) while only a few MB of
// memory are used. Any other POST over maxBodySize still gets 413.
// The answer is JSON: { name, bytes, rssMb } (rssMb: the process's peak
// resident memory so far, to watch the bound).
// PORT (default 8000; 0 = any free port), UPLOAD_DIR (default ./uploads).
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { init, Manager, MG_EV_CLOSE, MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";

const port = Number(process.env.PORT ?? 8000);
const dir = resolve(process.env.UPLOAD_DIR ?? "uploads");
mkdirSync(dir, { recursive: true });

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Upload</title></head>
<body>
  <h1>Upload a file</h1>
  <form id="form"><input type="file" id="file"> <button>Upload</button></form>
  <pre id="result"></pre>
  <script>
    document.getElementById("form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const file = document.getElementById("file").files[0];
      if (!file) return;
      const res = await fetch("/upload?name=" + encodeURIComponent(file.name), { method: "POST", body: file });
      document.getElementById("result").textContent = await res.text();
    });
  </script>
</body></html>
`;

/** An upload in progress: where its bytes go. */
interface Upload { fd: number; name: string; bytes: number }
const uploads = new Map<Connection, Upload>();
let peakRss = 0;

function finish(conn: Connection): Upload | undefined {
  const up = uploads.get(conn);
  if (up) {
    closeSync(up.fd);
    uploads.delete(conn);
  }
  return up;
}

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_HDRS) {
    const hm = data as HttpMessage;
    if (hm.method !== "POST" || hm.uri !== "/upload") return;
    // A name without any directory part: uploads never leave UPLOAD_DIR.
    const name = basename(hm.queryVar("name") ?? "").replace(/^\.+/, "");
    if (!name) {
      conn.reply(400, "?name= is required\n");
      return;
    }
    const up: Upload = { fd: openSync(join(dir, name), "w"), name, bytes: 0 };
    uploads.set(conn, up);
    conn.httpStreamBody((piece) => {
      writeSync(up.fd, piece); // synchronous: the next piece waits, memory stays bounded
      up.bytes += piece.length;
    });
  } else if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    if (hm.method === "GET" && hm.uri === "/") {
      conn.reply(200, PAGE, { "Content-Type": "text/html; charset=utf-8" });
    } else if (hm.method === "POST" && hm.uri === "/upload") {
      const up = finish(conn);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (up) console.log(`Stored ${up.name}: ${up.bytes} bytes`);
      conn.replyJson({ name: up?.name, bytes: up?.bytes ?? 0, rssMb: Math.round(peakRss / 1048576) });
    } else {
      conn.reply(404, "Not found\n");
    }
  } else if (ev === MG_EV_CLOSE) {
    finish(conn); // an upload cut off midway leaves a partial file behind
  }
});
// Sample memory while uploads run, so rssMb reports the peak.
mgr.timerAdd(50, () => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, { repeat: true });

const listener = mgr.listen(`http://127.0.0.1:${port}`);
console.log(`Server running on http://127.0.0.1:${listener.localAddr.port}`);
console.log(`Uploads go to ${dir}`);
console.log("Press Ctrl+C to stop");
const report = await mgr.run();
console.log(`Server stopped (${report.completed} requests completed)`);
