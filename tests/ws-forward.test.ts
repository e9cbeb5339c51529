// ws-forward.test.ts: conn.wsSend(msg, op) with the WsMessage being handled,
// which frames the payload from the core's memory without copying it out to
// JavaScript: echoes of every length class and a reassembled fragmented
// message (the `ws` package checks the bytes), a broadcast to other
// connections, a relay through our own client (which masks its copy, never
// the source), a ping's payload answered as a pong, and the errors: an
// expired message, a control frame over 125 bytes, a connection that is not
// a WebSocket.
import WebSocket, { WebSocketServer } from "ws";
import {
  MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_CTL, MG_EV_WS_OPEN, MG_EV_CLOSE,
  WEBSOCKET_OP_PING, WEBSOCKET_OP_PONG, WEBSOCKET_OP_TEXT, HttpMessage, WsMessage, MongooseError,
} from "tsmongoose";
import type { Connection } from "tsmongoose";
import { startServer, stopAllServers, waitFor } from "./helpers/server";

afterEach(() => stopAllServers());

const pattern = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + (i >> 9)) & 0xff; // NULs included
  return b;
};

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once("message", (data, binary) => resolve({ data: data as Buffer, binary })));
}

async function closeAll(...socks: WebSocket[]): Promise<void> {
  await Promise.all(socks.map((ws) => new Promise<void>((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once("close", () => resolve());
    ws.close();
  })));
}

test("echo with wsSend(msg, msg.opcode): every length class, text and binary, byte for byte", async () => {
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
    else if (ev === MG_EV_WS_MSG) c.wsSend(data as WsMessage, (data as WsMessage).opcode);
  }, { managerOpts: { limits: { maxWsMessageSize: 4 << 20 } } });
  const ws = await open(`ws://127.0.0.1:${srv.port}/`);
  for (const n of [0, 1, 125, 126, 65535, 65536, 1 << 20, 3 << 20]) {
    const bin = pattern(n);
    const got = nextMessage(ws);
    ws.send(bin);
    const m = await got;
    expect(m.binary).toBe(true);
    expect(m.data.length).toBe(n);
    expect(Buffer.compare(m.data, bin)).toBe(0);
  }
  const text = "héllo \u{1F600} wörld ".repeat(5000);
  const got = nextMessage(ws);
  ws.send(text);
  const t = await got;
  expect(t.binary).toBe(false);
  expect(t.data.toString("utf8")).toBe(text);
  await closeAll(ws);
});

test("a fragmented message (a ping between fragments) is forwarded once, reassembled; the ping's payload comes back as a pong", async () => {
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
    else if (ev === MG_EV_WS_MSG) c.wsSend(data as WsMessage, WEBSOCKET_OP_TEXT);
    else if (ev === MG_EV_WS_CTL && (data as WsMessage).opcode === WEBSOCKET_OP_PING) c.wsSend(data as WsMessage, WEBSOCKET_OP_PONG);
  });
  const ws = await open(`ws://127.0.0.1:${srv.port}/`);
  const pongs: string[] = [];
  ws.on("pong", (d) => pongs.push(d.toString()));
  const got = nextMessage(ws);
  ws.send("one, ", { fin: false });
  ws.ping("between");
  ws.send("two, ", { fin: false });
  ws.send("three", { fin: true });
  expect((await got).data.toString()).toBe("one, two, three");
  // The core answers the ping itself; the handler's forwarded copy is a second pong with the same payload.
  await waitFor(() => pongs.length === 2);
  expect(pongs).toEqual(["between", "between"]);
  await closeAll(ws);
});

