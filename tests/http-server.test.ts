// http-server.test.ts: the HTTP server seen by real clients (curl and Node's
// fetch): request views, the reply forms, JSON, chunked and SSE streaming,
// HEAD, uploads (plain, chunked, 100-continue).
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection } from "tsmongoose";
import { startServer, stopAllServers, sleep, type TestServer } from "./helpers/server";
import { curl, parseCurlI, ensureCurl } from "./helpers/curl";
import { RawClient, getReq, rawRequest } from "./helpers/raw-client";
import { asHttp, requestInfo, sha256, patternBytes, readSse, type RequestInfo } from "./helpers/http";

let tmp: string;
beforeAll(() => { ensureCurl(); tmp = mkdtempSync(join(tmpdir(), "tsm-http-")); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => stopAllServers());

/** A server that records each request and answers with its info as JSON. */
async function echoServer(): Promise<{ srv: TestServer; seen: RequestInfo[]; extra: Record<string, unknown>[] }> {
  const seen: RequestInfo[] = [];
  const extra: Record<string, unknown>[] = [];
  const srv = await startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = asHttp(data);
    const info = requestInfo(hm);
    seen.push(info);
    extra.push({
      hdrLower: hm.header("x-test-header") ?? null,
      hdrUpper: hm.header("X-TEST-HEADER") ?? null,
      hdrMissing: hm.header("x-not-sent") ?? null,
      qa: hm.queryVar("a") ?? null,
      qb: hm.queryVar("b") ?? null,
      qMissing: hm.queryVar("zzz") ?? null,
      boundary: hm.headerVar("Content-Type", "boundary") ?? null,
      format: hm.headerVar("Content-Type", "format") ?? null,
    });
    c.replyJson({ ...info, headers: undefined });
  });
  return { srv, seen, extra };
}

describe("request views (HttpMessage)", () => {
  test("curl GET with query and headers: method, uri, query, proto, header(), headers(), queryVar, headerVar", async () => {
    const { srv, seen, extra } = await echoServer();
    const r = await curl(["-s", "-i", "--http1.1", "-H", "X-Test-Header: Hello There",
      "-H", "Content-Type: multipart/form-data; boundary=abc123; format=flowed",
      `${srv.base}/path/to/thing?a=1&b=two%20words`]);
    expect(r.code).toBe(0);
    const { final, body } = parseCurlI(r.stdout);
    expect(final.status).toBe(200);
    expect(final.headers["content-type"]).toMatch(/^application\/json/);
    expect(seen).toHaveLength(1);
    const info = seen[0];
    expect(info.method).toBe("GET");
    expect(info.uri).toBe("/path/to/thing");
    expect(info.query).toBe("a=1&b=two%20words");
    expect(info.proto).toBe("HTTP/1.1");
    expect(info.bodyLen).toBe(0);
    const names = info.headers.map(([n]) => n.toLowerCase());
    expect(names).toEqual(expect.arrayContaining(["host", "user-agent", "accept", "x-test-header", "content-type"]));
    expect(info.headers).toContainEqual(["X-Test-Header", "Hello There"]);
    expect(info.headers.find(([n]) => n.toLowerCase() === "host")?.[1]).toBe(`127.0.0.1:${srv.port}`);
    expect(extra[0]).toEqual({
      hdrLower: "Hello There", hdrUpper: "Hello There", hdrMissing: null,
      qa: "1", qb: "two words", qMissing: null, boundary: "abc123", format: "flowed",
    });
    expect(JSON.parse(body.toString()).uri).toBe("/path/to/thing");
  });

  test("fetch POST: body and bodyText, method, Content-Length", async () => {
    const { srv, seen } = await echoServer();
    const res = await fetch(`${srv.base}/submit?x=y`, { method: "POST", body: "name=value&ü=✓", headers: { "X-Test-Header": "f" } });
    expect(res.status).toBe(200);
    const echoed = await res.json() as RequestInfo;
    expect(echoed.method).toBe("POST");
    expect(echoed.bodyText).toBe("name=value&ü=✓");
    expect(seen[0].bodyLen).toBe(Buffer.byteLength("name=value&ü=✓"));
    expect(seen[0].query).toBe("x=y");
  });

  test("curl --data-binary @file: binary body arrives byte-exact", async () => {
    const { srv, seen } = await echoServer();
    const data = patternBytes(200_000, 7);
    const file = join(tmp, "bin.dat");
    writeFileSync(file, data);
    const r = await curl(["-s", "-i", "--http1.1", "--data-binary", `@${file}`, "-H", "Content-Type: application/octet-stream", `${srv.base}/upload`]);
    expect(r.code).toBe(0);
    expect(parseCurlI(r.stdout).final.status).toBe(200);
    expect(seen[0].method).toBe("POST");
    expect(seen[0].bodyLen).toBe(data.length);
    expect(seen[0].bodySha).toBe(sha256(data));
  });

  test("curl -X PUT and -X DELETE reach the handler with their method", async () => {
    const { srv, seen } = await echoServer();
    expect((await curl(["-s", "-X", "PUT", "--data-binary", "abc", `${srv.base}/r`])).code).toBe(0);
    expect((await curl(["-s", "-X", "DELETE", `${srv.base}/r`])).code).toBe(0);
    expect(seen.map((s) => [s.method, s.bodyText])).toEqual([["PUT", "abc"], ["DELETE", ""]]);
  });

  test("curl chunked upload (-H Transfer-Encoding: chunked --data-binary @file) is de-chunked", async () => {
    const { srv, seen } = await echoServer();
    const data = patternBytes(150_000, 3);
    const file = join(tmp, "chunked.dat");
    writeFileSync(file, data);
    const r = await curl(["-s", "-i", "--http1.1", "-H", "Transfer-Encoding: chunked", "--data-binary", `@${file}`, `${srv.base}/up`]);
    expect(r.code).toBe(0);
    expect(parseCurlI(r.stdout).final.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0].headers.find(([n]) => n.toLowerCase() === "transfer-encoding")?.[1]).toMatch(/chunked/i);
    expect(seen[0].bodyLen).toBe(data.length);
    expect(seen[0].bodySha).toBe(sha256(data));
  });

  test("curl with Expect: 100-continue and a 2 KB body gets 100 Continue at once, then the answer", async () => {
    const { srv, seen } = await echoServer();
    const data = patternBytes(2048, 9);
    const file = join(tmp, "expect.dat");
    writeFileSync(file, data);
    const r = await curl(["-s", "-i", "--http1.1", "--expect100-timeout", "10", "-H", "Expect: 100-continue",
      "--data-binary", `@${file}`, `${srv.base}/expect`]);
    expect(r.code).toBe(0);
    const { blocks, final } = parseCurlI(r.stdout);
    expect(blocks[0].status).toBe(100);
    expect(final.status).toBe(200);
    // Had the server not sent 100 Continue, curl would have waited the 10 s.
    expect(r.ms).toBeLessThan(5000);
    expect(seen[0].bodySha).toBe(sha256(data));
  });
});

