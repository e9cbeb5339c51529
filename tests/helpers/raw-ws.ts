// raw-ws.ts: a byte-level WebSocket client over node:net for the protocol
// suite: it sends frames exactly as given (unmasked, reserved bits, bad
// opcodes, broken UTF-8: what the `ws` package refuses to produce) and
// records every frame the server sends back and when the server closes.
import * as net from "node:net";
import { randomBytes } from "node:crypto";

/** One frame as received. */
export interface RawFrame { fin: boolean; rsv: number; op: number; masked: boolean; payload: Buffer }

/** Build a frame: masked with a random key unless `mask` is false. */
export function frame(op: number, payload: Buffer | string = "", opts: { fin?: boolean; rsv?: number; mask?: boolean; len16?: boolean } = {}): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const mask = opts.mask !== false;
  const b0 = ((opts.fin === false ? 0 : 1) << 7) | ((opts.rsv ?? 0) << 4) | op;
  let head: Buffer;
  if (p.length < 126 && !opts.len16) head = Buffer.from([b0, p.length]);
  else if (p.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = b0; head[1] = 126; head.writeUInt16BE(p.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = b0; head[1] = 127; head.writeBigUInt64BE(BigInt(p.length), 2);
  }
  if (!mask) return Buffer.concat([head, p]);
  head[1] |= 0x80;
  const key = randomBytes(4);
  const body = Buffer.alloc(p.length);
  for (let i = 0; i < p.length; i++) body[i] = p[i] ^ key[i & 3];
  return Buffer.concat([head, key, body]);
}

/** Close payload: code + reason. */
export function closePayload(code: number, reason: Buffer | string = ""): Buffer {
  const r = Buffer.isBuffer(reason) ? reason : Buffer.from(reason);
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code, 0);
  r.copy(b, 2);
  return b;
}

/** Parse the frames at the front of `buf`; returns them and the rest. */
export function parseFrames(buf: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const frames: RawFrame[] = [];
  let i = 0;
  for (;;) {
    if (buf.length - i < 2) break;
    const b0 = buf[i], b1 = buf[i + 1];
    let len = b1 & 127, h = 2;
    if (len === 126) { if (buf.length - i < 4) break; len = buf.readUInt16BE(i + 2); h = 4; }
    else if (len === 127) { if (buf.length - i < 10) break; len = Number(buf.readBigUInt64BE(i + 2)); h = 10; }
    const masked = (b1 & 0x80) !== 0;
    if (masked) h += 4;
    if (buf.length - i < h + len) break;
    let payload = Buffer.from(buf.subarray(i + h, i + h + len));
    if (masked) {
      const key = buf.subarray(i + h - 4, i + h);
      payload = Buffer.from(payload.map((x, k) => x ^ key[k & 3]));
    }
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, op: b0 & 15, masked, payload });
    i += h + len;
  }
  return { frames, rest: buf.subarray(i) };
}

/** A raw WebSocket client session against `port`. */
export class RawWs {
  frames: RawFrame[] = [];
  ended = false;
  head = "";
  #buf: Buffer = Buffer.alloc(0);
  #sock: net.Socket;
  #waiters: (() => void)[] = [];

  private constructor(sock: net.Socket) {
    this.#sock = sock;
    sock.on("data", (d) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      if (!this.head) {
        const end = this.#buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        this.head = this.#buf.subarray(0, end + 4).toString("latin1");
        this.#buf = this.#buf.subarray(end + 4);
      }
      const { frames, rest } = parseFrames(this.#buf);
      this.frames.push(...frames);
      this.#buf = rest;
      this.#wake();
    });
    sock.on("close", () => { this.ended = true; this.#wake(); });
    sock.on("error", () => undefined);
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Connect and complete the opening handshake (throws unless 101). */
  static async open(port: number, path = "/"): Promise<RawWs> {
    const sock = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => { sock.once("connect", resolve); sock.once("error", reject); });
    const ws = new RawWs(sock);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await ws.until(() => ws.head !== "" || ws.ended, 5000, "the handshake answer");
    if (!ws.head.startsWith("HTTP/1.1 101 ")) throw new Error(`no 101: ${JSON.stringify(ws.head)}`);
    return ws;
  }

  /** Write bytes (optionally one byte per write, to split frames everywhere). */
  async send(data: Buffer | Buffer[], bytewise = false): Promise<void> {
    const all = Array.isArray(data) ? Buffer.concat(data) : data;
    if (!bytewise) { this.#sock.write(all); return; }
    for (const b of all) {
      this.#sock.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Wait until `cond` holds (re-checked on every arrival); throws after `ms`. */
  until(cond: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; frames: ` +
        JSON.stringify(this.frames.map((f) => [f.op, f.payload.toString("hex").slice(0, 40)])))), ms);
      const check = (): void => {
        if (cond()) { clearTimeout(timer); resolve(); } else this.#waiters.push(check);
      };
      check();
    });
  }

  /** Wait for `n` frames in all. */
  frameCount(n: number, ms = 5000): Promise<void> {
    return this.until(() => this.frames.length >= n || this.ended, ms, `${n} frames`);
  }

  /** Wait for the server to close the TCP connection. */
  closed(ms = 5000): Promise<void> {
    return this.until(() => this.ended, ms, "the server's close");
  }

  /** Our local port (to find the server-side connection by its remoteAddr). */
  get localPort(): number {
    return this.#sock.localPort ?? 0;
  }

  destroy(): void {
    this.#sock.destroy();
  }
}
