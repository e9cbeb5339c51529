// The WebSocket echo ceiling for tests/bench/ws.mjs: the least work a server
// on libuv TCP handles (what tsmongoose's default transport uses) can do per
// echo: answer the handshake, unmask each frame and write it back, one
// writeBuffer() per read, no validation, no limits, no events. Not a usable
// server; it says how much of a round trip is the kernel's.
import { createHash } from "node:crypto";
import { serveRawHandles } from "./raw-common.mjs";

const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset } = process.binding("stream_wrap");
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function write(h, buf) {
  const req = new WriteWrap();
  req.oncomplete = () => {};
  req.buffer = buf; // kept alive while pending
  if (h.writeBuffer(req, buf) < 0) { handles.delete(h); h.close(); }
}

/** Echo every complete frame in h.pending (client frames are masked; ours are not). */
function frames(h) {
  const out = [];
  let b = h.pending, i = 0;
  while (b.length - i >= 2) {
    const op = b[i] & 15;
    let len = b[i + 1] & 127, at = i + 2;
    if (len === 126) { if (b.length - i < 4) break; len = b.readUInt16BE(i + 2); at = i + 4; }
    else if (len === 127) { if (b.length - i < 10) break; len = Number(b.readBigUInt64BE(i + 2)); at = i + 10; }
    if (b.length - at < len + 4) break;
    const key = b.subarray(at, at + 4), hdr = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const f = Buffer.allocUnsafe(hdr + len);
    f[0] = 0x80 | op;
    if (hdr === 2) f[1] = len; else if (hdr === 4) { f[1] = 126; f.writeUInt16BE(len, 2); } else { f[1] = 127; f.writeBigUInt64BE(BigInt(len), 2); }
    for (let k = 0; k < len; k++) f[hdr + k] = b[at + 4 + k] ^ key[k & 3];
    out.push(f);
    i = at + 4 + len;
  }
  h.pending = b.subarray(i);
  if (out.length) write(h, out.length === 1 ? out[0] : Buffer.concat(out));
}

function onRead(arrayBuffer) {
  const nread = streamBaseState[kReadBytesOrError];
  if (nread < 0) { handles.delete(this); this.close(); return; }
  if (nread === 0 || arrayBuffer === undefined) return;
  const chunk = Buffer.from(arrayBuffer, streamBaseState[kArrayBufferOffset], nread);
  this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
  if (!this.open) {
    const head = this.pending.toString("latin1");
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? "";
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    write(this, Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`, "latin1"));
    this.open = true;
    this.pending = this.pending.subarray(end + 4);
  }
  frames(this);
}

const handles = serveRawHandles("ws-raw-handle", onRead, (client) => { client.pending = Buffer.alloc(0); client.open = false; },
  "ceiling: unmask and write back, one writeBuffer() per read");
