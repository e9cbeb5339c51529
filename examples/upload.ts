// upload.ts: file uploads of any size, written to disk as they arrive.
// GET / serves a page whose form posts the chosen file to /upload (the raw
// file as the request body, as the reference's upload example does);
// POST /upload?name=<file> streams the body into UPLOAD_DIR/<file> with
// conn.httpStreamBody(): the body arrives in pieces (MG_EV_HTTP_HDRS first,
// then each piece, then MG_EV_HTTP_MSG), so a 1 GB upload passes through a
// buffer of at most limits.maxBodySize (1 MiB) while only a few MB of
// memory are used. Any other POST over maxBodySize still gets 413.
// A multipart/form-data body (`curl -F file=@photo.jpg URL/upload`) stores
// the first file part's content only, named by ?name= or the part's
// filename (sanitised); a raw body (`curl --data-binary @photo.jpg
// "URL/upload?name=photo.jpg"`) is stored as it is.
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

/** An upload in progress: where its bytes go (fd -1 until a multipart file part names it). */
interface Upload { fd: number; name: string; bytes: number }

/** A file name without directories or odd characters: uploads never leave UPLOAD_DIR. */
function safeName(raw: string): string {
  return basename(raw.replace(/\\/g, "/")).replace(/^\.+/, "").replace(/[^\w. -]/g, "_").slice(0, 200);
}

/**
 * A streaming multipart/form-data reader: push() the body in pieces; the
 * content of the first part that carries a file goes to `write`, after
 * `open(filename)`. Only the last boundary's worth of bytes is held back.
 */
class MultipartFile {
  readonly #delim: Buffer;
  #buf = Buffer.from("\r\n"); // the body opens with "--boundary", the delimiter with CRLF
  #state: "preamble" | "head" | "file" | "skip" | "end" = "preamble";
  #found = false;
  constructor(boundary: string, private readonly open: (filename: string) => void, private readonly write: (b: Uint8Array) => void) {
    this.#delim = Buffer.from(`\r\n--${boundary}`);
  }
  get found(): boolean { return this.#found; }
  push(piece: Uint8Array): void {
    this.#buf = this.#buf.length === 0 ? Buffer.from(piece) : Buffer.concat([this.#buf, piece]);
    for (;;) {
      if (this.#state === "end") { this.#buf = Buffer.alloc(0); return; }
      if (this.#state === "head") {
        if (this.#buf.length < 2) return;
        if (this.#buf[0] === 0x2d && this.#buf[1] === 0x2d) { this.#state = "end"; continue; } // "--": the last boundary
        const end = this.#buf.indexOf("\r\n\r\n");
        if (end < 0) {
          if (this.#buf.length > 16384) this.#state = "end"; // not a form a browser or curl sends
          return;
        }
        const filename = /filename="([^"]*)"/i.exec(this.#buf.subarray(0, end).toString("utf8"))?.[1];
        this.#buf = this.#buf.subarray(end + 4);
        if (filename !== undefined && !this.#found) {
          this.#found = true;
          this.open(filename);
          this.#state = "file";
        } else {
          this.#state = "skip";
        }
        continue;
      }
      // preamble, file or skip: everything up to the next delimiter.
      const at = this.#buf.indexOf(this.#delim);
      const upto = at >= 0 ? at : Math.max(0, this.#buf.length - this.#delim.length + 1);
      if (this.#state === "file" && upto > 0) this.write(this.#buf.subarray(0, upto));
      if (at < 0) { this.#buf = this.#buf.subarray(upto); return; }
      this.#buf = this.#buf.subarray(at + this.#delim.length);
      this.#state = "head";
    }
  }
}
const uploads = new Map<Connection, Upload>();
let peakRss = 0;

function finish(conn: Connection): Upload | undefined {
  const up = uploads.get(conn);
  if (up) {
    if (up.fd >= 0) closeSync(up.fd);
    uploads.delete(conn);
  }
  return up;
}

await init();
const mgr = new Manager((conn, ev, data) => {
  if (ev === MG_EV_HTTP_HDRS) {
    const hm = data as HttpMessage;
    if (hm.method !== "POST" || hm.uri !== "/upload") return;
    const asked = safeName(hm.queryVar("name") ?? "");
    const boundary = /^multipart\/form-data\s*;.*?boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(hm.header("Content-Type") ?? "");
    const up: Upload = { fd: -1, name: asked, bytes: 0 };
    const write = (piece: Uint8Array): void => {
      writeSync(up.fd, piece); // synchronous: the next piece waits, memory stays bounded
      up.bytes += piece.length;
    };
    if (boundary) {
      // curl -F / a browser form: the file part's content, named by ?name= or its filename.
      const form = new MultipartFile(boundary[1] ?? boundary[2], (filename) => {
        up.name = asked || safeName(filename);
        if (up.name) up.fd = openSync(join(dir, up.name), "w");
      }, (piece) => { if (up.fd >= 0) write(piece); });
      uploads.set(conn, up);
      conn.httpStreamBody((piece) => form.push(piece));
      return;
    }
    if (!asked) {
      conn.reply(400, "?name= is required for a raw body (or send a multipart form: curl -F file=@FILE)\n");
      return;
    }
    up.fd = openSync(join(dir, asked), "w");
    uploads.set(conn, up);
    conn.httpStreamBody(write);
  } else if (ev === MG_EV_HTTP_MSG) {
    const hm = data as HttpMessage;
    if (hm.method === "GET" && hm.uri === "/") {
      conn.reply(200, PAGE, { "Content-Type": "text/html; charset=utf-8" });
    } else if (hm.method === "POST" && hm.uri === "/upload") {
      const up = finish(conn);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (up && up.fd < 0) {
        conn.reply(400, "no file in the form (or no usable file name)\n");
        return;
      }
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
