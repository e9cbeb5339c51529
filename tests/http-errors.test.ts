// http-errors.test.ts: every protocol error status of the HTTP server.
// Each bad request gets its status, the connection closes after the
// answer, the handler never sees the request, and the server keeps serving.
import { MG_EV_HTTP_MSG } from "tsmongoose";
import { startServer, stopAllServers, type TestServer } from "./helpers/server";
import { RawClient, getReq, rawRequest, type RawResponse } from "./helpers/raw-client";
import { asHttp, patternBytes } from "./helpers/http";

const MAX_HEADER = 1024;
const MAX_BODY = 4096;

let srv: TestServer;
let seen: string[];

beforeEach(async () => {
  seen = [];
  srv = await startServer((c, ev, d) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = asHttp(d);
    seen.push(`${hm.method} ${hm.uri} ${hm.body.length}`);
    c.reply(200, "ok");
  }, { managerOpts: { limits: { maxHeaderSize: MAX_HEADER, maxBodySize: MAX_BODY } } });
});
afterEach(() => stopAllServers());

/** Send `input` (string or pieces written one by one), expect one answer with `status`, then EOF. */
async function expectRejected(input: string | Buffer | (string | Buffer)[], status: number, port = srv.port): Promise<RawResponse> {
  const c = await RawClient.connect(port);
  try {
    for (const piece of Array.isArray(input) ? input : [input]) await c.write(piece);
    const [res] = await c.finalResponses(1);
    expect(res.status).toBe(status);
    // The connection closes after the answer (without more requests from us).
    await c.waitEnd(3000);
    return res;
  } finally {
    c.destroy();
  }
}

/** The server still answers a good request on a fresh connection. */
async function expectStillServing(port = srv.port): Promise<void> {
  const [res] = await rawRequest(port, getReq("/alive"));
  expect(res.status).toBe(200);
  expect(res.body.toString()).toBe("ok");
}

