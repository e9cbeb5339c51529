// HTTP between Managers over the in-process memory network (the browser's
// default network), run in Node: request/response, keep-alive, chunked
// bodies, a drained 1 MB response, backpressure against a reader that is not
// driven, refused connects and closes. The raw Network semantics are in
// memory-network.raw.test.ts.
import {
  init, Manager, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_READ, MG_EV_WRITE,
} from "tsmongoose";
import type { Connection, HttpMessage, Network } from "tsmongoose";
import { memoryNetwork } from "../shim/memory";

/** A response as the client saw it, copied out of the message view. */
interface Resp { status: number; headers: [string, string][]; body: Uint8Array; text: string }

/** Everything a test started, stopped in afterEach even when it failed. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

beforeAll(() => init());

/** A Manager on `net`, driven by the seed's loop `while (!stop) await mgr.poll(10)`. */
function driven(net: Network, handler?: (c: Connection, ev: number, data: unknown) => void) {
  const mgr = new Manager(handler, { network: net, limits: { maxBodySize: 8 << 20 } });
  let stop = false;
  let loop: Promise<void> | undefined;
  const ctl = {
    mgr,
    start() {
      loop ??= (async () => {
        const deadline = Date.now() + 20_000;
        while (!stop && !mgr.closed && Date.now() < deadline) await mgr.poll(10);
      })();
    },
    async stop() {
      stop = true;
      await loop;
      mgr.close();
    },
  };
  cleanups.push(() => ctl.stop());
  ctl.start();
  return ctl;
}

/** Resolves when `cond()` holds; fails after `ms`. */
async function until(cond: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** An HTTP client connection: request(raw) resolves with the next response on it. */
function httpClient(mgr: Manager, url: string) {
  const waiting: { resolve(r: Resp): void; reject(e: Error): void }[] = [];
  const outbox: string[] = [];
  const events: number[] = [];
  let connected = false;
  let error: string | undefined;
  const conn = mgr.connect(url, {
    http: true,
    handler: (c, ev, data) => {
      events.push(ev);
      if (ev === MG_EV_CONNECT) {
        connected = true;
        for (const raw of outbox.splice(0)) c.send(raw);
      } else if (ev === MG_EV_HTTP_MSG) {
        const hm = data as HttpMessage;
        const body = hm.body;
        waiting.shift()?.resolve({ status: hm.status() ?? 0, headers: hm.headers(), body, text: new TextDecoder().decode(body) });
      } else if (ev === MG_EV_ERROR) {
        error = String(data);
      } else if (ev === MG_EV_CLOSE) {
        for (const w of waiting.splice(0)) w.reject(new Error(`connection closed${error ? `: ${error}` : ""}`));
      }
    },
  });
  return {
    conn,
    events,
    get error() { return error; },
    request(raw: string): Promise<Resp> {
      return new Promise<Resp>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (connected) conn.send(raw);
        else outbox.push(raw);
      });
    },
  };
}

const header = (r: Resp, name: string) => r.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

test("a request and its response between two Managers over mem://", async () => {
  const net = memoryNetwork();
  const seen: { method: string; uri: string; agent?: string; remote?: string } [] = [];
  const server = driven(net, (c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    seen.push({ method: hm.method, uri: hm.uri, agent: hm.header("user-agent"), remote: c.remoteAddr?.family });
    c.reply(200, `hello ${hm.uri}`, { "X-Net": "memory" });
  });
  const listener = server.mgr.listen("mem://app", { http: true });
  expect(listener.localAddr).toEqual({ address: "app", port: 0, family: "mem" });
  const client = driven(net);
  const http = httpClient(client.mgr, "mem://app");
  const res = await http.request("GET /greet HTTP/1.1\r\nHost: app\r\nUser-Agent: jest\r\n\r\n");
  expect(res.status).toBe(200);
  expect(res.text).toBe("hello /greet");
  expect(header(res, "x-net")).toBe("memory");
  expect(seen).toEqual([{ method: "GET", uri: "/greet", agent: "jest", remote: "mem" }]);
  expect(http.conn.remoteAddr).toEqual({ address: "app", port: 0, family: "mem" });
});

