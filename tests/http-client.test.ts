// http-client.test.ts: mgr.connect("http://...") as an HTTP client, Mongoose
// style (the request written on MG_EV_CONNECT), against node:http servers
// answering in every framing and against our own server; HEAD, 1xx,
// keep-alive reuse, httpBasicAuth; name resolution (MG_EV_RESOLVE, unknown
// names, timeouts, conn.resolve) and connect()'s AbortSignal and timeout.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import {
  Manager, memoryNetwork, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_OPEN, MG_EV_POLL, MG_EV_RESOLVE,
} from "tsmongoose";
import type { Connection, HttpMessage, Network } from "tsmongoose";
import { backgroundPoll, makeManager, startServer, stopAllServers, waitFor } from "./helpers/server";

interface Answer { status: number | undefined; reason: string; headers: [string, string][]; body: string }

const servers: http.Server[] = [];
const managers: Manager[] = [];
const loops: { stop(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
  for (const m of managers.splice(0)) m.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => { s.closeAllConnections(); s.close(r); })));
  await stopAllServers();
});

/** A node:http server on 127.0.0.1:0 that answers with `fn`. */
async function nodeServer(fn: http.RequestListener): Promise<string> {
  const s = http.createServer(fn);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** A driven client manager. */
async function clientManager(opts?: Record<string, unknown>): Promise<Manager> {
  const mgr = await makeManager(undefined, opts);
  managers.push(mgr);
  loops.push(backgroundPoll(mgr, 10));
  return mgr;
}

function answerOf(hm: HttpMessage): Answer {
  return { status: hm.status(), reason: hm.proto, headers: hm.headers(), body: hm.bodyText };
}

/**
 * Connect to `url`, write `requests` on MG_EV_CONNECT (one string each, or a
 * function writing them), and collect `want` answers; the events seen are
 * logged. Resolves when `want` answers arrived or the connection closed.
 */
async function fetchRaw(mgr: Manager, url: string, requests: string[] | ((c: Connection) => void), want: number,
  timeoutMs = 5000): Promise<{ answers: Answer[]; events: number[]; errors: string[]; conn: Connection }> {
  const answers: Answer[] = [];
  const events: number[] = [];
  const errors: string[] = [];
  let closed = false;
  const conn = mgr.connect(url, {
    handler: (c, ev, data) => {
      if (ev !== MG_EV_POLL) events.push(ev);
      if (ev === MG_EV_CONNECT) {
        if (typeof requests === "function") requests(c);
        else for (const r of requests) c.send(r);
      }
      if (ev === MG_EV_HTTP_MSG) answers.push(answerOf(data as HttpMessage));
      if (ev === MG_EV_ERROR) errors.push(String(data));
      if (ev === MG_EV_CLOSE) closed = true;
    },
  });
  await waitFor(() => closed || answers.length >= want, timeoutMs, `${want} answers from ${url}`);
  return { answers, events, errors, conn };
}

const GET = (path: string, extra = ""): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

describe("HTTP client against node:http", () => {
  test("Content-Length, chunked and read-until-close bodies", async () => {
    const base = await nodeServer((req, res) => {
      if (req.url === "/cl") {
        res.setHeader("Content-Length", 5);
        res.end("hello");
      } else if (req.url === "/chunked") {
        res.write("chunk-1;");
        setTimeout(() => res.end("chunk-2"), 10);
      } else if (req.url === "/close") {
        // HTTP/1.0-style: no length, no chunking, the end is the close.
        res.socket!.end("HTTP/1.1 200 OK\r\nX-Framing: eof\r\n\r\nuntil the end");
      }
    });
    const mgr = await clientManager();
    const cl = await fetchRaw(mgr, base, [GET("/cl")], 1);
    expect(cl.answers).toHaveLength(1);
    expect(cl.answers[0]).toMatchObject({ status: 200, reason: "OK", body: "hello" });
    const ch = await fetchRaw(mgr, base, [GET("/chunked")], 1);
    expect(ch.answers[0].body).toBe("chunk-1;chunk-2");
    expect(ch.answers[0].headers).toContainEqual(["Transfer-Encoding", "chunked"]);
    const eof = await fetchRaw(mgr, base, [GET("/close")], 1);
    expect(eof.answers[0]).toMatchObject({ status: 200, body: "until the end" });
    expect(eof.events.slice(0, 3)).toEqual([MG_EV_OPEN, MG_EV_RESOLVE, MG_EV_CONNECT]);
  });

  test("HEAD gets no body (it used to hang), 1xx is skipped, keep-alive reuse in order", async () => {
    let sockets = 0;
    const base = await nodeServer((req, res) => {
      if (req.url === "/early") res.writeEarlyHints({ link: "</a.css>; rel=preload" });
      res.setHeader("Content-Length", 11);
      res.end(`${req.method} ${req.url}`.padEnd(11, "."));
    });
    servers[0].on("connection", () => sockets++);
    const mgr = await clientManager();
    const r = await fetchRaw(mgr, base, [
      "HEAD /h1 HTTP/1.1\r\nHost: x\r\n\r\n",
      GET("/early"),
      "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nHEAD",
      "HEAD /h2 HTTP/1.1\r\nHost: x\r\n\r\n",
      GET("/last"),
    ], 5);
    expect(r.errors).toEqual([]);
    expect(r.answers.map((a) => [a.status, a.body])).toEqual([
      [200, ""], [200, "GET /early."], [200, "POST /p...."], [200, ""], [200, "GET /last.."],
    ]);
    expect(r.answers[0].headers).toContainEqual(["Content-Length", "11"]);
    expect(sockets).toBe(1);
    expect(r.conn.closed).toBe(false);
    // The same connection takes another request later.
    const more: Answer[] = [];
    r.conn.setHandler((c, ev, data) => { if (ev === MG_EV_HTTP_MSG) more.push(answerOf(data as HttpMessage)); });
    r.conn.send(GET("/again"));
    await waitFor(() => more.length === 1, 5000, "the reused connection's answer");
    expect(more[0].body).toBe("GET /again.");
    expect(sockets).toBe(1);
  });

  test("httpBasicAuth writes the header node:http decodes", async () => {
    const seen: string[] = [];
    const base = await nodeServer((req, res) => {
      seen.push(req.headers.authorization ?? "");
      const decoded = Buffer.from((req.headers.authorization ?? "").replace(/^Basic /, ""), "base64").toString();
      const user = decoded.slice(0, decoded.indexOf(":"));
      const pass = decoded.slice(decoded.indexOf(":") + 1);
      res.statusCode = user === "ünïcode" && pass === "p:a:ss" ? 200 : 401;
      res.end(user);
    });
    const mgr = await clientManager();
    const r = await fetchRaw(mgr, base, (c) => {
      c.send("GET /secret HTTP/1.1\r\nHost: x\r\n");
      expect(c.httpBasicAuth("ünïcode", "p:a:ss")).toBe(true);
      c.send("\r\n");
    }, 1);
    expect(r.answers[0]).toMatchObject({ status: 200, body: "ünïcode" });
    expect(seen[0]).toBe(`Basic ${Buffer.from("ünïcode:p:a:ss").toString("base64")}`);
    const conn = mgr.connect(base);
    expect(() => conn.httpBasicAuth("a:b", "c")).toThrow(TypeError);
    expect(() => conn.httpBasicAuth(1 as never, "c")).toThrow(TypeError);
  });

  test("a malformed response is MG_EV_ERROR, then close", async () => {
    const base = await nodeServer((req, res) => { res.socket!.end("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx"); });
    const mgr = await clientManager();
    const r = await fetchRaw(mgr, base, [GET("/")], 1);
    expect(r.answers).toEqual([]);
    expect(r.errors).toEqual(["bad HTTP response framing"]);
  });
});

describe("HTTP client against our own server", () => {
  test("chunked stream, reply, HEAD and keep-alive on one connection", async () => {
    const srv = await startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const hm = data as HttpMessage;
      if (hm.uri === "/stream") {
        c.httpChunk("a");
        c.httpChunk("b");
        c.httpChunk("");
      } else {
        c.reply(201, `you asked ${hm.method} ${hm.uri}`, { "X-Server": "tsmongoose" });
      }
    });
    const mgr = await clientManager();
    const r = await fetchRaw(mgr, srv.base, [GET("/stream"), "HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n", GET("/y")], 3);
    expect(r.answers.map((a) => [a.status, a.body])).toEqual([[200, "ab"], [201, ""], [201, "you asked GET /y"]]);
    expect(r.answers[2].headers).toContainEqual(["X-Server", "tsmongoose"]);
    expect(r.conn.closed).toBe(false);
  });
});

