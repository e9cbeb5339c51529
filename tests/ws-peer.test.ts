// ws-peer.test.ts: WebSocket against the `ws` npm package as the strict peer,
// both ways: our server <-> ws client, our client <-> ws server. Echoes of
// every length class (7/16/64-bit), binary with NULs, fragmentation with
// control frames between fragments, ping/pong, both close directions,
// subprotocols, refused upgrades, the message limit and backpressure.
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_WS_CTL, MG_EV_WS_MSG, MG_EV_WS_OPEN,
  WEBSOCKET_OP_BINARY, WEBSOCKET_OP_PING, WEBSOCKET_OP_PONG, WEBSOCKET_OP_TEXT, HttpMessage, WsMessage,
  MongooseError,
} from "tsmongoose";
import type { Connection, Manager } from "tsmongoose";
import { backgroundPoll, makeManager, startServer, stopAllServers, waitFor, type TestServer } from "./helpers/server";

afterEach(() => stopAllServers());

const pattern = (n: number): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff; // NULs included
  return b;
};

interface Seen { msgs: { op: number; data: Buffer }[]; ctl: { op: number; data: Buffer }[]; errors: string[]; opened: number; closed: number }

/** Our server: upgrades every request (with `extra` headers), echoes every message. */
async function echoServer(extra?: (hm: HttpMessage) => Record<string, string> | undefined, managerOpts?: Record<string, unknown>):
  Promise<{ srv: TestServer; seen: Seen; url: string }> {
  const seen: Seen = { msgs: [], ctl: [], errors: [], opened: 0, closed: 0 };
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage, extra?.(data as HttpMessage));
    else if (ev === MG_EV_WS_OPEN) seen.opened++;
    else if (ev === MG_EV_WS_MSG) {
      const m = data as WsMessage;
      seen.msgs.push({ op: m.opcode, data: Buffer.from(m.data) });
      c.wsSend(m.data, m.opcode);
    } else if (ev === MG_EV_WS_CTL) {
      const m = data as WsMessage;
      seen.ctl.push({ op: m.opcode, data: Buffer.from(m.data) });
    } else if (ev === MG_EV_ERROR) seen.errors.push(String(data));
    else if (ev === MG_EV_CLOSE && c.isAccepted) seen.closed++;
  }, { managerOpts });
  return { srv, seen, url: `ws://127.0.0.1:${srv.port}/echo` };
}

function open(url: string, opts?: WebSocket.ClientOptions, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, opts);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once("message", (data, binary) => resolve({ data: data as Buffer, binary })));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
}

