// ws-deflate.test.ts: permessage-deflate (RFC 7692) against the `ws` npm
// package with compression on, both ways: our server <-> ws client, ws
// server <-> our client. Negotiation (context takeover on and off, window
// bits), compressed messages whole and fragmented, the limit on the
// inflated size (a zip bomb closes with 1009), and the defaults (a server
// accepts only when asked, a client offers).
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import WebSocket, { WebSocketServer } from "ws";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_WS_CTL, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_BINARY, WEBSOCKET_OP_TEXT,
} from "tsmongoose";
import type { Connection, HttpMessage, Manager, WsMessage } from "tsmongoose";
import { backgroundPoll, makeManager, startServer, stopAllServers, waitFor } from "./helpers/server";

afterEach(() => stopAllServers());

/** Text that compresses well but is not trivially repetitive. */
const text = (n: number, seed = 0): string => {
  let s = "";
  for (let i = 0; s.length < n; i++) s += `line ${(i * 7 + seed) % 97} of the log: héllo \u{1F600} status=ok\n`;
  return s.slice(0, n).replace(/[\uD800-\uDBFF]$/, "x");
};

interface Echo { url: string; sent: number[]; msgs: string[]; codes: string[]; closes: number[] }

/** Our server: upgrades with `deflate`, echoes every message, records what wsSend queued. */
async function echoServer(deflate: boolean | undefined, managerOpts?: Record<string, unknown>): Promise<Echo> {
  const e: Echo = { url: "", sent: [], msgs: [], codes: [], closes: [] };
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage, undefined, deflate === undefined ? undefined : { deflate });
    else if (ev === MG_EV_WS_MSG) {
      const m = data as WsMessage;
      e.msgs.push(m.opcode === WEBSOCKET_OP_TEXT ? m.text : `binary ${m.data.length}`);
      e.sent.push(c.wsSend(m, m.opcode)); // forwarded from the core's copy
    } else if (ev === MG_EV_WS_CTL && (data as WsMessage).opcode === 8) e.closes.push((data as WsMessage).closeCode!);
    else if (ev === MG_EV_ERROR) e.codes.push(String(data));
  }, { managerOpts });
  e.url = `ws://127.0.0.1:${srv.port}/`;
  return e;
}

/** A ws client; `agreed` is the Sec-WebSocket-Extensions of our 101. */
function open(url: string, opts?: WebSocket.ClientOptions): Promise<WebSocket & { agreed: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts) as WebSocket & { agreed: string };
    ws.agreed = "";
    ws.once("upgrade", (res) => { ws.agreed = String(res.headers["sec-websocket-extensions"] ?? ""); });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function next(ws: WebSocket): Promise<Buffer> {
  return new Promise((resolve) => ws.once("message", (d) => resolve(d as Buffer)));
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once("close", (code) => resolve(code)));
}

