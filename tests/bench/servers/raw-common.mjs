// What both raw ceilings share: the canned response of each mode and the
// request counting (no HTTP parsing: request heads are found by their
// "\r\n\r\n", upload bodies skipped by their Content-Length).
import { HELLO, BIG, UPLOADED, serveIpc } from "./common.mjs";

/** The whole response (head and body) a raw server answers in `mode`. */
export function cannedResponse(mode) {
  const body = mode === "100k" ? BIG : mode === "upload" ? UPLOADED : mode === "1m" ? Buffer.alloc(1 << 20, "x") : HELLO;
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
}

const CRLF2 = Buffer.from("\r\n\r\n");
const TERM = [13, 10, 13, 10];

/** One step of the "\r\n\r\n" matcher: state = bytes of it matched so far. */
const step = (state, byte) => (byte === TERM[state] ? state + 1 : byte === 13 ? 1 : 0);

/** Counts request heads ending in `chunk`; `st.carry` spans chunks. */
export function countHeads(st, chunk) {
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
export function countUploads(st, chunk) {
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

/**
 * Listen on libuv TCP handles (process.binding('tcp_wrap')) on 127.0.0.1, an
 * ephemeral port: each accepted handle gets `init(handle)` (its state), then
 * `onread` and reading with TCP_NODELAY; reports readiness over IPC (serveIpc)
 * and closes everything on stop.
 */
export function serveRawHandles(name, onread, init, note) {
  const { TCP, constants } = process.binding("tcp_wrap");
  const handles = new Set();
  const server = new TCP(constants.SERVER);
  if (server.bind("127.0.0.1", 0) < 0 || server.listen(511) < 0) throw new Error(`${name}: cannot listen`);
  server.onconnection = (status, client) => {
    if (status < 0 || !client) return;
    init(client);
    client.onread = onread;
    client.setNoDelay(true);
    handles.add(client);
    client.readStart();
  };
  const addr = {};
  server.getsockname(addr);
  serveIpc(addr.port, async () => {
    server.close();
    for (const h of handles) h.close();
  }, note);
  return handles;
}
