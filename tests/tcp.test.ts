// tcp.test.ts: raw tcp:// listeners and outbound connect("tcp://...") over
// real loopback sockets (IPv4 and IPv6), with node:net as the peer.
import * as net from "node:net";
import {
  MG_EV_OPEN, MG_EV_ACCEPT, MG_EV_READ, MG_EV_CLOSE, MG_EV_RESOLVE, MG_EV_CONNECT, MG_EV_ERROR,
  MG_EV_HTTP_MSG, MG_EV_POLL, MG_EV_WRITE, eventName,
} from "tsmongoose";
import type { Connection } from "tsmongoose";
import { startServer, stopAllServers, makeManager, backgroundPoll, waitFor, sleep, exchange, closedPort } from "./helpers/server";
import { RawClient } from "./helpers/raw-client";
import { patternBytes, sha256 } from "./helpers/http";

const nodeServers: net.Server[] = [];
afterEach(async () => {
  await stopAllServers();
  await Promise.all(nodeServers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A node:net server on 127.0.0.1 (or ::1) that runs `onConn` per socket. */
function nodeServer(onConn: (s: net.Socket) => void, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer(onConn);
    nodeServers.push(s);
    s.once("error", reject);
    s.listen(0, host, () => resolve((s.address() as net.AddressInfo).port));
  });
}

/** Echo handler for tcp:// listeners: every MG_EV_READ is sent back. */
function echoHandler(log: { conn: Connection; ev: number; n?: number }[] = []) {
  return (c: Connection, ev: number, data: unknown) => {
    if (ev === MG_EV_POLL || ev === MG_EV_WRITE || c.isListening) return;
    log.push({ conn: c, ev, n: ev === MG_EV_READ ? (data as number) : undefined });
    if (ev === MG_EV_READ) {
      const bytes = c.recvData();
      if (Buffer.from(bytes).toString() === "quit") c.close();
      else c.send(bytes);
    }
  };
}

describe("tcp:// listener", () => {
  test("accept, MG_EV_READ with recvData(), send() echo; same Connection for every event", async () => {
    const log: { conn: Connection; ev: number; n?: number }[] = [];
    const remotePorts: number[] = [];
    const echo = echoHandler(log);
    const srv = await startServer((c, ev, d) => {
      if (ev === MG_EV_ACCEPT) remotePorts.push(c.remoteAddr!.port);
      echo(c, ev, d);
    }, { url: "tcp://127.0.0.1:0" });
    expect(srv.listener.isListening).toBe(true);
    expect(srv.port).toBeGreaterThan(0);
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("hello");
      await client.waitUntil(() => client.data.toString() === "hello", 3000, "echo 1");
      await client.write("world!");
      await client.waitUntil(() => client.data.toString() === "helloworld!", 3000, "echo 2");
    } finally {
      client.destroy();
    }
    await waitFor(() => log.some((e) => e.ev === MG_EV_CLOSE), 3000, "MG_EV_CLOSE");
    const conns = new Set(log.map((e) => e.conn));
    expect(conns.size).toBe(1);
    const [conn] = [...conns];
    expect(conn.isAccepted).toBe(true);
    expect(conn.isListening).toBe(false);
    expect(remotePorts).toEqual([client.localPort]);
    const evs = log.map((e) => e.ev);
    expect(evs.indexOf(MG_EV_ACCEPT)).toBeGreaterThanOrEqual(0);
    expect(evs.indexOf(MG_EV_ACCEPT)).toBeLessThan(evs.indexOf(MG_EV_READ));
    expect(evs[evs.length - 1]).toBe(MG_EV_CLOSE);
    const reads = log.filter((e) => e.ev === MG_EV_READ).reduce((s, e) => s + (e.n ?? 0), 0);
    expect(reads).toBe(11);
  });

  test("recvData() consumes: recvLen is 0 afterwards; recvData(n) takes n bytes", async () => {
    const got: { before: number; first: string; after: number; rest: string }[] = [];
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_READ || c.recvLen < 10) return;
      const before = c.recvLen;
      const first = Buffer.from(c.recvData(4)).toString();
      const rest = Buffer.from(c.recvData()).toString();
      got.push({ before, first, after: c.recvLen, rest });
      c.send("done");
    }, { url: "tcp://127.0.0.1:0" });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("0123456789");
      await client.waitUntil(() => client.data.toString() === "done", 3000, "done");
    } finally {
      client.destroy();
    }
    expect(got).toEqual([{ before: 10, first: "0123", after: 0, rest: "456789" }]);
  });

  test("1 MB echoed byte-exact through backpressure", async () => {
    const srv = await startServer(echoHandler(), { url: "tcp://127.0.0.1:0" });
    const data = patternBytes(1 << 20, 12);
    const client = await RawClient.connect(srv.port);
    try {
      client.socket.write(data);
      await client.waitUntil(() => client.received >= data.length, 10_000, "1 MB echo");
      expect(client.received).toBe(data.length);
      expect(sha256(client.data)).toBe(sha256(data));
    } finally {
      client.destroy();
    }
  });

  test("server-side close() ends the client; client EOF gives MG_EV_CLOSE", async () => {
    const log: { conn: Connection; ev: number }[] = [];
    const srv = await startServer(echoHandler(log), { url: "tcp://127.0.0.1:0" });
    const a = await RawClient.connect(srv.port);
    await a.write("quit");
    await a.waitEnd(3000);
    a.destroy();
    const b = await RawClient.connect(srv.port);
    await b.write("ping");
    await b.waitUntil(() => b.data.toString() === "ping", 3000, "ping");
    b.socket.end();
    await waitFor(() => log.filter((e) => e.ev === MG_EV_CLOSE).length === 2, 3000, "two closes");
    b.destroy();
    expect(new Set(log.map((e) => e.conn)).size).toBe(2);
    expect(srv.mgr.connections.filter((c) => c.isAccepted)).toHaveLength(0);
  });

  test("a tcp:// listener does not parse HTTP", async () => {
    let http = 0;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) http++;
      if (ev === MG_EV_READ) c.send(c.recvData());
    }, { url: "tcp://127.0.0.1:0" });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("GET / HTTP/1.1\r\n\r\n");
      await client.waitUntil(() => client.received === 18, 3000, "echo");
      expect(client.data.toString()).toBe("GET / HTTP/1.1\r\n\r\n");
    } finally {
      client.destroy();
    }
    expect(http).toBe(0);
  });

  test("IPv6 ::1 listener (tcp:// and http://)", async () => {
    const srv = await startServer(echoHandler(), { url: "tcp://[::1]:0" });
    expect(srv.listener.localAddr!.family).toBe("IPv6");
    expect(srv.listener.localAddr!.address).toBe("::1");
    const client = await RawClient.connect(srv.port, "::1");
    try {
      await client.write("six");
      await client.waitUntil(() => client.data.toString() === "six", 3000, "v6 echo");
    } finally {
      client.destroy();
    }
    let remote = "";
    const web = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) { remote = c.remoteAddr!.address; c.reply(200, "v6"); }
    }, { url: "http://[::1]:0" });
    const res = await fetch(`http://[::1]:${web.port}/`);
    expect(await res.text()).toBe("v6");
    expect(remote).toBe("::1");
  });
});