test("http://name:port URLs: fixed port, port 0 allocation, and tcp:// to the same port", async () => {
  const net = memoryNetwork();
  const server = driven(net, (c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.reply(200, (data as HttpMessage).uri);
  });
  server.mgr.listen("http://app:80");
  const any = server.mgr.listen("http://app:0");
  const port = any.localAddr!.port;
  expect(port).toBeGreaterThan(0);
  const client = driven(net);
  const a = await httpClient(client.mgr, "http://app").request("GET /a HTTP/1.1\r\nHost: app\r\n\r\n");
  const b = await httpClient(client.mgr, `http://app:${port}`).request("GET /b HTTP/1.1\r\nHost: app\r\n\r\n");
  expect([a.text, b.text]).toEqual(["/a", "/b"]);
  // A raw tcp:// client reaches the same listener and reads the bytes itself.
  let raw = "";
  const tcp = client.mgr.connect("tcp://app:80", {
    handler: (c, ev) => {
      if (ev === MG_EV_CONNECT) c.send("GET /raw HTTP/1.1\r\nHost: app\r\n\r\n");
      if (ev === MG_EV_READ) raw += new TextDecoder().decode(c.recvData());
    },
  });
  await until(() => raw.endsWith("/raw"), 5000, "raw response");
  expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  tcp.close();
});

test("keep-alive: two requests on one connection", async () => {
  const net = memoryNetwork();
  const connIds: number[] = [];
  let accepts = 0;
  const server = driven(net, (c, ev, data) => {
    if (ev === MG_EV_ACCEPT) accepts++;
    if (ev === MG_EV_HTTP_MSG) {
      connIds.push(c.id);
      c.reply(200, `#${connIds.length} ${(data as HttpMessage).uri}`);
    }
  });
  server.mgr.listen("http://app:80");
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  const r1 = await http.request("GET /one HTTP/1.1\r\nHost: app\r\n\r\n");
  const r2 = await http.request("GET /two HTTP/1.1\r\nHost: app\r\n\r\n");
  expect([r1.text, r2.text]).toEqual(["#1 /one", "#2 /two"]);
  expect(accepts).toBe(1);
  expect(connIds[0]).toBe(connIds[1]);
  expect(http.conn.closed).toBe(false);
});

