// ws-protocol.test.ts: RFC 6455 case by case, in the spirit of the Autobahn
// test suite's sections 1-7 (framing, pings/pongs, reserved bits, opcodes,
// fragmentation, UTF-8, close handling), against our echo server with a raw
// client (tests/helpers/raw-ws.ts) that can send what real clients refuse to.
// Each case states the RFC's expectation: the frames echoed back, and for a
// failure the close code before the server closes the TCP connection
// (7.1.7 "Fail the WebSocket Connection": 1002 protocol error, 1007
// invalid payload data, 1009 message too big).
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_TEXT,
} from "tsmongoose";
import type { HttpMessage, WsMessage, Manager, Connection } from "tsmongoose";
import { backgroundPoll, makeManager, startServer, stopAllServers, waitFor, type TestServer } from "./helpers/server";
import { RawWs, closePayload, frame, parseFrames } from "./helpers/raw-ws";

const TEXT = 1, BIN = 2, CLOSE = 8, PING = 9, PONG = 10, CONT = 0;

let srv: TestServer;
beforeAll(async () => {
  srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
    if (ev === MG_EV_WS_MSG) c.wsSend((data as WsMessage).data, (data as WsMessage).opcode);
  }, { managerOpts: { limits: { maxWsMessageSize: 256 * 1024 } } });
});
afterAll(() => stopAllServers());

type Expect = [number, string | Buffer][];
interface Case {
  id: string;
  what: string;
  send: Buffer[];
  bytewise?: boolean;
  /** Frames the server sends back (close frames excluded). */
  echo: Expect;
  /** The server fails/closes with this code; undefined: the connection stays open. */
  close?: number;
  /** The reason of the server's close frame (checked when given). */
  reason?: string;
}

const b = (s: string): Buffer => Buffer.from(s, "binary");
const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ""), "hex");
const big = (n: number, ch = "*"): string => ch.repeat(n);