describe("reply forms", () => {
  test("reply(200, text) adds Content-Type: text/plain and a correct Content-Length", async () => {
    const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "Hello, World!"); });
    const r = await curl(["-s", "-i", `${srv.base}/`]);
    const { final, body } = parseCurlI(r.stdout);
    expect(final.status).toBe(200);
    expect(final.headers["content-type"]).toMatch(/^text\/plain/);
    expect(final.headers["content-length"]).toBe("13");
    expect(body.toString()).toBe("Hello, World!");
    const res = await fetch(`${srv.base}/`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await res.text()).toBe("Hello, World!");
  });

  test("reply() without a body sends Content-Length: 0; multi-byte text counts bytes", async () => {
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      if (asHttp(d).uri === "/empty") c.reply(404);
      else c.reply(200, "héllo ✓");
    });
    const [empty, utf] = await rawRequest(srv.port, getReq("/empty") + getReq("/utf"), 2);
    expect(empty.status).toBe(404);
    expect(empty.headers["content-length"]).toBe("0");
    expect(empty.body.length).toBe(0);
    expect(utf.headers["content-length"]).toBe(String(Buffer.byteLength("héllo ✓")));
    expect(utf.body.toString()).toBe("héllo ✓");
  });

  test("custom headers in object form (own Content-Type wins, no duplicate)", async () => {
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) c.reply(201, "<b>x</b>", { "Content-Type": "text/html", "X-Custom": "yes", "Cache-Control": "no-store" });
    });
    const [res] = await rawRequest(srv.port, getReq("/"));
    expect(res.status).toBe(201);
    expect(res.headers["content-type"]).toBe("text/html");
    expect(res.headerList.filter(([n]) => n.toLowerCase() === "content-type")).toHaveLength(1);
    expect(res.headers["x-custom"]).toBe("yes");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["content-length"]).toBe("8");
    expect(res.body.toString()).toBe("<b>x</b>");
  });

  test("custom headers in string form", async () => {
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) c.reply(202, "ok", "X-A: 1\r\nX-B: two\r\n");
    });
    const r = await curl(["-s", "-i", `${srv.base}/`]);
    const { final, body } = parseCurlI(r.stdout);
    expect(final.status).toBe(202);
    expect(final.headers["x-a"]).toBe("1");
    expect(final.headers["x-b"]).toBe("two");
    expect(final.headers["content-type"]).toMatch(/^text\/plain/);
    expect(body.toString()).toBe("ok");
  });

  test("reply with a binary Uint8Array body is byte-exact", async () => {
    const data = patternBytes(70_000, 5);
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) c.reply(200, new Uint8Array(data), { "Content-Type": "application/octet-stream" });
    });
    const res = await fetch(`${srv.base}/bin`);
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.length).toBe(data.length);
    expect(sha256(got)).toBe(sha256(data));
  });

  test("replyJson: default 200, application/json; status and headers honoured", async () => {
    const value = { a: 1, b: [true, null, "x"], c: { d: "é" } };
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      if (asHttp(d).uri === "/created") c.replyJson({ id: 7 }, 201, { "X-J": "1" });
      else c.replyJson(value);
    });
    const res = await fetch(`${srv.base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(value);
    const res2 = await fetch(`${srv.base}/created`);
    expect(res2.status).toBe(201);
    expect(res2.headers.get("x-j")).toBe("1");
    expect(await res2.json()).toEqual({ id: 7 });
  });
});

describe("streaming", () => {
  test("httpChunk: the client sees the chunks concatenated (fetch and raw)", async () => {
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      for (const part of ["alpha ", "beta ", "", "gamma"].filter((p) => p)) c.httpChunk(part);
      c.httpChunk(new Uint8Array(Buffer.from(" delta")));
      c.httpChunk("");
    });
    const res = await fetch(`${srv.base}/stream`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("alpha beta gamma delta");
    const [raw, next] = await rawRequest(srv.port, getReq("/a") + getReq("/b"), 2);
    expect(raw.chunked).toBe(true);
    expect(raw.headers["transfer-encoding"]).toMatch(/chunked/i);
    expect(raw.body.toString()).toBe("alpha beta gamma delta");
    // The zero chunk ended the response: the next pipelined request was answered.
    expect(next.body.toString()).toBe("alpha beta gamma delta");
  });

  test("httpChunk streams: the first chunk reaches the client before the response ends", async () => {
    let conn: Connection | undefined;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) { conn = c; c.httpChunk("first;"); }
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/live"));
      await client.waitUntil(() => client.data.includes("first;"), 3000, "first chunk");
      expect(client.data.includes("\r\n0\r\n\r\n")).toBe(false);
      conn!.httpChunk("second;");
      conn!.httpChunk("");
      const [res] = await client.finalResponses(1);
      expect(res.body.toString()).toBe("first;second;");
    } finally {
      client.destroy();
    }
  });

  test("httpSse: events parsed by the client", async () => {
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      c.httpSse("greeting", "hello");
      c.httpSse("tick", "1");
      setTimeout(() => { c.httpSse("tick", "2"); c.httpChunk(""); }, 20);
    });
    const res = await fetch(`${srv.base}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await readSse(res)).toEqual([
      { event: "greeting", data: "hello" },
      { event: "tick", data: "1" },
      { event: "tick", data: "2" },
    ]);
  });
});

