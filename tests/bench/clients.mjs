// Small raw-socket HTTP clients for the bench: a one-request probe that shows
// exactly what a server answers, and a pool of idle keep-alive connections
// for the memory measurement.
import { connect } from "node:net";

/** Sends one request on a fresh socket and resolves with the parsed answer. */
export function probe(port, { method = "GET", path = "/", body } = {}, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    const chunks = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`probe ${method} ${path}: timed out`)); }, timeoutMs);
    const done = (v, err) => { clearTimeout(timer); sock.destroy(); err ? reject(err) : resolve(v); };
    sock.on("error", (err) => done(undefined, err));
    sock.on("connect", () => {
      const len = body ? body.length : 0;
      sock.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        (body ? `Content-Type: application/octet-stream\r\nContent-Length: ${len}\r\n` : "") + "\r\n");
      if (body) sock.write(body);
    });
    sock.on("data", (chunk) => {
      chunks.push(chunk);
      const res = parseResponse(Buffer.concat(chunks));
      if (res) done(res);
    });
    sock.on("end", () => done(undefined, new Error(`probe ${method} ${path}: closed before a complete response`)));
  });
}

/** A complete response at the start of `buf`, or null while incomplete. */
function parseResponse(buf) {
  const end = buf.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const head = buf.subarray(0, end).toString("latin1");
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const bodyBytes = m ? Number(m[1]) : 0;
  if (buf.length < end + 4 + bodyBytes) return null;
  return {
    status: Number(head.split(" ")[1]),
    head,
    headBytes: end + 4,
    bodyBytes,
    body: buf.subarray(end + 4, end + 4 + bodyBytes),
  };
}

/**
 * Opens `count` keep-alive connections, each completing one GET / exchange,
 * then leaves them idle. Resolves with the sockets (the caller destroys them).
 */
export async function openIdle(port, count, { batch = 50, timeoutMs = 60_000 } = {}) {
  const sockets = [];
  const deadline = Date.now() + timeoutMs;
  const one = () => new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    sockets.push(sock);
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error("idle connection: no response")), Math.max(1, deadline - Date.now()));
    sock.on("error", (err) => { clearTimeout(timer); reject(err); });
    sock.on("connect", () => sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    sock.on("data", function onData(chunk) {
      got = Buffer.concat([got, chunk]);
      if (parseResponse(got)) { clearTimeout(timer); sock.off("data", onData); resolve(); }
    });
    sock.on("end", () => { clearTimeout(timer); reject(new Error("idle connection closed by the server")); });
  });
  try {
    for (let i = 0; i < count; i += batch) {
      await Promise.all(Array.from({ length: Math.min(batch, count - i) }, one));
    }
  } catch (err) {
    for (const s of sockets) s.destroy();
    throw err;
  }
  return sockets;
}

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