const cases: Case[] = [
  // 1 Framing: payload lengths on the 7/16/64-bit boundaries, text and binary.
  ...[0, 125, 126, 127, 128, 65535, 65536].map((n): Case => ({
    id: `1.1 ${n}`, what: `text message of ${n} bytes is echoed`, send: [frame(TEXT, big(n))], echo: [[TEXT, big(n)]],
  })),
  ...[0, 125, 126, 65535, 65536, 200_000].map((n): Case => ({
    id: `1.2 ${n}`, what: `binary message of ${n} bytes (0xfe) is echoed`, send: [frame(BIN, Buffer.alloc(n, 0xfe))], echo: [[BIN, Buffer.alloc(n, 0xfe)]],
  })),
  { id: "1.1.7", what: "a frame written one byte at a time", send: [frame(TEXT, big(130))], bytewise: true, echo: [[TEXT, big(130)]] },
  { id: "1.1.8", what: "a short payload with a non-minimal 16-bit length is accepted", send: [frame(TEXT, "hi", { len16: true })], echo: [[TEXT, "hi"]] },
  // 2 Pings and pongs (5.5.2, 5.5.3).
  { id: "2.1", what: "empty ping gets an empty pong", send: [frame(PING)], echo: [[PONG, ""]] },
  { id: "2.2", what: "ping payload is echoed in the pong", send: [frame(PING, "Hello, world!")], echo: [[PONG, "Hello, world!"]] },
  { id: "2.3", what: "binary ping payload", send: [frame(PING, hex("00ff fe fd fc fb 00 ff"))], echo: [[PONG, hex("00fffefdfcfb00ff")]] },
  { id: "2.4", what: "ping with 125 bytes", send: [frame(PING, Buffer.alloc(125, 0xfe))], echo: [[PONG, Buffer.alloc(125, 0xfe)]] },
  { id: "2.5", what: "ping with 126 bytes is a protocol error", send: [frame(PING, big(126))], echo: [], close: 1002 },
  { id: "2.6", what: "ping with 125 bytes, one byte per write", send: [frame(PING, big(125))], bytewise: true, echo: [[PONG, big(125)]] },
  { id: "2.7", what: "unsolicited pong is ignored", send: [frame(PONG), frame(TEXT, "after")], echo: [[TEXT, "after"]] },
  { id: "2.8", what: "unsolicited pong with payload is ignored", send: [frame(PONG, "unsolicited"), frame(TEXT, "x")], echo: [[TEXT, "x"]] },
  { id: "2.9", what: "unsolicited pong, then ping: one pong", send: [frame(PONG, "u"), frame(PING, "p")], echo: [[PONG, "p"]] },
  { id: "2.10", what: "ten pings get ten pongs in order", send: Array.from({ length: 10 }, (_, i) => frame(PING, `p${i}`)), echo: Array.from({ length: 10 }, (_, i): [number, string] => [PONG, `p${i}`]) },
  // 3 Reserved bits (5.2: MUST fail when non-zero without an extension).
  { id: "3.1", what: "RSV1 on a text frame", send: [frame(TEXT, "x", { rsv: 4 })], echo: [], close: 1002 },
  { id: "3.2", what: "RSV2 after a valid message: the first is echoed, then the failure", send: [frame(TEXT, "ok"), frame(TEXT, "x", { rsv: 2 }), frame(PING, "late")], echo: [[TEXT, "ok"]], close: 1002 },
  { id: "3.3", what: "RSV3 on a binary frame", send: [frame(BIN, "x", { rsv: 1 })], echo: [], close: 1002 },
  { id: "3.4", what: "RSV1|RSV2|RSV3 on a ping", send: [frame(PING, "x", { rsv: 7 })], echo: [], close: 1002 },
  // 4 Opcodes (5.2: reserved opcodes MUST fail).
  ...[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].map((op): Case => ({
    id: `4.${op < 8 ? 1 : 2}.${op}`, what: `reserved opcode ${op} after a valid message`, send: [frame(TEXT, "a"), frame(op, "payload")], echo: [[TEXT, "a"]], close: 1002,
  })),
  // 5 Fragmentation (5.4).
  { id: "5.1", what: "fragmented ping", send: [frame(PING, "fr", { fin: false }), frame(CONT, "ag")], echo: [], close: 1002 },
  { id: "5.2", what: "fragmented pong", send: [frame(PONG, "fr", { fin: false }), frame(CONT, "ag")], echo: [], close: 1002 },
  { id: "5.3", what: "text in two fragments is one message", send: [frame(TEXT, "frag", { fin: false }), frame(CONT, "ment")], echo: [[TEXT, "fragment"]] },
  { id: "5.4", what: "fragments one byte per write", send: [frame(TEXT, "frag", { fin: false }), frame(CONT, "ment")], bytewise: true, echo: [[TEXT, "fragment"]] },
  { id: "5.6", what: "a ping between fragments is answered at once", send: [frame(TEXT, "fr", { fin: false }), frame(PING, "between"), frame(CONT, "ag")], echo: [[PONG, "between"], [TEXT, "frag"]] },
  { id: "5.8", what: "binary in many fragments with pings", send: [frame(BIN, "a", { fin: false }), frame(PING, "1"), frame(CONT, "b", { fin: false }), frame(PING, "2"), frame(CONT, "c", { fin: false }), frame(CONT, "d")], echo: [[PONG, "1"], [PONG, "2"], [BIN, "abcd"]] },
  { id: "5.9", what: "continuation with nothing to continue", send: [frame(CONT, "x")], echo: [], close: 1002 },
  { id: "5.10", what: "final continuation with nothing to continue, after a message", send: [frame(TEXT, "a"), frame(CONT, "x", { fin: true })], echo: [[TEXT, "a"]], close: 1002 },
  { id: "5.15", what: "a new text message inside a fragmented one", send: [frame(TEXT, "a", { fin: false }), frame(TEXT, "b")], echo: [], close: 1002 },
  { id: "5.16", what: "a new binary fragment start inside a fragmented text", send: [frame(TEXT, "a", { fin: false }), frame(BIN, "b", { fin: false })], echo: [], close: 1002 },
  { id: "5.19", what: "empty fragments make an empty message", send: [frame(TEXT, "", { fin: false }), frame(CONT, "", { fin: false }), frame(CONT, "")], echo: [[TEXT, ""]] },
  // 6 UTF-8 (8.1: invalid text MUST fail with 1007).
  { id: "6.1", what: "valid multi-byte text", send: [frame(TEXT, utf8("κόσμε Hello-µ@ßöäüàá-UTF-8!! \u{10FFFF}"))], echo: [[TEXT, utf8("κόσμε Hello-µ@ßöäüàá-UTF-8!! \u{10FFFF}")]] },
  { id: "6.2", what: "valid text split inside a code point across fragments", send: [frame(TEXT, hex("cebae1bd"), { fin: false }), frame(CONT, hex("b9cf83cebcceb5"))], echo: [[TEXT, hex("cebae1bdb9cf83cebcceb5")]] },
  { id: "6.3", what: "valid text split after every byte", send: [...hex("cebae1bdb9cf83cebcceb5")].map((x, i, a) => frame(i === 0 ? TEXT : CONT, Buffer.from([x]), { fin: i === a.length - 1 })), echo: [[TEXT, hex("cebae1bdb9cf83cebcceb5")]] },
  ...[
    ["6.4.1", "overlong '/'", "c0af"], ["6.4.2", "overlong 3-byte", "e080af"], ["6.4.3", "UTF-16 surrogate", "eda080"],
    ["6.4.4", "over U+10FFFF", "f4908080"], ["6.4.5", "lone continuation", "80"], ["6.4.6", "0xFE", "fe"], ["6.4.7", "0xFF", "ff"],
    ["6.4.8", "truncated 2-byte at the end", "6869ce"], ["6.4.9", "truncated 4-byte at the end", "f09f98"],
    ["6.4.10", "5-byte form", "f888808080"],
  ].map(([id, what, h]): Case => ({ id, what: `invalid UTF-8: ${what}`, send: [frame(TEXT, hex(h))], echo: [], close: 1007 })),
  { id: "6.5", what: "invalid UTF-8 fails fast inside a fragmented message", send: [frame(TEXT, "ok", { fin: false }), frame(CONT, hex("eda080"), { fin: false })], echo: [], close: 1007 },
  { id: "6.7", what: "invalid UTF-8 fails fast inside a frame whose rest never comes", send: [frame(TEXT, Buffer.concat([utf8("ab"), hex("ff"), Buffer.alloc(1000, 0x61)])).subarray(0, 8 + 3)], echo: [], close: 1007 },
  { id: "6.8", what: "invalid UTF-8 fails fast at the start of an incomplete continuation", send: [frame(TEXT, hex("6f6be2"), { fin: false }), frame(CONT, Buffer.concat([hex("82acc328"), Buffer.alloc(500, 0x61)])).subarray(0, 8 + 4)], echo: [], close: 1007 },
  { id: "6.9", what: "valid text, one byte per write, is not failed early", send: [frame(TEXT, utf8("€ \u{1F600} κόσμε".repeat(10)))], bytewise: true, echo: [[TEXT, utf8("€ \u{1F600} κόσμε".repeat(10))]] },
  { id: "6.6", what: "invalid bytes in a binary message are fine", send: [frame(BIN, hex("c0afeda080ff"))], echo: [[BIN, hex("c0afeda080ff")]] },
  // 7 Close handling (5.5.1, 7.4).
  { id: "7.1.1", what: "message then close: echo, then the close is echoed", send: [frame(TEXT, "Hello"), frame(CLOSE, closePayload(1000))], echo: [[TEXT, "Hello"]], close: 1000 },
  { id: "7.1.2", what: "data after the close is not processed", send: [frame(CLOSE, closePayload(1000)), frame(TEXT, "after close"), frame(PING, "after")], echo: [], close: 1000 },
  { id: "7.3.1", what: "close with no payload is echoed with no payload", send: [frame(CLOSE)], echo: [], close: 1005 },
  { id: "7.3.2", what: "close with a 1-byte payload is a protocol error", send: [frame(CLOSE, hex("03"))], echo: [], close: 1002 },
  { id: "7.3.3", what: "close with a code only", send: [frame(CLOSE, closePayload(1000))], echo: [], close: 1000 },
  { id: "7.3.4", what: "close with code and reason", send: [frame(CLOSE, closePayload(1000, "Hello World!"))], echo: [], close: 1000, reason: "Hello World!" },
  { id: "7.3.5", what: "close with a 123-byte reason", send: [frame(CLOSE, closePayload(1000, big(123)))], echo: [], close: 1000, reason: big(123) },
  { id: "7.3.6", what: "close with a 124-byte reason (126-byte payload) is a protocol error", send: [frame(CLOSE, closePayload(1000, big(124)))], echo: [], close: 1002 },
  { id: "7.5.1", what: "close reason that is not UTF-8", send: [frame(CLOSE, closePayload(1000, hex("cebae1bdb9cf83cebcceb5eda080656469746564")))], echo: [], close: 1007 },
  ...[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].map((code): Case => ({
    id: `7.7 ${code}`, what: `valid close code ${code} is echoed`, send: [frame(CLOSE, closePayload(code))], echo: [], close: code,
  })),
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code): Case => ({
    id: `7.9 ${code}`, what: `invalid close code ${code} is a protocol error`, send: [frame(CLOSE, closePayload(code))], echo: [], close: 1002,
  })),
  // Masking (5.1: the server MUST close on an unmasked client frame) and limits (1009).
  { id: "M.1", what: "unmasked client frame", send: [frame(TEXT, "x", { mask: false })], echo: [], close: 1002 },
  { id: "M.2", what: "a 64-bit length with the top bit set", send: [Buffer.concat([hex("82ff8000000000000001"), hex("00000000"), hex("00")])], echo: [], close: 1002 },
  { id: "L.1", what: "a frame over maxWsMessageSize fails before its payload arrives", send: [frame(BIN, Buffer.alloc(256 * 1024 + 1)).subarray(0, 14)], echo: [], close: 1009 },
  { id: "L.2", what: "fragments that add up past maxWsMessageSize", send: [frame(BIN, Buffer.alloc(200_000), { fin: false }), frame(CONT, Buffer.alloc(70_000))], echo: [], close: 1009 },
  { id: "L.3", what: "exactly maxWsMessageSize is fine", send: [frame(BIN, Buffer.alloc(150_000), { fin: false }), frame(CONT, Buffer.alloc(256 * 1024 - 150_000))], echo: [[BIN, Buffer.alloc(256 * 1024)]] },
];