describe("HEAD", () => {
  test("HEAD gets the headers with the GET Content-Length and no body (raw, keep-alive)", async () => {
    const seen: string[] = [];
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      seen.push(asHttp(d).method);
      c.reply(200, "twelve bytes");
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(`HEAD / HTTP/1.1\r\nHost: x\r\n\r\n`);
      const [head] = await client.finalResponses(1, { noBody: [true] });
      expect(head.status).toBe(200);
      expect(head.headers["content-length"]).toBe("12");
      await sleep(30);
      // Nothing after the blank line: no body bytes leaked.
      expect(client.data.toString("latin1").endsWith("\r\n\r\n")).toBe(true);
      await client.write(getReq("/"));
      const rs = await client.finalResponses(2, { noBody: [true, false] });
      expect(rs[1].body.toString()).toBe("twelve bytes");
      expect(seen).toEqual(["HEAD", "GET"]);
    } finally {
      client.destroy();
    }
  });

  test("curl -I and fetch HEAD: Content-Length of the would-be body, nothing else", async () => {
    const json = JSON.stringify({ hello: "world" });
    const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.replyJson({ hello: "world" }); });
    const r = await curl(["-s", "-I", `${srv.base}/`]);
    expect(r.code).toBe(0);
    const { final, body } = parseCurlI(r.stdout);
    expect(final.status).toBe(200);
    expect(final.headers["content-length"]).toBe(String(json.length));
    expect(body.length).toBe(0);
    const head = await fetch(`${srv.base}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(json.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    // The keep-alive connection behind it is still in sync.
    expect(await (await fetch(`${srv.base}/`)).text()).toBe(json);
  });
});

describe("many requests", () => {
  test("50 sequential fetches all answered with their own path", async () => {
    const srv = await startServer((c, ev, d) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, asHttp(d).uri); });
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${srv.base}/n/${i}`);
      expect(await res.text()).toBe(`/n/${i}`);
    }
  });
});