test("chunked bodies both ways: request with Transfer-Encoding: chunked, response via httpChunk", async () => {
  const net = memoryNetwork();
  let got = "";
  const server = driven(net, (c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    got = (data as HttpMessage).bodyText;
    c.httpChunk("got ");
    c.httpChunk(String(got.length));
    c.httpChunk(" bytes");
    c.httpChunk("");
  });
  server.mgr.listen("http://app:80");
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  const res = await http.request(
    "POST /up HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  expect(got).toBe("hello world");
  expect(res.status).toBe(200);
  expect(header(res, "transfer-encoding")).toBe("chunked");
  expect(res.text).toBe("got 11 bytes");
  // The connection stays usable after a chunked exchange.
  const again = await http.request("POST /up HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
  expect(again.text).toBe("got 1 bytes");
});

test("drain(): a 1 MB response arrives complete, in 64 KiB windows, then the connection closes", async () => {
  const net = memoryNetwork();
  const size = 1_000_000;
  const big = new Uint8Array(size).map((_, i) => 97 + (i % 26));
  let writes = 0;
  const server = driven(net, (c, ev) => {
    if (ev === MG_EV_WRITE) writes++;
    if (ev === MG_EV_HTTP_MSG) {
      c.reply(200, big, { "Content-Type": "application/octet-stream" });
      c.drain();
    }
  });
  server.mgr.listen("http://app:80");
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  const res = await http.request("GET /big HTTP/1.1\r\nHost: app\r\n\r\n");
  expect(res.body.length).toBe(size);
  expect(Buffer.compare(Buffer.from(res.body), Buffer.from(big))).toBe(0);
  await until(() => http.events.includes(MG_EV_CLOSE), 5000, "client close after drain");
  // Each MG_EV_WRITE is one window the reader emptied: backpressure was at work.
  expect(writes).toBeGreaterThanOrEqual(Math.floor(size / (64 * 1024)));
});

test("backpressure: a reader that is not driven holds the writer back; nothing is lost", async () => {
  const net = memoryNetwork();
  const size = 3 << 20;
  const payload = new Uint8Array(size).map((_, i) => i & 0xff);
  let sender: Connection | undefined;
  const server = driven(net, (c, ev) => {
    if (ev === MG_EV_ACCEPT) {
      sender = c;
      c.send(payload);
      c.drain();
    }
  });
  server.mgr.listen("tcp://app:7000");
  // The client Manager is not polled yet: its queue fills, it pauses the socket.
  const clientMgr = new Manager(undefined, { network: net });
  cleanups.push(() => clientMgr.close());
  const received: Uint8Array[] = [];
  let total = 0;
  let closed = false;
  clientMgr.connect("tcp://app:7000", {
    handler: (c, ev) => {
      if (ev === MG_EV_READ) { const d = c.recvData(); received.push(d); total += d.length; }
      if (ev === MG_EV_CLOSE) closed = true;
    },
  });
  await clientMgr.poll(0);                       // lets the connect complete
  await until(() => sender !== undefined, 2000, "accept");
  await new Promise((r) => setTimeout(r, 100));  // the server is driven meanwhile
  const heldBack = sender!.closed ? 0 : sender!.sendLen;
  expect(heldBack).toBeGreaterThan(size / 3);    // most of it still waits in the server's core
  expect(total).toBe(0);
  // Now drive the reader: everything arrives, in order, then EOF.
  let stop = false;
  const loop = (async () => { const end = Date.now() + 10_000; while (!stop && Date.now() < end) await clientMgr.poll(10); })();
  cleanups.push(async () => { stop = true; await loop; });
  await until(() => closed, 10_000, "all bytes and EOF");
  const all = Buffer.concat(received);
  expect(all.length).toBe(size);
  expect(Buffer.compare(all, Buffer.from(payload))).toBe(0);
});

test("connect to a name nobody listens on: MG_EV_ERROR (ECONNREFUSED), then MG_EV_CLOSE", async () => {
  const client = driven(memoryNetwork());
  const http = httpClient(client.mgr, "mem://nobody");
  await expect(http.request("GET / HTTP/1.1\r\n\r\n")).rejects.toThrow(/ECONNREFUSED/);
  expect(http.events).toContain(MG_EV_ERROR);
  expect(http.events[http.events.length - 1]).toBe(MG_EV_CLOSE);
});

test("listening twice on one name is EADDRINUSE across Managers; separate networks do not collide", async () => {
  const net = memoryNetwork();
  const a = driven(net);
  const b = driven(net);
  a.mgr.listen("mem://app");
  expect(() => b.mgr.listen("mem://app")).toThrow(expect.objectContaining({ code: "EADDRINUSE", errno: undefined })); // no system numbers here
  const other = driven(memoryNetwork());
  expect(other.mgr.listen("mem://app").localAddr?.address).toBe("app");
});

test("close: the peer sees MG_EV_CLOSE; a closed listener refuses new connects", async () => {
  const net = memoryNetwork();
  const serverConns: Connection[] = [];
  const server = driven(net, (c, ev) => { if (ev === MG_EV_ACCEPT) serverConns.push(c); });
  const listener = server.mgr.listen("tcp://app:9");
  const client = driven(net);
  const closedIds: number[] = [];
  const onClose = (c: Connection, ev: number) => { if (ev === MG_EV_CLOSE) closedIds.push(c.id); };
  const c1 = client.mgr.connect("tcp://app:9", { handler: onClose });
  const c2 = client.mgr.connect("tcp://app:9", { handler: onClose });
  await until(() => serverConns.length === 2, 2000, "two accepts");
  serverConns[0].close();                          // server side closes: client c1 gets EOF -> close
  await until(() => closedIds.includes(c1.id), 2000, "c1 closed by peer");
  c2.close();                                      // client side closes: server's conn closes
  await until(() => serverConns[1].closed, 2000, "server conn closed by peer");
  listener.close();
  await until(() => listener.closed, 2000, "listener closed");
  const http = httpClient(client.mgr, "tcp://app:9");
  await expect(http.request("x")).rejects.toThrow(/ECONNREFUSED/);
});

test("Manager.close() of the server ends every client connection", async () => {
  const net = memoryNetwork();
  const server = driven(net);
  server.mgr.listen("http://app:80");
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  const pending = http.request("GET /slow HTTP/1.1\r\nHost: app\r\n\r\n");   // never answered
  await until(() => server.mgr.connections.length === 2, 2000, "accept");
  server.mgr.close();
  await expect(pending).rejects.toThrow(/closed/);
  expect(http.events[http.events.length - 1]).toBe(MG_EV_CLOSE);
});
