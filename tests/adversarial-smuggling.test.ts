// adversarial-smuggling.test.ts: request smuggling and framing attacks over
// real sockets (issue 5, part 2).
//
// Every attack is followed, on the same connection, by a pipelined
// `GET /smuggled` that a confused parser might execute. For each: the
// expected status with `Connection: close`, the server closes, the handler
// never sees the bad request nor the smuggled one, and a keep-alive
// bystander connection keeps getting exactly its own responses throughout.
//
// Status policy of the core (wasm/src/http_server.c, http_parse.c): every
// malformed head or framing is 400 (a bad or unsupported HTTP version too:
// the core never sends 505), a Transfer-Encoding whose codings do not end
// in one "chunked" is 400 (RFC 9112 6.3), one with an unknown coding before
// a final "chunked" is 501 (6.1), a body over limits.maxBodySize is 413.
//
// The whole suite runs twice: with the seed's poll loop and with auto-drive.
import {
  expectRejected, expectStillServed, useAttackedServer,
} from "./helpers/adversary";
import { RawClient } from "./helpers/raw-client";
import { type DriveMode } from "./helpers/server";

const MAX_BODY = 64 * 1024;
const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

describe.each<DriveMode>(["poll", "auto"])("driven by %s", (mode) => {
  const s = useAttackedServer({ mode, managerOpts: { limits: { maxBodySize: MAX_BODY } } });

  /** The attack got `status` + close, nothing reached the handler, the bystander is still fine. */
  async function attack(input: string | Buffer, status: number | number[]): Promise<void> {
    const data = typeof input === "string" ? input + SMUGGLED : Buffer.concat([input, Buffer.from(SMUGGLED)]);
    await expectRejected(s.adv.port, data, status);
    expect(s.adv.seen).toEqual([]);
    expect(s.adv.count("/smuggled")).toBe(0);
    await expectStillServed(s.by);
  }

  const post = (headers: string, body: string) => `POST /a HTTP/1.1\r\nHost: x\r\n${headers}\r\n${body}`;

  describe("Content-Length and Transfer-Encoding together", () => {
    test.each([
      ["CL then TE", post("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG")],
      ["TE then CL", post("Transfer-Encoding: chunked\r\nContent-Length: 6\r\n", "0\r\n\r\nG")],
      ["CL 0 with TE", post("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n")],
      ["mixed-case names", post("content-length: 6\r\nTRANSFER-ENCODING: Chunked\r\n", "0\r\n\r\nG")],
      ["TE not chunked plus CL", post("Content-Length: 3\r\nTransfer-Encoding: gzip\r\n", "abc")],
    ])("%s -> 400", async (_what, req) => {
      await attack(req, 400);
    });
  });

  describe("duplicate or malformed Content-Length", () => {
    test.each([
      ["duplicate, same value", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello")],
      ["duplicate, different values", post("Content-Length: 5\r\nContent-Length: 6\r\n", "hello!")],
      ["list of equal values", post("Content-Length: 5, 5\r\n", "hello")],
      ["plus sign", post("Content-Length: +5\r\n", "hello")],
      ["minus sign", post("Content-Length: -5\r\n", "hello")],
      ["hex", post("Content-Length: 0x5\r\n", "hello")],
      ["space inside", post("Content-Length: 5 5\r\n", "hello")],
      ["decimal point", post("Content-Length: 5.0\r\n", "hello")],
      ["exponent", post("Content-Length: 5e0\r\n", "hello")],
      ["empty value", post("Content-Length: \r\n", "hello")],
      ["letters", post("Content-Length: five\r\n", "hello")],
      ["overflows 64 bits", post("Content-Length: 18446744073709551616\r\n", "hello")],
      ["far beyond 64 bits", post(`Content-Length: ${"9".repeat(40)}\r\n`, "hello")],
    ])("%s -> 400", async (_what, req) => {
      await attack(req, 400);
    });

    test("the largest 64-bit Content-Length is a limit problem: 413 at once", async () => {
      await attack(post("Content-Length: 18446744073709551615\r\n", "hello"), 413);
    });

    test("Content-Length with surrounding whitespace is valid (RFC 9110 OWS) and frames the body exactly", async () => {
      const c = await RawClient.connect(s.adv.port);
      try {
        await c.write(post("Content-Length:   5  \r\n", "hello") + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        const [a, b] = await c.finalResponses(2);
        expect([a.status, a.body.toString()]).toEqual([200, "ok:/a:5"]);
        expect([b.status, b.body.toString()]).toEqual([200, "ok:/next:0"]);
        expect(s.adv.seen).toEqual(["POST /a 5", "GET /next 0"]);
      } finally {
        c.destroy();
      }
      await expectStillServed(s.by);
    });

    test("a body that contains a request is a body: the embedded request never runs", async () => {
      const inner = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
      const c = await RawClient.connect(s.adv.port);
      try {
        await c.write(post(`Content-Length: ${inner.length}\r\n`, inner) + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        const [a, b] = await c.finalResponses(2);
        expect(a.body.toString()).toBe(`ok:/a:${inner.length}`);
        expect(b.body.toString()).toBe("ok:/next:0");
        expect(s.adv.count("/smuggled")).toBe(0);
      } finally {
        c.destroy();
      }
      await expectStillServed(s.by);
    });
  });

  describe("Transfer-Encoding variants", () => {
    // RFC 9112 6.3 item 4: not ending in chunked, the length is unknowable.
    test.each([
      ["chunked, gzip", "chunked, gzip"],
      ["gzip", "gzip"],
      ["xchunked", "xchunked"],
      ["chunkedx", "chunkedx"],
      ["quoted", "\"chunked\""],
      ["identity", "identity"],
      ["chunked;q=1", "chunked;q=1"],
    ])("Transfer-Encoding: %s -> 400", async (_what, te) => {
      await attack(post(`Transfer-Encoding: ${te}\r\n`, "5\r\nhello\r\n0\r\n\r\n"), 400);
    });

    // RFC 9112 6.1: framed by chunked, but with a coding the server does not implement.
    test.each([
      ["gzip, chunked", "gzip, chunked"],
      ["deflate, chunked", "deflate, chunked"],
    ])("Transfer-Encoding: %s -> 501", async (_what, te) => {
      await attack(post(`Transfer-Encoding: ${te}\r\n`, "5\r\nhello\r\n0\r\n\r\n"), 501);
    });

    test.each([
      ["two Transfer-Encoding headers", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"],
      ["TE in obs-fold", "Transfer-Encoding:\r\n chunked\r\n"],
      ["TE continued by obs-fold", "Transfer-Encoding: gzip\r\n\tchunked\r\n"],
      ["space before the colon", "Transfer-Encoding : chunked\r\n"],
      ["tab before the colon", "Transfer-Encoding\t: chunked\r\n"],
      ["vertical tab in the value", "Transfer-Encoding: \x0bchunked\r\n"],
      ["NUL in the value", "Transfer-Encoding: chunked\0\r\n"],
      ["bare CR inside the value", "Transfer-Encoding: chunked\rX: y\r\n"],
    ])("%s -> 400", async (_what, headers) => {
      await attack(post(headers, "5\r\nhello\r\n0\r\n\r\n"), 400);
    });

    test("'chunked ' with trailing whitespace is chunked (OWS is not part of the value): framing honoured exactly", async () => {
      const c = await RawClient.connect(s.adv.port);
      try {
        await c.write(post("Transfer-Encoding: chunked \t\r\n", "5\r\nhello\r\n0\r\n\r\n") + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        const [a, b] = await c.finalResponses(2);
        expect(a.body.toString()).toBe("ok:/a:5");
        expect(b.body.toString()).toBe("ok:/next:0");
        expect(s.adv.seen).toEqual(["POST /a 5", "GET /next 0"]);
      } finally {
        c.destroy();
      }
      await expectStillServed(s.by);
    });
  });

  describe("bad chunked bodies", () => {
    const chunked = (body: string) => post("Transfer-Encoding: chunked\r\n", body);
    test.each([
      ["negative size", "-5\r\nhello\r\n0\r\n\r\n"],
      ["17 hex digits", "10000000000000005\r\nhello\r\n0\r\n\r\n"],
      ["0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"],
      ["empty size line", "\r\nhello\r\n0\r\n\r\n"],
      ["space after the size", "5 \r\nhello\r\n0\r\n\r\n"],
      ["missing CRLF after the data", "5\r\nhelloXX0\r\n\r\n"],
      ["data longer than declared", "3\r\nhello\r\n0\r\n\r\n"],
      ["bare LF after the size", "5\nhello\r\n0\r\n\r\n"],
      ["bare LF after the data", "5\r\nhello\n0\r\n\r\n"],
      ["NUL in the size line", "5\0\r\nhello\r\n0\r\n\r\n"],
      ["size line too long (extension of 5000 bytes)", `5;x=${"a".repeat(5000)}\r\nhello\r\n0\r\n\r\n`],
      ["control byte in an extension", "5;x=\x01\r\nhello\r\n0\r\n\r\n"],
      ["obs-fold in a trailer", "5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n"],
      ["NUL in a trailer", "5\r\nhello\r\n0\r\nX-T: a\0\r\n\r\n"],
      ["bare LF ending the trailers", "5\r\nhello\r\n0\r\n\n"],
    ])("%s -> 400", async (_what, body) => {
      await attack(chunked(body), 400);
    });

    test("a 16-hex-digit chunk size is over the body limit: 413 before any data", async () => {
      await attack(chunked("FFFFFFFFFFFFFFFF\r\n"), 413);
    });

    test("a chunk that would cross maxBodySize: 413 before its data arrives", async () => {
      await attack(chunked(`${(MAX_BODY - 10).toString(16)}\r\n${"a".repeat(MAX_BODY - 10)}\r\n14\r\n`), 413);
    });
  });

  describe("malformed heads", () => {
    test.each([
      ["obs-fold", "GET /a HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n"],
      ["bare LF everywhere", "GET /a HTTP/1.1\nHost: x\n\n"],
      ["bare LF after the request line", "GET /a HTTP/1.1\nHost: x\r\n\r\n"],
      ["bare LF ending a header", "GET /a HTTP/1.1\r\nHost: x\n\r\n"],
      ["bare LF ending the head", "GET /a HTTP/1.1\r\nHost: x\r\n\n"],
      ["bare CR ending the request line", "GET /a HTTP/1.1\rHost: x\r\n\r\n"],
      ["bare CR inside a header value", "GET /a HTTP/1.1\r\nX-A: 1\rContent-Length: 5\r\n\r\n"],
      ["bare CR ending the head", "GET /a HTTP/1.1\r\nHost: x\r\n\r\r\n"],
      ["NUL in the method", "GE\0T /a HTTP/1.1\r\nHost: x\r\n\r\n"],
      ["NUL in the target", "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n"],
      ["NUL in the version", "GET /a HTTP/1.\0\r\nHost: x\r\n\r\n"],
      ["NUL in a header name", "GET /a HTTP/1.1\r\nX-\0A: 1\r\n\r\n"],
      ["NUL in a header value", "GET /a HTTP/1.1\r\nX-A: 1\0 2\r\n\r\n"],
      ["space before the colon", "GET /a HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello"],
      ["tab before the colon", "GET /a HTTP/1.1\r\nHost\t: x\r\n\r\n"],
      ["space inside a header name", "GET /a HTTP/1.1\r\nX A: 1\r\n\r\n"],
      ["non-token header name", "GET /a HTTP/1.1\r\nX(A): 1\r\n\r\n"],
      ["header without a colon", "GET /a HTTP/1.1\r\nHost x\r\n\r\n"],
      ["DEL in a header value", "GET /a HTTP/1.1\r\nX-A: 1\x7f\r\n\r\n"],
      ["leading space before the method", " GET /a HTTP/1.1\r\nHost: x\r\n\r\n"],
      ["two spaces after the method", "GET  /a HTTP/1.1\r\nHost: x\r\n\r\n"],
      ["two spaces before the version", "GET /a  HTTP/1.1\r\nHost: x\r\n\r\n"],
      ["trailing space after the version", "GET /a HTTP/1.1 \r\nHost: x\r\n\r\n"],
      ["tab as separator", "GET\t/a HTTP/1.1\r\nHost: x\r\n\r\n"],
      ["missing version", "GET /a\r\nHost: x\r\n\r\n"],
      ["missing target", "GET HTTP/1.1\r\nHost: x\r\n\r\n"],
      ["HTTP/2.0", "GET /a HTTP/2.0\r\nHost: x\r\n\r\n"],
      ["HTTP/1.2", "GET /a HTTP/1.2\r\nHost: x\r\n\r\n"],
      ["HTTP/1.10", "GET /a HTTP/1.10\r\nHost: x\r\n\r\n"],
      ["HTTP/1", "GET /a HTTP/1\r\nHost: x\r\n\r\n"],
      ["lowercase http", "GET /a http/1.1\r\nHost: x\r\n\r\n"],
      ["HTTP/0.9 style", "GET /a\r\n\r\n"],
      ["a response instead of a request", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"],
      ["non-ASCII in the target", "GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n"],
    ])("%s -> 400", async (_what, req) => {
      await attack(Buffer.from(req, "latin1"), 400);
    });
  });

  test("a request rejected mid-pipeline: earlier requests answered, nothing after the bad one runs", async () => {
    const c = await RawClient.connect(s.adv.port);
    try {
      await c.write("GET /one HTTP/1.1\r\nHost: x\r\n\r\n" + post("Content-Length: 1\r\nContent-Length: 2\r\n", "ab") + SMUGGLED);
      await c.waitEnd(5000);
      const all = await c.finalResponses(2);
      expect(all.map((r) => r.status)).toEqual([200, 400]);
      expect(all.length).toBe(2);
      expect(s.adv.seen).toEqual(["GET /one 0"]);
      expect(s.adv.count("/smuggled")).toBe(0);
    } finally {
      c.destroy();
    }
    await expectStillServed(s.by);
  });
});
