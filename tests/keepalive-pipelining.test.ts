// keepalive-pipelining.test.ts: connection reuse, HTTP/1.0 and
// `Connection: close`, pipelined requests answered in order (also when the
// first answer is late), chunked uploads, and `Expect: 100-continue`.
import { MG_EV_HTTP_MSG, MG_EV_ACCEPT } from "tsmongoose";
import type { Connection } from "tsmongoose";
import { startServer, stopAllServers, sleep, type Handler } from "./helpers/server";
import { RawClient, getReq } from "./helpers/raw-client";
import { asHttp, patternBytes, sha256 } from "./helpers/http";

afterEach(() => stopAllServers());

/** Answers every request with its URI; records the connection of each. */
function uriServer(conns: Connection[] = [], accepts: Connection[] = []): Handler {
  return (c, ev, d) => {
    if (ev === MG_EV_ACCEPT) accepts.push(c);
    if (ev !== MG_EV_HTTP_MSG) return;
    conns.push(c);
    const hm = asHttp(d);
    c.reply(200, `${hm.method} ${hm.uri} ${hm.body.length} ${sha256(hm.body).slice(0, 8)}`);
  };
}

describe("keep-alive", () => {
  test("20 requests on one raw socket: same Connection object, id and remote port", async () => {
    const conns: Connection[] = [];
    const ports: number[] = [];
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      conns.push(c);
      ports.push(c.remoteAddr!.port);
      c.reply(200, asHttp(d).uri);
    });
    const client = await RawClient.connect(srv.port);
    try {
      for (let i = 0; i < 20; i++) {
        await client.write(getReq(`/r${i}`));
        const rs = await client.finalResponses(i + 1);
        expect(rs[i].body.toString()).toBe(`/r${i}`);
      }
      expect(client.ended).toBe(false);
    } finally {
      client.destroy();
    }
    expect(conns).toHaveLength(20);
    expect(new Set(conns).size).toBe(1);
    expect(new Set(conns.map((c) => c.id)).size).toBe(1);
    expect(new Set(ports)).toEqual(new Set([client.localPort]));
  });

  test("sequential fetches reuse one connection (one accept, one Connection)", async () => {
    const conns: Connection[] = [];
    const accepts: Connection[] = [];
    const srv = await startServer(uriServer(conns, accepts));
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${srv.base}/k${i}`);
      expect(await res.text()).toMatch(new RegExp(`^GET /k${i} `));
    }
    // undici may open a spare socket (it does so with node:http too), but the
    // 10 requests share at most two connections, each a single Connection object.
    expect(accepts.length).toBeLessThanOrEqual(2);
    expect(new Set(conns)).toEqual(new Set(accepts));
    expect(conns).toHaveLength(10);
    for (const a of accepts) expect(srv.mgr.connections).toContain(a);
  });

  test("HTTP/1.0 without keep-alive: answered, then the server closes", async () => {
    const srv = await startServer(uriServer());
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("GET /old HTTP/1.0\r\n\r\n");
      const [res] = await client.finalResponses(1);
      expect(res.status).toBe(200);
      expect(res.body.toString()).toMatch(/^GET \/old /);
      await client.waitEnd(3000);
    } finally {
      client.destroy();
    }
  });

  test("HTTP/1.0 with Connection: keep-alive stays open and says so", async () => {
    const srv = await startServer(uriServer());
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const [res] = await client.finalResponses(1);
      expect(res.headers["connection"]).toMatch(/keep-alive/i);
      await sleep(50);
      expect(client.ended).toBe(false);
      await client.write("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      const rs = await client.finalResponses(2);
      expect(rs[1].body.toString()).toMatch(/^GET \/b /);
    } finally {
      client.destroy();
    }
  });

  test("Connection: close: response says close, then EOF; a request behind it is ignored", async () => {
    const conns: Connection[] = [];
    const srv = await startServer(uriServer(conns));
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/last", "Connection: close\r\n") + getReq("/ignored"));
      const [res] = await client.finalResponses(1);
      expect(res.headers["connection"]).toMatch(/close/i);
      await client.waitEnd(3000);
      await sleep(20);
      const all = (await client.finalResponses(1));
      expect(all).toHaveLength(1);
    } finally {
      client.destroy();
    }
    expect(conns).toHaveLength(1);
  });

  test("fetch with Connection: close opens a new connection each time", async () => {
    const accepts: Connection[] = [];
    const srv = await startServer(uriServer([], accepts));
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${srv.base}/c${i}`, { headers: { Connection: "close" } });
      expect(res.headers.get("connection")).toMatch(/close/i);
      await res.text();
    }
    expect(accepts).toHaveLength(3);
  });
});