describe("400 Bad Request", () => {
  test.each([
    ["no spaces at all", "GARBAGE\r\n\r\n"],
    ["missing protocol", "GET /\r\n\r\n"],
    ["non-token method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["NUL byte in the URI", "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["control byte in the request line", "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["empty method (line starts with a space)", " / HTTP/1.1\r\nHost: x\r\n\r\n"],
  ])("malformed request line (%s)", async (_what, req) => {
    await expectRejected(req, 400);
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });

  test.each([
    ["header without colon", "GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n"],
    ["space inside header name", "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n"],
    ["space before the colon", "GET / HTTP/1.1\r\nHost: h\r\nHost : x\r\n\r\n"],
    ["empty header name", "GET / HTTP/1.1\r\nHost: h\r\n: value\r\n\r\n"],
    ["obsolete line folding", "GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n"],
    ["NUL in a header value", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n"],
  ])("bad header (%s)", async (_what, req) => {
    await expectRejected(req, 400);
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });

  test.each([
    ["bare LF everywhere", "GET / HTTP/1.1\nHost: x\n\n"],
    ["bare LF after the request line", "GET / HTTP/1.1\nHost: x\r\n\r\n"],
    ["bare LF ending the head", "GET / HTTP/1.1\r\nHost: x\r\n\n"],
  ])("bare LF (%s)", async (_what, req) => {
    await expectRejected(req, 400);
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });

  test.each([
    ["non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n"],
    ["negative Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n"],
    ["bad chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"],
  ])("bad body framing (%s)", async (_what, req) => {
    await expectRejected(req, 400);
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });

  test("a bad request after a good one on a keep-alive connection: first answered, then 400 and close", async () => {
    const c = await RawClient.connect(srv.port);
    try {
      await c.write(getReq("/good") + "NONSENSE\r\n\r\n");
      const rs = await c.finalResponses(2);
      expect(rs.map((r) => r.status)).toEqual([200, 400]);
      await c.waitEnd(3000);
    } finally {
      c.destroy();
    }
    expect(seen).toEqual(["GET /good 0"]);
  });
});

describe("431 Request Header Fields Too Large", () => {
  test("headers over limits.maxHeaderSize (complete head)", async () => {
    await expectRejected(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(MAX_HEADER * 2)}\r\n\r\n`, 431);
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });

  test("an endless head is cut at the limit without waiting for its end", async () => {
    // Never send the blank line: the server must not wait for it.
    const pieces = ["GET / HTTP/1.1\r\nHost: h\r\n", ...Array.from({ length: 12 }, (_, i) => `X-Pad-${i}: ${"b".repeat(200)}\r\n`)];
    await expectRejected(pieces, 431);
    await expectStillServing();
  });

  test("a head just under the limit is accepted", async () => {
    const base = getReq("/edge", "X-Fill: ");
    const fill = "c".repeat(MAX_HEADER - base.length - 2 - 16);
    const [res] = await rawRequest(srv.port, getReq("/edge", `X-Fill: ${fill}\r\n`));
    expect(res.status).toBe(200);
    expect(seen).toEqual(["GET /edge 0"]);
  });

  test("too many headers (default limit of 100)", async () => {
    seen = [];
    const plain = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) { seen.push("plain"); c.reply(200, "ok"); } });
    const many = Array.from({ length: 150 }, (_, i) => `X-H${i}: v\r\n`).join("");
    await expectRejected(`GET / HTTP/1.1\r\nHost: x\r\n${many}\r\n`, 431, plain.port);
    // 90 headers are fine.
    const some = Array.from({ length: 90 }, (_, i) => `X-H${i}: v\r\n`).join("");
    const [res] = await rawRequest(plain.port, `GET / HTTP/1.1\r\nHost: x\r\n${some}\r\n`);
    expect(res.status).toBe(200);
    expect(seen).toEqual(["plain"]);
  });
});

describe("413 Payload Too Large", () => {
  test("Content-Length over limits.maxBodySize is refused before the body arrives", async () => {
    const res = await expectRejected(
      [`POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${MAX_BODY * 25}\r\n\r\n`, patternBytes(1000)], 413);
    expect(res.body.length).toBe(Number(res.headers["content-length"] ?? res.body.length));
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });

  test("chunked body growing over limits.maxBodySize", async () => {
    const chunk = patternBytes(1000, 2);
    const pieces: (string | Buffer)[] = [`POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`];
    for (let i = 0; i < 6; i++) pieces.push(Buffer.concat([Buffer.from("3e8\r\n"), chunk, Buffer.from("\r\n")]));
    await expectRejected(pieces, 413);
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });

  test("bodies of exactly maxBodySize (Content-Length and chunked) are accepted", async () => {
    const body = patternBytes(MAX_BODY, 4);
    const c = await RawClient.connect(srv.port);
    try {
      await c.write(Buffer.concat([Buffer.from(`POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: ${MAX_BODY}\r\n\r\n`), body]));
      await c.write(Buffer.concat([Buffer.from(`POST /te HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n`),
        body, Buffer.from("\r\n0\r\n\r\n")]));
      const rs = await c.finalResponses(2);
      expect(rs.map((r) => r.status)).toEqual([200, 200]);
    } finally {
      c.destroy();
    }
    expect(seen).toEqual([`POST /cl ${MAX_BODY}`, `POST /te ${MAX_BODY}`]);
  });
});

describe("robustness", () => {
  test("binary noise on 40 connections: each gets 400 or is closed, nothing reaches the handler", async () => {
    for (let i = 0; i < 40; i++) {
      const noise = patternBytes(64 + i * 13, i + 11);
      noise[0] = 0x01; // never a valid method start
      const c = await RawClient.connect(srv.port);
      try {
        await c.write(Buffer.concat([noise, Buffer.from("\r\n\r\n")]));
        await c.waitEnd(3000);
        if (c.received > 0) expect(c.data.toString("latin1")).toMatch(/^HTTP\/1\.[01] 400 /);
      } finally {
        c.destroy();
      }
    }
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });

  test("a client that vanishes mid-request does not disturb the others", async () => {
    const c = await RawClient.connect(srv.port);
    await c.write("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf");
    c.destroy();
    await expectStillServing();
    expect(seen).toEqual(["GET /alive 0"]);
  });
});