test("broadcast: one client's message forwarded to every other open WebSocket", async () => {
  const members = new Set<Connection>();
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
    else if (ev === MG_EV_WS_OPEN) members.add(c);
    else if (ev === MG_EV_CLOSE) members.delete(c);
    else if (ev === MG_EV_WS_MSG) {
      for (const other of members) if (other !== c) other.wsSend(data as WsMessage, (data as WsMessage).opcode);
    }
  });
  const url = `ws://127.0.0.1:${srv.port}/`;
  const [a, b, d] = await Promise.all([open(url), open(url), open(url)]);
  await waitFor(() => members.size === 3);
  const payload = pattern(200_000);
  const atB = nextMessage(b), atD = nextMessage(d);
  const atSender: string[] = [];
  a.on("message", (m) => atSender.push((m as Buffer).length > 100 ? "own message" : m.toString()));
  a.send(payload);
  for (const m of await Promise.all([atB, atD])) expect(Buffer.compare(m.data, payload)).toBe(0);
  // b's answer reaches a (and d); a got nothing of its own message.
  b.send("ack");
  await waitFor(() => atSender.length > 0, 3000, "b's answer at a");
  expect(atSender).toEqual(["ack"]);
  await closeAll(a, b, d);
});

test("relay through our own client: the client masks its frame, the source message stays intact", async () => {
  // Upstream: a `ws` echo server. Our server relays each message of its client to upstream through wsConnect.
  const upstream = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise<void>((r) => upstream.once("listening", r));
  upstream.on("connection", (s) => s.on("message", (m, binary) => s.send(m, { binary })));
  const upPort = (upstream.address() as { port: number }).port;
  const seenAfterRelay: Buffer[] = [];
  let link: Connection | undefined;
  let client: Connection | undefined;
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
    else if (ev === MG_EV_WS_MSG) {
      const m = data as WsMessage;
      if (c === link) client?.wsSend(m, m.opcode); // upstream's echo back to our client
      else {
        link!.wsSend(m, m.opcode);
        seenAfterRelay.push(Buffer.from(m.data)); // read after the masked copy was made
      }
    }
  });
  link = srv.mgr.wsConnect(`ws://127.0.0.1:${upPort}/`);
  await waitFor(() => link!.isWebsocket, 3000, "link open");
  const ws = await open(`ws://127.0.0.1:${srv.port}/`);
  await waitFor(() => srv.mgr.connections.some((c) => c.isWebsocket && c.isAccepted), 3000, "client accepted");
  client = srv.mgr.connections.find((c) => c.isWebsocket && c.isAccepted);
  const payload = pattern(70_000);
  const back = nextMessage(ws);
  ws.send(payload);
  expect(Buffer.compare((await back).data, payload)).toBe(0);
  expect(seenAfterRelay).toHaveLength(1);
  expect(Buffer.compare(seenAfterRelay[0], payload)).toBe(0);
  await closeAll(ws);
  link.close();
  await new Promise((r) => upstream.close(r));
});

test("errors: an expired message, a control frame over 125 bytes, a connection that is not a WebSocket", async () => {
  let kept: WsMessage | undefined;
  const errors: unknown[] = [];
  let plain: Connection | undefined;
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
    else if (ev === MG_EV_WS_MSG) {
      const m = data as WsMessage;
      kept = m;
      for (const attempt of [() => c.wsSend(m, WEBSOCKET_OP_PING), () => plain!.wsSend(m)]) {
        try { attempt(); } catch (e) { errors.push(e); }
      }
      c.wsSend("checked");
    }
  });
  plain = srv.mgr.connect(`tcp://127.0.0.1:${srv.port}`); // plain TCP, never upgraded
  const ws = await open(`ws://127.0.0.1:${srv.port}/`);
  const got = nextMessage(ws);
  ws.send("x".repeat(126));
  expect((await got).data.toString()).toBe("checked");
  expect(errors[0]).toBeInstanceOf(RangeError);
  expect(String(errors[0])).toMatch(/control frame carries at most 125 bytes, got 126/);
  expect(errors[1]).toBeInstanceOf(MongooseError);
  expect((errors[1] as MongooseError).code).toBe("ERR_NOT_WEBSOCKET");
  const conn = srv.mgr.connections.find((c) => c.isWebsocket)!;
  expect(() => conn.wsSend(kept!)).toThrow(expect.objectContaining({ code: "ERR_MESSAGE_EXPIRED" }));
  await closeAll(ws);
});
