// http-streaming-client.ts: print a large (or endless) HTTP response as it
// arrives, without holding it in memory: the reference's streaming client.
// The connection is raw TCP (`http: false`): MG_EV_READ hands over each
// piece; the head is parsed here, then every body byte goes straight to
// stdout and leaves the receive buffer (recvData consumes). The request
// is HTTP/1.0, so the answer has no chunked framing: its end is the
// Content-Length, or the close. Usage: http-streaming-client.mjs URL
// Progress goes to stderr: "head: <status line>" and "done: N body bytes".
import { init, Manager, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_READ } from "tsmongoose";

const url = new URL(process.argv[2] ?? "http://127.0.0.1:8000/");
let head = Buffer.alloc(0);
let headDone = false;
let expected = -1; // body length, -1: until the close
let received = 0;
let done = false;
let failed = false;

function finish(): void {
  if (done) return;
  done = true;
  console.error(`done: ${received} body bytes`);
}

await init();
const mgr = new Manager();
mgr.connect(`tcp://${url.hostname}:${url.port || 80}`, {
  http: false,
  timeoutMs: 10_000,
  handler: (conn, ev, data) => {
    if (ev === MG_EV_CONNECT) {
      conn.send(`GET ${url.pathname}${url.search} HTTP/1.0\r\nHost: ${url.host}\r\n\r\n`);
    } else if (ev === MG_EV_READ) {
      let bytes = Buffer.from(conn.recvData());
      if (!headDone) {
        head = Buffer.concat([head, bytes]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) return;
        headDone = true;
        const text = head.subarray(0, end).toString("latin1");
        console.error(`head: ${text.split("\r\n")[0]}`);
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        if (cl) expected = Number(cl[1]);
        bytes = head.subarray(end + 4);
      }
      process.stdout.write(bytes);
      received += bytes.length;
      if (expected >= 0 && received >= expected) {
        finish();
        conn.close();
      }
    } else if (ev === MG_EV_ERROR) {
      console.error(`error: ${String(data)}`);
      failed = true;
    } else if (ev === MG_EV_CLOSE) {
      if (!failed && headDone) finish();
      done = true;
    }
  },
});
while (!done) await mgr.poll(100);
mgr.close();
process.exitCode = failed || !headDone ? 1 : 0;