describe("pipelining", () => {
  test("5 requests in one write are answered in order", async () => {
    const conns: Connection[] = [];
    const srv = await startServer(uriServer(conns));
    const client = await RawClient.connect(srv.port);
    try {
      await client.write([1, 2, 3, 4, 5].map((i) => getReq(`/p${i}`)).join(""));
      const rs = await client.finalResponses(5);
      expect(rs.map((r) => r.body.toString().split(" ")[1])).toEqual(["/p1", "/p2", "/p3", "/p4", "/p5"]);
    } finally {
      client.destroy();
    }
    expect(new Set(conns).size).toBe(1);
  });

  test("the first answer comes late from a setTimeout: order is kept", async () => {
    const order: string[] = [];
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const uri = asHttp(d).uri;
      order.push(uri);
      if (uri === "/slow") setTimeout(() => c.reply(200, "slow"), 80);
      else c.reply(200, uri.slice(1));
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/slow") + getReq("/fast1") + getReq("/fast2"));
      const rs = await client.finalResponses(3);
      expect(rs.map((r) => r.body.toString())).toEqual(["slow", "fast1", "fast2"]);
    } finally {
      client.destroy();
    }
    expect(order).toEqual(["/slow", "/fast1", "/fast2"]);
  });

  test("an async handler answering after an await: order is kept", async () => {
    const srv = await startServer(async (c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const uri = asHttp(d).uri;
      await sleep(uri === "/a" ? 60 : uri === "/b" ? 5 : 0);
      c.reply(200, uri);
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/a") + getReq("/b") + getReq("/c"));
      const rs = await client.finalResponses(3);
      expect(rs.map((r) => r.body.toString())).toEqual(["/a", "/b", "/c"]);
    } finally {
      client.destroy();
    }
  });

  test("pipelined POSTs with Content-Length and chunked bodies between GETs", async () => {
    const srv = await startServer(uriServer());
    const b1 = patternBytes(3000, 1);
    const b2 = patternBytes(777, 2);
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(Buffer.concat([
        Buffer.from(getReq("/g1")),
        Buffer.from(`POST /p1 HTTP/1.1\r\nHost: x\r\nContent-Length: ${b1.length}\r\n\r\n`), b1,
        Buffer.from(`POST /p2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n`), b2.subarray(0, 256),
        Buffer.from(`\r\n${(b2.length - 256).toString(16)}\r\n`), b2.subarray(256), Buffer.from("\r\n0\r\n\r\n"),
        Buffer.from(getReq("/g2")),
      ]));
      const rs = await client.finalResponses(4);
      expect(rs.map((r) => r.body.toString())).toEqual([
        `GET /g1 0 ${sha256(Buffer.alloc(0)).slice(0, 8)}`,
        `POST /p1 ${b1.length} ${sha256(b1).slice(0, 8)}`,
        `POST /p2 ${b2.length} ${sha256(b2).slice(0, 8)}`,
        `GET /g2 0 ${sha256(Buffer.alloc(0)).slice(0, 8)}`,
      ]);
    } finally {
      client.destroy();
    }
  });

  test("a request delivered one byte per write is parsed", async () => {
    const srv = await startServer(uriServer());
    const client = await RawClient.connect(srv.port);
    client.socket.setNoDelay(true);
    try {
      const req = Buffer.from("POST /bytewise?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
      for (const byte of req) { await client.write(Buffer.from([byte])); await sleep(1); }
      const [res] = await client.finalResponses(1);
      expect(res.body.toString()).toBe(`POST /bytewise 5 ${sha256("hello").slice(0, 8)}`);
    } finally {
      client.destroy();
    }
  });
});

describe("chunked uploads (raw)", () => {
  test("chunks spread over several writes with pauses", async () => {
    const srv = await startServer(uriServer());
    const body = patternBytes(10_000, 9);
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
      for (let off = 0; off < body.length; off += 2500) {
        const part = body.subarray(off, off + 2500);
        await client.write(`${part.length.toString(16)}\r\n`);
        await sleep(5);
        await client.write(Buffer.concat([part, Buffer.from("\r\n")]));
      }
      await sleep(20);
      expect(client.received).toBe(0);
      await client.write("0\r\n\r\n");
      const [res] = await client.finalResponses(1);
      expect(res.body.toString()).toBe(`POST /up ${body.length} ${sha256(body).slice(0, 8)}`);
    } finally {
      client.destroy();
    }
  });

  test("chunk extensions and trailer fields are accepted", async () => {
    const srv = await startServer(uriServer());
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("POST /ext HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n" + getReq("/after"));
      const rs = await client.finalResponses(2);
      expect(rs[0].body.toString()).toBe(`POST /ext 11 ${sha256("hello world").slice(0, 8)}`);
      expect(rs[1].body.toString()).toMatch(/^GET \/after /);
    } finally {
      client.destroy();
    }
  });
});

describe("Expect: 100-continue", () => {
  test("raw: 100 Continue arrives before the body is sent, then the final answer", async () => {
    let calls = 0;
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      calls++;
      c.reply(200, `got ${asHttp(d).body.length}`);
    });
    const body = patternBytes(5000, 6);
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(`PUT /file HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
      await client.waitUntil(() => client.data.includes("\r\n\r\n"), 3000, "100 Continue");
      expect(client.data.toString("latin1")).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      expect(calls).toBe(0);
      await client.write(body);
      const rs = await client.responses(1);
      expect(rs.map((r) => r.status)).toEqual([100, 200]);
      expect(rs[1].body.toString()).toBe("got 5000");
      // Keep-alive goes on; no 100 for a request without Expect.
      await client.write(`PUT /file HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc`);
      const rs2 = await client.responses(2);
      expect(rs2.map((r) => r.status)).toEqual([100, 200, 200]);
      expect(rs2[2].body.toString()).toBe("got 3");
    } finally {
      client.destroy();
    }
  });

  test("raw: a body over the limit gets 413 instead of 100 Continue", async () => {
    let calls = 0;
    const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) { calls++; c.reply(200, "x"); } },
      { managerOpts: { limits: { maxBodySize: 1000 } } });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(`PUT /big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n`);
      const rs = await client.responses(1);
      expect(rs.map((r) => r.status)).toEqual([413]);
      await client.waitEnd(3000);
    } finally {
      client.destroy();
    }
    expect(calls).toBe(0);
  });
});