describe("our server, ws client with compression", () => {
  const cases: [string, WebSocket.PerMessageDeflateOptions, RegExp][] = [
    ["context takeover", {}, /^permessage-deflate$/],
    ["no context takeover either way", { serverNoContextTakeover: true, clientNoContextTakeover: true },
      /^permessage-deflate; server_no_context_takeover; client_no_context_takeover/],
    ["a 10-bit server window", { serverMaxWindowBits: 10 }, /server_max_window_bits=10/],
  ];
  test.each(cases)("%s: messages compressed both ways, echoed intact", async (_what, pmd, agreed) => {
    const e = await echoServer(true);
    const ws = await open(e.url, { perMessageDeflate: { threshold: 0, ...pmd } });
    expect(ws.agreed).toMatch(agreed);
    expect(ws.extensions).toBe("permessage-deflate");
    const sent: string[] = [];
    for (let i = 0; i < 6; i++) {
      const msg = text(5000 + i * 3000, i);
      sent.push(msg);
      const got = next(ws);
      ws.send(msg);
      expect((await got).toString()).toBe(msg);
    }
    const bin = Buffer.alloc(300_000, 7);
    const gotBin = next(ws);
    ws.send(bin);
    expect(Buffer.compare(await gotBin, bin)).toBe(0);
    // Incompressible bytes: the compressed frame is big (written straight into the send buffer).
    const noise = randomBytes(100_000);
    const gotNoise = next(ws);
    ws.send(noise);
    expect(Buffer.compare(await gotNoise, noise)).toBe(0);
    expect(e.msgs).toEqual([...sent, "binary 300000", "binary 100000"]);
    expect(e.sent[sent.length + 1]).toBeGreaterThan(100_000);
    // What we sent was compressed (the frame is far shorter than the message).
    for (let i = 0; i < sent.length; i++) expect(e.sent[i]).toBeLessThan(Buffer.byteLength(sent[i]) / 3);
    expect(e.sent[sent.length]).toBeLessThan(2000);
    ws.close(1000, "done");
    expect(await closed(ws)).toBe(1000);
  });

  test("a fragmented compressed message (RSV1 on the first frame only) and a ping between", async () => {
    const e = await echoServer(true);
    const ws = await open(e.url, { perMessageDeflate: { threshold: 0 } });
    const got = next(ws);
    const a = text(3000, 1), b = text(4000, 2), c = text(10, 3);
    ws.send(a, { fin: false, compress: true });
    ws.ping("between");
    ws.send(b, { fin: false, compress: true });
    ws.send(c, { fin: true, compress: true });
    expect((await got).toString()).toBe(a + b + c);
    expect(e.msgs).toEqual([a + b + c]);
    ws.terminate();
  });

  test("messages under 1 KiB go out uncompressed; the client may mix compressed and not", async () => {
    const e = await echoServer(true);
    const ws = await open(e.url, { perMessageDeflate: { threshold: 0 } });
    for (const [msg, compress] of [["short", true], [text(2000), false], ["x".repeat(1023), true]] as const) {
      const got = next(ws);
      ws.send(msg, { compress });
      expect((await got).toString()).toBe(msg);
    }
    expect(e.sent[0]).toBe(2 + 5);
    expect(e.sent[2]).toBe(4 + 1023);
    ws.terminate();
  });

  test("a zip bomb (8 MiB of zeros in about 8 KiB) closes with 1009 under maxWsMessageSize", async () => {
    const e = await echoServer(true, { limits: { maxWsMessageSize: 1 << 20 } });
    const ws = await open(e.url, { perMessageDeflate: { threshold: 0 } });
    const code = closed(ws);
    ws.send(Buffer.alloc(8 << 20));
    expect(await code).toBe(1009);
    expect(e.msgs).toEqual([]);
    expect(e.codes.join()).toMatch(/WebSocket 1009: message too big once inflated/);
  });

  test("corrupt compressed data closes with 1007", async () => {
    const e = await echoServer(true);
    const ws = await open(e.url, { perMessageDeflate: { threshold: 0 } });
    const code = closed(ws);
    // RSV1 with bytes that are no deflate stream (0xff: a reserved block type).
    const sock = (ws as unknown as { _socket: import("node:net").Socket })._socket;
    sock.write(Buffer.from([0xc2, 0x82, 0, 0, 0, 0, 0xff, 0xff]));
    expect(await code).toBe(1007);
    expect(e.msgs).toEqual([]);
  });

  test("defaults: a server accepts only when asked; the offer of ws is declined otherwise", async () => {
    const e = await echoServer(undefined);
    const ws = await open(e.url, { perMessageDeflate: { threshold: 0 } });
    expect(ws.extensions).toBe("");
    expect(ws.agreed).toBe("");
    const got = next(ws);
    ws.send(text(5000));
    expect((await got).toString()).toBe(text(5000));
    expect(e.sent[0]).toBe(4 + Buffer.byteLength(text(5000)));
    ws.terminate();
  });

  test("wsUpgrade checks its options", async () => {
    const errors: unknown[] = [];
    const srv = await startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      try { c.wsUpgrade(data as HttpMessage, undefined, { deflate: "yes" as never }); } catch (err) { errors.push(err); }
      c.reply(400, "");
    });
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
    await new Promise((r) => ws.once("error", r));
    expect(errors[0]).toMatchObject({ name: "TypeError", code: "ERR_INVALID_ARG_TYPE" });
  });
});