describe("RFC 6455 server behaviour, case by case", () => {
  test.each(cases.map((c) => [c.id, c.what, c] as const))("%s %s", async (_id, _what, c) => {
    const ws = await RawWs.open(srv.port);
    try {
      await ws.send(c.send, c.bytewise);
      if (c.close !== undefined) {
        await ws.closed(10_000);
      } else {
        await ws.frameCount(c.echo.length, 10_000);
        await ws.send(frame(CLOSE, closePayload(1000, "done")));
        await ws.closed(10_000);
      }
      const data = ws.frames.filter((f) => f.op !== CLOSE);
      expect(data.map((f) => [f.op, f.payload])).toEqual(c.echo.map(([op, p]) => [op, Buffer.isBuffer(p) ? p : b(p)]));
      for (const f of ws.frames) {
        expect(f.masked).toBe(false); // 5.1: a server MUST NOT mask
        expect(f.rsv).toBe(0);
        expect(f.fin).toBe(true);
      }
      const closes = ws.frames.filter((f) => f.op === CLOSE);
      expect(closes).toHaveLength(1); // exactly one close frame, last
      expect(ws.frames[ws.frames.length - 1].op).toBe(CLOSE);
      const p = closes[0].payload;
      const code = p.length >= 2 ? p.readUInt16BE(0) : 1005;
      expect(code).toBe(c.close ?? 1000);
      if (c.reason !== undefined) expect(p.subarray(2).toString()).toBe(c.reason); // 5.5.1: echoed
    } finally {
      ws.destroy();
    }
  });

  test("a server-initiated close waits for the peer's close, then the server closes TCP", async () => {
    let conn: Connection | undefined;
    const s2 = await startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
      if (ev === MG_EV_WS_OPEN) conn = c;
    });
    const ws = await RawWs.open(s2.port);
    await waitFor(() => conn !== undefined);
    conn!.wsClose(1000, "bye");
    await ws.frameCount(1);
    expect(ws.frames[0].op).toBe(CLOSE);
    expect(ws.frames[0].payload.readUInt16BE(0)).toBe(1000);
    expect(ws.frames[0].payload.subarray(2).toString()).toBe("bye");
    expect(ws.ended).toBe(false);
    expect(conn!.closed).toBe(false);
    await ws.send(frame(CLOSE, closePayload(1000)));
    await ws.closed();
    await waitFor(() => conn!.closed);
    expect(ws.frames).toHaveLength(1); // our close is not sent twice
  });
});