describe("our server, ws client", () => {
  test("text and binary echoes of every length class, NULs intact", async () => {
    const { url, seen } = await echoServer(undefined, { limits: { maxWsMessageSize: 4 << 20 } });
    const ws = await open(url);
    for (const n of [0, 1, 125, 126, 127, 65535, 65536, 100_000, 1 << 20]) {
      const bin = pattern(n);
      const got = nextMessage(ws);
      ws.send(bin);
      const m = await got;
      expect(m.binary).toBe(true);
      expect(Buffer.compare(m.data, Buffer.from(bin))).toBe(0);
      const text = "héllo \u{1F600} ".repeat(Math.ceil(n / 12)).slice(0, n);
      const got2 = nextMessage(ws);
      ws.send(text);
      const t = await got2;
      expect(t.binary).toBe(false);
      expect(t.data.toString("utf8")).toBe(text);
    }
    expect(seen.opened).toBe(1);
    expect(seen.msgs.filter((m) => m.op === WEBSOCKET_OP_BINARY)).toHaveLength(9);
    expect(seen.msgs.filter((m) => m.op === WEBSOCKET_OP_TEXT)).toHaveLength(9);
    ws.close();
    await closed(ws);
  });

  test("fragmented message with a ping between fragments arrives once, reassembled", async () => {
    const { url, seen } = await echoServer();
    const ws = await open(url);
    const pong = new Promise<Buffer>((resolve) => ws.once("pong", resolve));
    const got = nextMessage(ws);
    ws.send("Hello, ", { fin: false });
    ws.ping("mid");
    ws.send("fragmented ", { fin: false });
    ws.send("world", { fin: true });
    expect((await pong).toString()).toBe("mid");
    expect((await got).data.toString()).toBe("Hello, fragmented world");
    expect(seen.msgs).toHaveLength(1);
    expect(seen.ctl.map((c) => [c.op, c.data.toString()])).toEqual([[WEBSOCKET_OP_PING, "mid"]]);
    ws.terminate();
  });

  test("a close from the client is seen (MG_EV_WS_CTL), echoed with its code and reason, then the socket closes", async () => {
    const { url, seen } = await echoServer();
    const ws = await open(url);
    const done = closed(ws);
    ws.close(4321, "client says bye");
    expect(await done).toEqual({ code: 4321, reason: "client says bye" }); // code and reason echoed (RFC 6455 5.5.1)
    await waitFor(() => seen.closed === 1, 3000, "server-side close");
    expect(seen.ctl).toHaveLength(1);
    expect(seen.ctl[0].op).toBe(8);
    expect(seen.ctl[0].data.readUInt16BE(0)).toBe(4321);
    expect(seen.ctl[0].data.subarray(2).toString()).toBe("client says bye");
  });

  test("wsClose(code, reason) from the server: the client gets both, the handshake completes", async () => {
    let conn: Connection | undefined;
    let closeFrame: { code?: number; reason?: string } = {};
    const srv = await startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
      if (ev === MG_EV_WS_OPEN) conn = c;
      if (ev === MG_EV_WS_CTL) closeFrame = { code: (data as WsMessage).closeCode, reason: (data as WsMessage).closeReason };
    });
    const ws = await open(`ws://127.0.0.1:${srv.port}/`);
    await waitFor(() => conn !== undefined);
    const done = closed(ws);
    expect(conn!.wsClose(4000, "server bye ✓")).toBe(true);
    expect(conn!.wsSend("after close")).toBe(0); // no data frames after our close
    expect(await done).toEqual({ code: 4000, reason: "server bye ✓" });
    await waitFor(() => conn!.closed, 3000, "server conn closed");
    expect(closeFrame).toEqual({ code: 4000, reason: "server bye ✓" }); // ws echoes code and reason
  });

  test("subprotocol through extraHeaders; request headers visible at upgrade", async () => {
    const { url } = await echoServer((hm) => {
      const offered = (hm.header("Sec-WebSocket-Protocol") ?? "").split(",").map((s) => s.trim());
      return offered.includes("chat.v2") ? { "Sec-WebSocket-Protocol": "chat.v2" } : undefined;
    });
    const ws = await open(url, undefined, ["chat.v1", "chat.v2"]);
    expect(ws.protocol).toBe("chat.v2");
    ws.terminate();
  });

  test("bad upgrades: version 8 gets 426 with Sec-WebSocket-Version: 13; plain GET gets 400; both close", async () => {
    const { srv, seen } = await echoServer();
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/`, { protocolVersion: 8 });
      ws.on("unexpected-response", (_req, res) => {
        expect(res.headers["sec-websocket-version"]).toBe("13");
        expect(res.headers.connection).toBe("close");
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("open", () => reject(new Error("opened")));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(426);
    const res = await fetch(`http://127.0.0.1:${srv.port}/`);
    expect(res.status).toBe(400);
    expect(res.headers.get("connection")).toBe("close");
    await res.text();
    expect(seen.opened).toBe(0);
  });

  test("a message over limits.maxWsMessageSize fails the connection with 1009", async () => {
    const { url, seen } = await echoServer(undefined, { limits: { maxWsMessageSize: 1000 } });
    const ws = await open(url);
    const done = closed(ws);
    ws.send(pattern(1000));
    expect((await nextMessage(ws)).data.length).toBe(1000);
    ws.send(pattern(600), { fin: false });
    ws.send(pattern(600), { fin: true });
    expect((await done).code).toBe(1009);
    expect(seen.errors.some((e) => e.includes("1009"))).toBe(true);
  });

  test("isWebsocket, MG_EV_WS_OPEN carries the upgrade request", async () => {
    let info: { uri?: string; isWs?: boolean; before?: boolean } = {};
    const srv = await startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) {
        info.before = c.isWebsocket;
        c.wsUpgrade(data as HttpMessage);
      }
      if (ev === MG_EV_WS_OPEN) info = { ...info, uri: (data as HttpMessage).uri, isWs: c.isWebsocket };
    });
    const ws = await open(`ws://127.0.0.1:${srv.port}/room/7?x=1`);
    await waitFor(() => info.isWs !== undefined);
    expect(info).toEqual({ before: false, uri: "/room/7", isWs: true });
    ws.terminate();
  });

  test("backpressure: a client that does not read pauses the echo; isFull says so; nothing is lost", async () => {
    let conn: Connection | undefined;
    let fullSeen = false;
    let echoed = 0;
    const srv = await startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
      if (ev === MG_EV_WS_OPEN) conn = c;
      if (ev === MG_EV_WS_MSG) {
        echoed++;
        c.wsSend((data as WsMessage).data, WEBSOCKET_OP_BINARY);
        if (c.isFull) fullSeen = true;
      }
    });
    const ws = await open(`ws://127.0.0.1:${srv.port}/`);
    await waitFor(() => conn !== undefined);
    const sock = (ws as unknown as { _socket: import("node:net").Socket })._socket;
    sock.pause(); // stop reading the echoes
    const chunk = pattern(64 * 1024);
    const total = 200; // 12.5 MiB: far past every buffer on the way
    for (let i = 0; i < total; i++) ws.send(chunk);
    await waitFor(() => fullSeen || conn!.isFull, 10_000, "isFull on the server");
    const stalled = echoed;
    expect(stalled).toBeLessThan(total); // the server stopped taking input
    let got = 0;
    const all = new Promise<void>((resolve) => ws.on("message", () => { if (++got === total) resolve(); }));
    sock.resume();
    await all;
    expect(echoed).toBe(total);
    ws.terminate();
  }, 30_000);
});

