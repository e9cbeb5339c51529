// ws-load.mjs: the WebSocket load generator of tests/bench/ws.mjs, one for
// both servers. Usage: node ws-load.mjs PORT SIZE CONNS WARMUP_MS DURATION_MS [WINDOW]
// Opens CONNS raw WebSocket connections (handshake checked), each with
// WINDOW (default 1) binary messages of SIZE bytes in flight: every echo
// (the first checked byte for byte) sends the next message; the messages
// owed after one read go out in one write. Frames are pre-built and masked once; echoes are
// counted by bytes (every echo is one unfragmented frame of known length),
// so the generator costs far less than either server. Prints one JSON line:
// { roundTrips, seconds, bytes }.
import * as net from "node:net";
import { createHash, randomBytes } from "node:crypto";

const [port, size, conns, warmupMs, durationMs, windowArg] = process.argv.slice(2).map(Number);
const window = windowArg > 0 ? windowArg : 1;
const payload = Buffer.alloc(size);
for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
const hdrLen = size < 126 ? 2 : size < 65536 ? 4 : 10;
const echoLen = hdrLen + size;

function clientFrame() {
  const key = randomBytes(4);
  const f = Buffer.alloc(hdrLen + 4 + size);
  f[0] = 0x82;
  if (size < 126) f[1] = 0x80 | size;
  else if (size < 65536) { f[1] = 0x80 | 126; f.writeUInt16BE(size, 2); }
  else { f[1] = 0x80 | 127; f.writeBigUInt64BE(BigInt(size), 2); }
  key.copy(f, hdrLen);
  for (let i = 0; i < size; i++) f[hdrLen + 4 + i] = payload[i] ^ key[i & 3];
  return f;
}

function open() {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const want = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    const sock = net.connect(port, "127.0.0.1", () => {
      sock.setNoDelay(true);
      sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    let head = Buffer.alloc(0);
    const onData = (d) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const text = head.subarray(0, end).toString("latin1");
      if (!text.startsWith("HTTP/1.1 101") || !text.includes(want)) return reject(new Error(`bad handshake: ${text}`));
      sock.off("data", onData);
      resolve({ sock, rest: head.subarray(end + 4) });
    };
    sock.on("data", onData);
    sock.on("error", reject);
  });
}

let counting = false;
let roundTrips = 0;
const sessions = [];
for (let i = 0; i < conns; i++) sessions.push(await open());
// Check one echo byte for byte before loading.
await new Promise((resolve, reject) => {
  const { sock } = sessions[0];
  let got = Buffer.alloc(0);
  const onData = (d) => {
    got = Buffer.concat([got, d]);
    if (got.length < echoLen) return;
    sock.off("data", onData);
    if (got.length !== echoLen || got[0] !== 0x82 || !got.subarray(hdrLen).equals(payload)) reject(new Error("wrong echo"));
    else resolve();
  };
  sock.on("data", onData);
  sock.write(clientFrame());
});
for (const s of sessions) {
  const one = clientFrame();
  const frames = Buffer.concat(Array.from({ length: window }, () => one));
  let have = 0;
  s.sock.on("data", (d) => {
    have += d.length;
    const done = Math.floor(have / echoLen);
    if (done === 0) return;
    have -= done * echoLen;
    if (counting) roundTrips += done;
    s.sock.write(done <= window ? frames.subarray(0, done * one.length) : Buffer.concat(Array.from({ length: done }, () => one)));
  });
  s.sock.on("error", (e) => { console.error(`load: ${e.message}`); process.exit(1); });
  s.sock.write(frames);
}
await new Promise((r) => setTimeout(r, warmupMs));
counting = true;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, durationMs));
counting = false;
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ roundTrips, seconds, bytes: roundTrips * size * 2 }));
for (const s of sessions) s.sock.destroy();
process.exit(0);
