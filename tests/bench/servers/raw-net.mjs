// The raw node:net ceiling: no HTTP parsing at all. Every 'data' event is
// answered with one canned response per request head found in the chunk
// ("\r\n\r\n" counted, with the partial match carried across chunks so
// pipelined and split requests stay correct). Nothing a node:net based
// server does per request can be cheaper, so its rate bounds any shim.
//
// Mode (argv[2]): "hello" (13-byte body), "100k" (100 KiB body) or "upload"
// (requests carry a Content-Length body that is skipped before answering).
import { createServer } from "node:net";
import { HELLO, BIG, UPLOADED, serveIpc } from "./common.mjs";

const mode = process.argv[2] ?? "hello";
const canned = (body) => Buffer.concat([
  Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
const response = canned(mode === "100k" ? BIG : mode === "upload" ? UPLOADED : HELLO);
const CRLF2 = Buffer.from("\r\n\r\n");
const TERM = [13, 10, 13, 10];

/** One step of the "\r\n\r\n" matcher: state = bytes of it matched so far. */
const step = (state, byte) => (byte === TERM[state] ? state + 1 : byte === 13 ? 1 : 0);

/** Counts request heads ending in `chunk`; `st.carry` spans chunks. */
function countHeads(st, chunk) {
  let n = 0, from = 0;
  if (st.carry > 0) {
    let s = st.carry;
    const head = Math.min(3, chunk.length);
    for (let i = 0; i < head; i++) {
      s = step(s, chunk[i]);
      if (s === 4) { n = 1; from = i + 1; break; }
    }
    if (n === 0 && chunk.length <= 3) { st.carry = s; return 0; }
  }
  for (let i; (i = chunk.indexOf(CRLF2, from)) !== -1; from = i + 4) n++;
  let s = 0;
  for (let j = Math.max(from, chunk.length - 3); j < chunk.length; j++) s = step(s, chunk[j]);
  st.carry = s;
  return n;
}

/** Upload mode: skips each request's Content-Length body; returns answers due. */
function countUploads(st, chunk) {
  let n = 0, off = 0;
  while (off < chunk.length) {
    if (st.remaining > 0) {
      const take = Math.min(st.remaining, chunk.length - off);
      st.remaining -= take; off += take;
      if (st.remaining === 0) n++;
      continue;
    }
    const piece = chunk.latin1Slice(off, Math.min(chunk.length, off + 8192));
    const joined = st.pending + piece;
    const end = joined.indexOf("\r\n\r\n");
    if (end === -1) { st.pending = joined; off += piece.length; continue; }
    off += end + 4 - st.pending.length;
    st.pending = "";
    const m = /\r\ncontent-length:[ \t]*(\d+)/i.exec(joined.slice(0, end));
    st.remaining = m ? Number(m[1]) : 0;
    if (st.remaining === 0) n++;
  }
  return n;
}

const count = mode === "upload" ? countUploads : countHeads;
const server = createServer((socket) => {
  const st = { carry: 0, remaining: 0, pending: "" };
  socket.on("data", (chunk) => {
    const n = count(st, chunk);
    if (n === 1) socket.write(response);
    else if (n > 1) socket.write(Buffer.concat(new Array(n).fill(response)));
  });
  socket.on("error", () => socket.destroy());
});
server.listen(0, "127.0.0.1", () => {
  serveIpc(server.address().port, async () => { server.close(); });
});