describe("ws server with compression, our client", () => {
  let http: HttpServer;
  let wss: WebSocketServer;
  let mgr: Manager;
  let loop: { stop(): Promise<void> };
  let port: number;
  let agreed: string[];

  async function start(pmd: WebSocket.PerMessageDeflateOptions | false, maxPayload?: number): Promise<void> {
    http = createHttpServer();
    wss = new WebSocketServer({ server: http, perMessageDeflate: pmd === false ? false : { threshold: 0, ...pmd }, maxPayload });
    agreed = [];
    let answer = "";
    wss.on("headers", (headers) => { answer = headers.find((h) => /^sec-websocket-extensions:/i.test(h))?.replace(/^[^:]*:\s*/, "") ?? ""; });
    wss.on("connection", (ws, req: IncomingMessage) => {
      agreed.push(`${req.headers["sec-websocket-extensions"] ?? ""} => ${answer}`);
      ws.on("message", (d, binary) => ws.send(d, { binary }));
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    port = (http.address() as AddressInfo).port;
    mgr = await makeManager();
    loop = backgroundPoll(mgr, 5);
  }
  afterEach(async () => {
    await loop.stop();
    mgr.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
    await new Promise((r) => http.close(r));
  });

  function client(opts: { deflate?: boolean } = {}): { got: string[]; errors: string[]; conn: Connection; opened: () => boolean; closed: () => boolean } {
    const got: string[] = [], errors: string[] = [];
    let opened = false, isClosed = false;
    const conn = mgr.wsConnect(`ws://127.0.0.1:${port}/`, {
      ...opts,
      handler: (_c, ev, data) => {
        if (ev === MG_EV_WS_OPEN) opened = true;
        if (ev === MG_EV_WS_MSG) got.push((data as WsMessage).opcode === WEBSOCKET_OP_BINARY ? `binary ${(data as WsMessage).data.length}` : (data as WsMessage).text);
        if (ev === MG_EV_ERROR) errors.push(String(data));
        if (ev === MG_EV_CLOSE) isClosed = true;
      },
    });
    return { got, errors, conn, opened: () => opened, closed: () => isClosed };
  }

  const cases: [string, WebSocket.PerMessageDeflateOptions, RegExp][] = [
    ["context takeover", {}, /^permessage-deflate(; client_max_window_bits=15)?$/],
    ["no context takeover either way", { serverNoContextTakeover: true, clientNoContextTakeover: true },
      /server_no_context_takeover; client_no_context_takeover/],
    ["a 9-bit client window", { clientMaxWindowBits: 9 }, /client_max_window_bits=9/],
  ];
  test.each(cases)("%s: our client offers, messages compressed both ways", async (_what, pmd, answer) => {
    await start(pmd);
    const s = client();
    await waitFor(s.opened, 5000, "open");
    expect(agreed[0]).toMatch(/^permessage-deflate; client_max_window_bits => /);
    expect(agreed[0].split(" => ")[1]).toMatch(answer);
    const sent: string[] = [];
    const queued: number[] = [];
    for (let i = 0; i < 5; i++) {
      const msg = text(4000 + i * 5000, i);
      sent.push(msg);
      queued.push(s.conn.wsSend(msg, WEBSOCKET_OP_TEXT));
    }
    s.conn.wsSend(new Uint8Array(200_000).fill(3), WEBSOCKET_OP_BINARY);
    await waitFor(() => s.got.length === 6, 10_000, "echoes");
    expect(s.got).toEqual([...sent, "binary 200000"]);
    for (let i = 0; i < sent.length; i++) expect(queued[i]).toBeLessThan(Buffer.byteLength(sent[i]) / 3);
    expect(s.errors).toEqual([]);
  });

  test("deflate: false offers nothing; a server without compression is fine", async () => {
    await start({});
    const s = client({ deflate: false });
    await waitFor(s.opened, 5000, "open");
    expect(agreed).toEqual([" => "]);
    await loop.stop();
    loop = backgroundPoll(mgr, 5);
    await stopAndStart(false);
    const s2 = client();
    await waitFor(s2.opened, 5000, "open");
    expect(agreed[0]).toMatch(/^permessage-deflate; client_max_window_bits => $/);
    s2.conn.wsSend(text(3000), WEBSOCKET_OP_TEXT);
    await waitFor(() => s2.got.length === 1, 5000, "echo");
    expect(s2.got[0]).toBe(text(3000));
  });

  async function stopAndStart(pmd: WebSocket.PerMessageDeflateOptions | false): Promise<void> {
    await loop.stop();
    mgr.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
    await new Promise((r) => http.close(r));
    await start(pmd);
  }

  test("a zip bomb from the server closes our client with 1009", async () => {
    await start({});
    let code: number | undefined;
    wss.on("connection", (ws) => {
      ws.on("close", (c) => { code = c; });
      ws.send(Buffer.alloc(4 << 20)); // 4 MiB of zeros, over the default 1 MiB limit once inflated
    });
    const s = client();
    await waitFor(() => s.closed() && code !== undefined, 10_000, "client failure");
    expect(s.errors.join()).toMatch(/WebSocket 1009/);
    expect(code).toBe(1009);
    expect(s.got).toEqual([]);
  });
});