describe("our client, ws server", () => {
  let wss: WebSocketServer;
  let http: HttpServer;
  let mgr: Manager;
  let loop: { stop(): Promise<void> };
  let port: number;

  beforeEach(async () => {
    http = createHttpServer();
    wss = new WebSocketServer({ server: http, handleProtocols: (p) => (p.has("v2") ? "v2" : false) });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    port = (http.address() as AddressInfo).port;
    mgr = await makeManager();
    loop = backgroundPoll(mgr, 10);
  });
  afterEach(async () => {
    await loop.stop();
    mgr.close();
    for (const c of wss.clients) c.terminate();
    wss.close();
    await new Promise((r) => http.close(r));
  });

  interface ClientLog { open?: HttpMessage extends never ? never : { status: string; proto?: string }; msgs: { op: number; data: Buffer }[]; ctl: { op: number; data: Buffer }[]; errors: string[]; closed: boolean }

  function connect(path = "/", headers?: Record<string, string>): { conn: Connection; log: ClientLog } {
    const log: ClientLog = { msgs: [], ctl: [], errors: [], closed: false };
    const conn = mgr.wsConnect(`ws://127.0.0.1:${port}${path}`, {
      headers,
      handler: (_c, ev, data) => {
        if (ev === MG_EV_WS_OPEN) log.open = { status: (data as HttpMessage).uri, proto: (data as HttpMessage).header("Sec-WebSocket-Protocol") };
        if (ev === MG_EV_WS_MSG) log.msgs.push({ op: (data as WsMessage).opcode, data: Buffer.from((data as WsMessage).data) });
        if (ev === MG_EV_WS_CTL) log.ctl.push({ op: (data as WsMessage).opcode, data: Buffer.from((data as WsMessage).data) });
        if (ev === MG_EV_ERROR) log.errors.push(String(data));
        if (ev === MG_EV_CLOSE) log.closed = true;
      },
    });
    return { conn, log };
  }

  test("handshake with headers and subprotocol, then echoes of every length class (masked: ws insists)", async () => {
    let reqHeaders: Record<string, unknown> = {};
    wss.on("connection", (s, req) => {
      reqHeaders = req.headers;
      s.on("message", (d, binary) => s.send(d, { binary }));
    });
    const { conn, log } = connect("/path?q=1", { "X-Token": "abc", "Sec-WebSocket-Protocol": "v1, v2" });
    await waitFor(() => log.open !== undefined, 5000, "MG_EV_WS_OPEN");
    expect(log.open).toEqual({ status: "101", proto: "v2" });
    expect(reqHeaders["x-token"]).toBe("abc");
    expect(conn.isWebsocket).toBe(true);
    const sizes = [0, 125, 126, 65535, 65536, 300_000];
    for (const n of sizes) {
      expect(conn.wsSend(pattern(n), WEBSOCKET_OP_BINARY)).toBeGreaterThanOrEqual(n + 6);
      conn.wsSend("t".repeat(n));
    }
    await waitFor(() => log.msgs.length === sizes.length * 2, 10_000, "echoes");
    sizes.forEach((n, i) => {
      expect(log.msgs[2 * i].op).toBe(WEBSOCKET_OP_BINARY);
      expect(Buffer.compare(log.msgs[2 * i].data, Buffer.from(pattern(n)))).toBe(0);
      expect(log.msgs[2 * i + 1]).toEqual({ op: WEBSOCKET_OP_TEXT, data: Buffer.from("t".repeat(n)) });
    });
    expect(log.errors).toEqual([]);
  });

  test("server pings get automatic pongs; fragments with a ping between arrive as one message", async () => {
    const pongs: string[] = [];
    wss.on("connection", (s) => {
      s.on("pong", (d) => pongs.push(d.toString()));
      s.ping("are you there");
      s.send("frag-", { fin: false });
      s.ping("between");
      s.send("ment", { fin: false });
      s.send("ed", { fin: true });
    });
    const { log } = connect();
    await waitFor(() => pongs.length === 2 && log.msgs.length === 1, 5000, "pongs and message");
    expect(pongs).toEqual(["are you there", "between"]);
    expect(log.msgs[0].data.toString()).toBe("frag-mented");
    expect(log.ctl.map((c) => [c.op, c.data.toString()])).toEqual([[WEBSOCKET_OP_PING, "are you there"], [WEBSOCKET_OP_PING, "between"]]);
  });

  test("client close handshake: ws sees our code and reason; a server close is echoed", async () => {
    const got: { code: number; reason: string }[] = [];
    wss.on("connection", (s) => s.on("close", (code, reason) => got.push({ code, reason: reason.toString() })));
    const a = connect();
    await waitFor(() => a.log.open !== undefined);
    expect(a.conn.wsClose(1001, "leaving")).toBe(true);
    await waitFor(() => got.length === 1 && a.log.closed, 5000, "close handshake");
    expect(got[0]).toEqual({ code: 1001, reason: "leaving" });

    wss.removeAllListeners("connection");
    let serverSaw: number | undefined;
    wss.on("connection", (s) => {
      s.on("close", (code) => { serverSaw = code; });
      s.close(4001, "go");
    });
    const b = connect();
    await waitFor(() => b.log.closed && serverSaw !== undefined, 5000, "server-initiated close");
    expect(b.log.ctl.map((c) => c.op)).toEqual([8]);
    expect(b.log.ctl[0].data.readUInt16BE(0)).toBe(4001);
    expect(serverSaw).toBe(4001);
  });

  test("wsSend argument checks: bad opcode, big control frame, non-WebSocket, closed", async () => {
    wss.on("connection", () => undefined);
    const { conn, log } = connect();
    await waitFor(() => log.open !== undefined);
    expect(() => conn.wsSend("x", 3)).toThrow(RangeError);
    expect(() => conn.wsSend("x".repeat(126), WEBSOCKET_OP_PING)).toThrow(RangeError);
    expect(conn.wsSend("p", WEBSOCKET_OP_PONG)).toBe(7);
    expect(() => conn.wsClose(1005)).toThrow(RangeError);
    expect(() => conn.wsClose(1000, "x".repeat(124))).toThrow(RangeError);
    const raw = mgr.connect(`tcp://127.0.0.1:${port}`);
    expect(() => raw.wsSend("x")).toThrow(MongooseError);
    conn.close();
    await waitFor(() => conn.closed);
    expect(() => conn.wsSend("x")).toThrow(/closed/);
    raw.close();
  });

  test("a server that answers without 101 or with a wrong accept: MG_EV_ERROR, then close", async () => {
    const bad = createHttpServer((_req, res) => res.end("no"));
    bad.on("upgrade", (_req, sock) => {
      sock.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    });
    await new Promise<void>((r) => bad.listen(0, "127.0.0.1", r));
    const badPort = (bad.address() as AddressInfo).port;
    try {
      const logs: string[] = [];
      let closedCount = 0;
      const h = (_c: Connection, ev: number, data: unknown): void => {
        if (ev === MG_EV_ERROR) logs.push(String(data));
        if (ev === MG_EV_CLOSE) closedCount++;
        if (ev === MG_EV_WS_OPEN) logs.push("opened");
      };
      mgr.wsConnect(`ws://127.0.0.1:${badPort}/`, { handler: h });
      const plain = createHttpServer((_req, res) => res.end("plain"));
      await new Promise<void>((r) => plain.listen(0, "127.0.0.1", r));
      mgr.wsConnect(`ws://127.0.0.1:${(plain.address() as AddressInfo).port}/`, { handler: h });
      await waitFor(() => closedCount === 2, 5000, "both closed");
      plain.close();
      expect(logs).not.toContain("opened");
      expect(logs.some((l) => l.includes("wrong Sec-WebSocket-Accept"))).toBe(true);
      expect(logs.some((l) => l.includes("HTTP 200 instead of 101"))).toBe(true);
    } finally {
      bad.close();
    }
  });
});