describe("outbound connect(tcp://)", () => {
  test("RESOLVE, CONNECT, send, READ, CLOSE against a node:net server", async () => {
    const port = await nodeServer((s) => s.on("data", (d) => s.end(d.toString().toUpperCase())));
    const evs: number[] = [];
    const conns: Connection[] = [];
    let reply = "";
    const readSizes: number[] = [];
    const mgr = await makeManager((c, ev, data) => {
      if (ev === MG_EV_POLL || ev === MG_EV_WRITE) return;
      evs.push(ev);
      conns.push(c);
      if (ev === MG_EV_CONNECT) c.send("hello over tcp");
      if (ev === MG_EV_READ) { readSizes.push(data as number); reply += Buffer.from(c.recvData()).toString(); }
    });
    const loop = backgroundPoll(mgr);
    try {
      const conn = mgr.connect(`tcp://127.0.0.1:${port}`);
      expect(conn.isClient).toBe(true);
      expect(mgr.connections).toContain(conn);
      await waitFor(() => evs.includes(MG_EV_CLOSE), 5000, "MG_EV_CLOSE");
      expect(reply).toBe("HELLO OVER TCP");
      expect(readSizes.reduce((a, b) => a + b, 0)).toBe(14);
      expect(new Set(conns)).toEqual(new Set([conn]));
      const order = [MG_EV_RESOLVE, MG_EV_CONNECT, MG_EV_READ, MG_EV_CLOSE].map((e) => evs.indexOf(e));
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      if (evs.includes(MG_EV_OPEN)) expect(evs.indexOf(MG_EV_OPEN)).toBeLessThan(order[0]);
      expect(evs).not.toContain(MG_EV_ERROR);
      expect(mgr.connections).not.toContain(conn);
    } finally {
      await loop.stop();
      mgr.close();
    }
  });

  test("connect to localhost by name resolves and connects", async () => {
    const port = await nodeServer((s) => s.end("name ok"));
    const evs: string[] = [];
    let got = "";
    const mgr = await makeManager((c, ev) => {
      if (ev === MG_EV_RESOLVE || ev === MG_EV_CONNECT || ev === MG_EV_CLOSE || ev === MG_EV_ERROR) evs.push(eventName(ev));
      if (ev === MG_EV_READ) got += Buffer.from(c.recvData()).toString();
    });
    const loop = backgroundPoll(mgr);
    try {
      mgr.connect(`tcp://localhost:${port}`);
      await waitFor(() => evs.length > 0 && /CLOSE/.test(evs[evs.length - 1]), 5000, "close");
      // localhost may resolve to ::1 first, where nothing listens: an error is fine then, but
      // a successful run reads the greeting.
      if (!evs.some((e) => /ERROR/.test(e))) expect(got).toBe("name ok");
      expect(evs[0]).toMatch(/RESOLVE|ERROR/);
    } finally {
      await loop.stop();
      mgr.close();
    }
  });

  test("a closed port gives MG_EV_ERROR then MG_EV_CLOSE, no CONNECT", async () => {
    const port = await closedPort();
    const evs: number[] = [];
    let message: unknown;
    const mgr = await makeManager((_c, ev, data) => {
      if (ev === MG_EV_POLL) return;
      evs.push(ev);
      if (ev === MG_EV_ERROR) message = data;
    });
    const loop = backgroundPoll(mgr);
    try {
      mgr.connect(`tcp://127.0.0.1:${port}`);
      await waitFor(() => evs.includes(MG_EV_CLOSE), 5000, "MG_EV_CLOSE");
      expect(evs).not.toContain(MG_EV_CONNECT);
      expect(evs.indexOf(MG_EV_ERROR)).toBeGreaterThanOrEqual(0);
      expect(evs.indexOf(MG_EV_ERROR)).toBeLessThan(evs.indexOf(MG_EV_CLOSE));
      expect(evs.filter((e) => e === MG_EV_CLOSE)).toHaveLength(1);
      expect(message).toBeInstanceOf(Error); // a ConnectionError; String() is its message
      expect(String(message)).toMatch(/ECONNREFUSED|refused/i);
      await sleep(30);
      expect(evs[evs.length - 1]).toBe(MG_EV_CLOSE);
    } finally {
      await loop.stop();
      mgr.close();
    }
  });

  test("outbound to an IPv6 ::1 server with a per-connection handler", async () => {
    const port = await nodeServer((s) => s.on("data", (d) => s.end(`v6:${d}`)), "::1");
    let mgrLevel = 0;
    const mgr = await makeManager(() => { mgrLevel++; });
    const loop = backgroundPoll(mgr);
    try {
      expect(await exchange(mgr, `tcp://[::1]:${port}`, "x")).toBe("v6:x");
      expect(mgrLevel).toBe(0);
    } finally {
      await loop.stop();
      mgr.close();
    }
  });

  test("the client can close first: node server sees end, MG_EV_CLOSE fires once", async () => {
    let serverSawEnd = false;
    const port = await nodeServer((s) => { s.on("end", () => { serverSawEnd = true; s.end(); }); s.resume(); });
    const evs: number[] = [];
    const mgr = await makeManager((c, ev) => {
      if (ev === MG_EV_CONNECT) { c.send("bye"); c.drain(); }
      if (ev === MG_EV_CLOSE) evs.push(ev);
    });
    const loop = backgroundPoll(mgr);
    try {
      mgr.connect(`tcp://127.0.0.1:${port}`);
      await waitFor(() => serverSawEnd && evs.length > 0, 5000, "end + close");
      await sleep(20);
      expect(evs).toEqual([MG_EV_CLOSE]);
    } finally {
      await loop.stop();
      mgr.close();
    }
  });
});