describe("name resolution", () => {
  test("localhost resolves: OPEN, RESOLVE, CONNECT in order", async () => {
    const base = await nodeServer((req, res) => res.end("ok"));
    const mgr = await clientManager();
    const r = await fetchRaw(mgr, base.replace("127.0.0.1", "localhost"), [GET("/")], 1);
    expect(r.answers[0]?.body).toBe("ok");
    expect(r.events.slice(0, 3)).toEqual([MG_EV_OPEN, MG_EV_RESOLVE, MG_EV_CONNECT]);
  });

  test("an unknown name is a clear MG_EV_ERROR naming it, then close", async () => {
    const mgr = await clientManager();
    const r = await fetchRaw(mgr, "http://no-such-host.invalid:80", [GET("/")], 1, 20_000);
    expect(r.events).not.toContain(MG_EV_CONNECT);
    expect(r.events[r.events.length - 1]).toBe(MG_EV_CLOSE);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/no-such-host\.invalid/);
    expect(r.errors[0]).toMatch(/ENOTFOUND|EAI_AGAIN|resolve timeout/);
  }, 30_000);

  test("conn.resolve(): MG_EV_RESOLVE with remoteAddr, unknown names, cancel", async () => {
    const srv = await startServer(() => undefined);
    const mgr = await clientManager();
    const events: number[] = [];
    const errors: string[] = [];
    const conn = mgr.connect(srv.base, {
      handler: (c, ev, data) => {
        events.push(ev);
        if (ev === MG_EV_ERROR) errors.push(String(data));
      },
    });
    await waitFor(() => events.includes(MG_EV_CONNECT), 5000, "connect");
    conn.resolve("tcp://localhost:4321");
    await waitFor(() => events.filter((e) => e === MG_EV_RESOLVE).length === 2, 5000, "the second MG_EV_RESOLVE");
    expect(["127.0.0.1", "::1"]).toContain(conn.remoteAddr.address);
    expect(conn.remoteAddr.port).toBe(4321);
    conn.resolve("tcp://[::1]:7");
    await waitFor(() => events.filter((e) => e === MG_EV_RESOLVE).length === 3, 5000, "the literal's MG_EV_RESOLVE");
    expect(conn.remoteAddr).toEqual({ address: "::1", port: 7, family: "IPv6" });
    // Cancelled: nothing follows; the next resolve still works.
    conn.resolve("tcp://localhost:1");
    conn.resolveCancel();
    conn.resolve("tcp://127.0.0.1:2");
    await waitFor(() => events.filter((e) => e === MG_EV_RESOLVE).length === 4, 5000, "the resolve after a cancel");
    expect(conn.remoteAddr.port).toBe(2);
    expect(() => conn.resolve("not a host name")).toThrow(TypeError); // a bare name is taken ("localhost"); this is none
    expect(() => conn.resolve("tcp://a:1", { timeoutMs: -1 })).toThrow(RangeError);
    conn.resolve("tcp://no-such-host.invalid:1");
    await waitFor(() => conn.closed, 20_000, "the close after an unknown name");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^resolve no-such-host\.invalid: (ENOTFOUND|EAI_AGAIN)$/);
    expect(events.filter((e) => e === MG_EV_RESOLVE)).toHaveLength(4);
    expect(() => conn.resolve("tcp://localhost:1")).toThrow(/closed/);
  }, 30_000);

  /** A network whose names never resolve; with `resolves`, connects resolve but never connect. */
  function blackHole(resolves: boolean): Network {
    const closed: number[] = [];
    return {
      name: "black-hole",
      listen() { throw new Error("not here"); },
      adopt() { /* no listeners */ },
      connect(id, _ep, events) {
        if (resolves) setTimeout(() => { if (!closed.includes(id)) events.resolved(id); }, 1);
      },
      send: (_id, data) => data.length,
      pause() { /* nothing flows */ },
      close(id) { closed.push(id); },
      localAddr: () => undefined,
      remoteAddr: () => undefined,
      lookup: () => new Promise(() => { /* never */ }),
    };
  }

  /** Connect with `opts` and collect events until MG_EV_CLOSE. */
  async function until(mgr: Manager, opts: Record<string, unknown>): Promise<{ events: number[]; errors: string[] }> {
    const events: number[] = [];
    const errors: string[] = [];
    mgr.connect("http://slow.example:80", {
      ...opts,
      handler: (c, ev, data) => {
        if (ev !== MG_EV_POLL) events.push(ev);
        if (ev === MG_EV_ERROR) errors.push(String(data));
      },
    });
    await waitFor(() => events.includes(MG_EV_CLOSE), 5000, "MG_EV_CLOSE");
    return { events, errors };
  }

  test("resolve timeout, connect timeout, AbortSignal", async () => {
    const t0 = Date.now();
    const stuck = await clientManager({ network: blackHole(false) });
    const r1 = await until(stuck, { resolveTimeoutMs: 50 });
    expect(r1.errors).toEqual(["resolve timeout: slow.example not resolved within 50 ms"]);
    expect(r1.events).toEqual([MG_EV_OPEN, MG_EV_ERROR, MG_EV_CLOSE]);
    const r2 = await until(stuck, { timeoutMs: 40 });
    expect(r2.errors).toEqual(["connect timeout: not connected within 40 ms"]);
    const resolving = await clientManager({ network: blackHole(true) });
    const r3 = await until(resolving, { timeoutMs: 60, resolveTimeoutMs: 30 });
    expect(r3.events).toEqual([MG_EV_OPEN, MG_EV_RESOLVE, MG_EV_ERROR, MG_EV_CLOSE]);
    expect(r3.errors).toEqual(["connect timeout: not connected within 60 ms"]);
    expect(Date.now() - t0).toBeLessThan(4000);
    // Abort while connecting, and an already aborted signal.
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error("user gave up")), 20);
    const r4 = await until(resolving, { signal: ac.signal });
    expect(r4.errors).toEqual(["connect aborted: user gave up"]);
    const r5 = await until(resolving, { signal: AbortSignal.abort() });
    expect(r5.events).toEqual([MG_EV_OPEN, MG_EV_ERROR, MG_EV_CLOSE]);
    expect(r5.errors[0]).toMatch(/^connect aborted: /);
    expect(() => resolving.connect("http://a:1", { signal: {} as never })).toThrow(TypeError);
    expect(() => resolving.connect("http://a:1", { timeoutMs: -5 })).toThrow(RangeError);
    expect(() => resolving.connect("http://a:1", { resolveTimeoutMs: Number.NaN })).toThrow(RangeError);
  });

  test("abort closes an established connection; no timer outlives a closed one", async () => {
    const base = await nodeServer((req, res) => res.end("ok"));
    const mgr = await clientManager();
    const ac = new AbortController();
    const r = await fetchRaw(mgr, base, [GET("/")], 1);
    expect(r.answers[0].body).toBe("ok");
    const events: number[] = [];
    const errors: string[] = [];
    mgr.connect(base, {
      signal: ac.signal, timeoutMs: 5000,
      handler: (c, ev, data) => {
        events.push(ev);
        if (ev === MG_EV_CONNECT) ac.abort();
        if (ev === MG_EV_ERROR) errors.push(String(data));
      },
    });
    await waitFor(() => events.includes(MG_EV_CLOSE), 5000, "close after abort");
    expect(errors).toEqual(["connect aborted: This operation was aborted"]);
  });
});