describe("RFC 6455 client behaviour against a raw server", () => {
  let mgr: Manager;
  let loop: { stop(): Promise<void> };
  let server: net.Server;
  let serverSide: (sock: net.Socket) => void;
  let port: number;

  beforeEach(async () => {
    mgr = await makeManager();
    loop = backgroundPoll(mgr, 10);
    server = net.createServer((sock) => {
      let head = "";
      sock.on("data", (d) => {
        if (head.includes("\r\n\r\n")) return;
        head += d.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        const key = /Sec-WebSocket-Key: (.*)\r\n/i.exec(head)![1];
        const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
        sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
        serverSide(sock);
      });
      sock.on("error", () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    await loop.stop();
    mgr.close();
    await new Promise((r) => server.close(r));
  });

  function session(onOpen?: (c: Connection) => void): { got: string[]; errors: string[]; closed: () => boolean } {
    const got: string[] = [];
    const errors: string[] = [];
    let closed = false;
    mgr.wsConnect(`ws://127.0.0.1:${port}/`, {
      handler: (c, ev, data) => {
        if (ev === MG_EV_WS_OPEN) onOpen?.(c);
        if (ev === MG_EV_WS_MSG) got.push((data as WsMessage).text);
        if (ev === MG_EV_ERROR) errors.push(String(data));
        if (ev === MG_EV_CLOSE) closed = true;
      },
    });
    return { got, errors, closed: () => closed };
  }

  function collect(sock: net.Socket): { frames: () => ReturnType<typeof parseFrames>["frames"]; ended: () => boolean } {
    let buf = Buffer.alloc(0);
    let ended = false;
    sock.on("data", (d) => { buf = Buffer.concat([buf, d]); });
    sock.on("end", () => { ended = true; });
    return { frames: () => parseFrames(buf).frames, ended: () => ended };
  }

  test("unmasked server frames are accepted, every client frame is masked with its own key", async () => {
    let peer: ReturnType<typeof collect> | undefined;
    serverSide = (sock) => {
      peer = collect(sock);
      sock.write(Buffer.concat([frame(TEXT, "one", { mask: false }), frame(TEXT, "two", { mask: false })]));
    };
    const s = session((c) => { for (let i = 0; i < 20; i++) c.wsSend("same payload", WEBSOCKET_OP_TEXT); });
    await waitFor(() => s.got.length === 2 && (peer?.frames().length ?? 0) === 20, 5000, "exchange");
    expect(s.got).toEqual(["one", "two"]);
    const frames = peer!.frames();
    expect(frames.every((f) => f.masked && f.payload.toString() === "same payload")).toBe(true);
  });

  test("a masked server frame fails the connection with 1002", async () => {
    let peer: ReturnType<typeof collect> | undefined;
    serverSide = (sock) => {
      peer = collect(sock);
      sock.write(frame(TEXT, "masked", { mask: true }));
    };
    const s = session();
    await waitFor(() => s.closed(), 5000, "client close");
    expect(s.got).toEqual([]);
    expect(s.errors[0]).toMatch(/1002/);
    await waitFor(() => (peer?.frames().length ?? 0) === 1);
    const f = peer!.frames()[0];
    expect([f.op, f.masked, f.payload.readUInt16BE(0)]).toEqual([CLOSE, true, 1002]);
  });

  test("a server close is echoed (masked) and the client closes", async () => {
    let peer: ReturnType<typeof collect> | undefined;
    serverSide = (sock) => {
      peer = collect(sock);
      sock.write(frame(CLOSE, closePayload(1001, "restart"), { mask: false }));
    };
    const s = session();
    await waitFor(() => s.closed() && (peer?.ended() ?? false), 5000, "close handshake");
    const f = peer!.frames();
    expect(f).toHaveLength(1);
    expect([f[0].op, f[0].masked, f[0].payload.readUInt16BE(0)]).toEqual([CLOSE, true, 1001]);
    expect(f[0].payload.subarray(2).toString()).toBe("restart"); // the reason is echoed too
  });

  test("invalid UTF-8 from the server: close 1007", async () => {
    let peer: ReturnType<typeof collect> | undefined;
    serverSide = (sock) => {
      peer = collect(sock);
      sock.write(frame(TEXT, hex("eda080"), { mask: false }));
    };
    const s = session();
    await waitFor(() => s.closed() && (peer?.frames().length ?? 0) === 1, 5000, "failure");
    expect(peer!.frames()[0].payload.readUInt16BE(0)).toBe(1007);
  });
});
