// http-differential.test.ts: our request parser against node:http's
// (llhttp, strict mode) on the same byte streams. Each stream, hand-picked
// framing cases and a seeded mutation of them, goes to both servers over a
// fresh connection (written, then half-closed); the requests each server
// delivered complete (method, target, headers, body) must agree. The few
// places where they may not are listed in KNOWN with the RFC section that
// makes our answer right (docs/http-parser.md explains each). Bounded and
// deterministic: a fixed seed, a fixed number of streams.
import * as http from "node:http";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { MG_EV_HTTP_MSG } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";
import { startServer, stopAllServers, type TestServer } from "./helpers/server";

interface Seen { method: string; target: string; headers: string[]; body: string }

let ours: TestServer;
let node: http.Server;
let oursSeen: Seen[] = [];
let nodeSeen: Seen[] = [];

beforeAll(async () => {
  ours = await startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    oursSeen.push({
      method: hm.method,
      target: hm.query ? `${hm.uri}?${hm.query}` : hm.uri,
      headers: hm.headers().map(([n, v]) => `${n.toLowerCase()}: ${v}`),
      body: Buffer.from(hm.body).toString("latin1"),
    });
    c.reply(200, "ok");
  });
  node = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      const headers: string[] = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push(`${req.rawHeaders[i].toLowerCase()}: ${req.rawHeaders[i + 1]}`);
      nodeSeen.push({ method: req.method!, target: req.url!, headers, body: Buffer.concat(parts).toString("latin1") });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => node.listen(0, "127.0.0.1", r));
});

afterAll(async () => {
  node.closeAllConnections();
  await new Promise((r) => node.close(r));
  await stopAllServers();
});

/** Write `bytes` on a fresh connection, half-close, wait for the server to close (bounded); what it answered. */
function exchange(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const got: Buffer[] = [];
    const done = (): void => resolve(Buffer.concat(got).toString("latin1"));
    const timer = setTimeout(() => { s.destroy(); done(); }, 3000);
    s.on("data", (d: Buffer) => got.push(d));
    s.on("error", () => undefined);
    s.on("close", () => { clearTimeout(timer); done(); });
    s.on("connect", () => s.end(bytes));
  });
}

async function both(bytes: Buffer): Promise<{ ours: Seen[]; node: Seen[]; oursReply: string; nodeReply: string }> {
  oursSeen = [];
  nodeSeen = [];
  const [oursReply, nodeReply] = await Promise.all([exchange(ours.port, bytes), exchange((node.address() as AddressInfo).port, bytes)]);
  return { ours: oursSeen, node: nodeSeen, oursReply, nodeReply };
}

const H = "Host: h\r\n";
/** Hand-picked framing cases: name -> stream. */
const CASES: [string, string][] = [
  ["simple GET", `GET /a?b=c HTTP/1.1\r\n${H}\r\n`],
  ["pipelined three", `GET /1 HTTP/1.1\r\n${H}\r\nGET /2 HTTP/1.1\r\n${H}\r\nGET /3 HTTP/1.1\r\n${H}\r\n`],
  ["content-length body", `POST /p HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`],
  ["chunked body", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`],
  ["chunked with trailers", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nA: b\r\n\r\n`],
  ["chunk extensions", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;a=b;c="d"\r\nx\r\n0\r\n\r\n`],
  ["empty chunk extension", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;\r\nx\r\n0\r\n\r\n`],
  ["request line in trailers", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nGET /smuggled HTTP/1.1\r\n\r\n`],
  ["CL and TE", `POST /p HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ["two CL", `POST /p HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\nx`],
  ["no Host", "GET / HTTP/1.1\r\n\r\n"],
  ["two Host", `GET / HTTP/1.1\r\n${H}${H}\r\n`],
  ["HTTP/1.0 no Host", "GET / HTTP/1.0\r\n\r\n"],
  ["space before colon", `GET / HTTP/1.1\r\n${H}X : y\r\n\r\n`],
  ["obs-fold", `GET / HTTP/1.1\r\n${H}X: y\r\n z\r\n\r\n`],
  ["bare LF line ends", `GET / HTTP/1.1\n${H.replace("\r", "")}\n`],
  ["TE ,chunked", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n`],
  ["TE gzip", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`],
  ["negative CL", `POST /p HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`],
  ["CL with plus", `POST /p HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\nx`],
  ["leading empty lines", `\r\n\r\nGET / HTTP/1.1\r\n${H}\r\n`],
  ["absolute-form", `GET http://h/x HTTP/1.1\r\n${H}\r\n`],
  ["asterisk OPTIONS", `OPTIONS * HTTP/1.1\r\n${H}\r\n`],
  ["NUL in header", `GET / HTTP/1.1\r\n${H}X: a\0b\r\n\r\n`],
  ["header without value", `GET / HTTP/1.1\r\n${H}X:\r\n\r\n`],
  ["lowercase method", `get / HTTP/1.1\r\n${H}\r\n`],
  ["HTTP/2.0 version", `GET / HTTP/2.0\r\n${H}\r\n`],
  ["huge chunk size", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n`],
  // Issue 23: Host values, Transfer-Encoding lists.
  ["Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"],
  ["Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"],
  ["Host unclosed IPv6 literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"],
  ["Host with userinfo", "GET / HTTP/1.1\r\nHost: u@h\r\n\r\n"],
  ["Host port not digits", "GET / HTTP/1.1\r\nHost: h:8o\r\n\r\n"],
  ["Host IPv6 literal and port", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"],
  ["Host IPv4 and port", "GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n"],
  ["Host empty", "GET / HTTP/1.1\r\nHost:\r\n\r\n"],
  ["TE chunked, gzip", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n`],
  ["TE gzip, chunked", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`],
  ["TE identity", `POST /p HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n`],
];

/**
 * Disagreements that stay, by case, with the rule that makes ours right
 * (docs/http-parser.md). Value: which side delivers fewer requests.
 */
const KNOWN: Record<string, string> = {
  // RFC 9112 3.2 / 9110 9.1: method is a case-sensitive token; "get" is a
  // valid (unknown) method. llhttp rejects methods it does not know.
  "lowercase method": "node rejects an unknown method (RFC 9110 9.1: methods are open)",
  // RFC 9112 2.3: HTTP/2.0 on an HTTP/1.1 connection: we answer 400 (505
  // would be allowed); llhttp accepts the version number.
  "HTTP/2.0 version": "we reject a version we do not speak (RFC 9112 2.3, 9110 15.6.6)",
  // RFC 9112 3.2: "A server MUST respond with a 400 ... to any request
  // message that contains more than one Host header field line"; node:http
  // checks only that one is present.
  "two Host": "node accepts two Host lines (RFC 9112 3.2 requires 400)",
  // RFC 9112 3.2: "A server MUST respond with a 400 ... to any request
  // message that contains ... a Host header field with an invalid field
  // value"; llhttp does not look at the value.
  "Host with a space": "node accepts an invalid Host (RFC 9112 3.2 requires 400)",
  "Host with a slash": "node accepts an invalid Host (RFC 9112 3.2 requires 400)",
  "Host unclosed IPv6 literal": "node accepts an invalid Host (RFC 9112 3.2 requires 400)",
  "Host with userinfo": "node accepts an invalid Host (RFC 9112 3.2 requires 400)",
  "Host port not digits": "node accepts an invalid Host (RFC 9112 3.2 requires 400)",
  // RFC 9112 6.1: a coding the server does not implement (before a final
  // chunked) SHOULD get 501; llhttp frames by the chunked and leaves the
  // gzip coding to the application.
  "TE gzip, chunked": "node accepts a transfer coding it does not decode (RFC 9112 6.1: 501)",
};

/**
 * What each server answers (status, and whether it closes), by case. Both
 * must answer as listed; `node` (null: the same) is given only where
 * node:http answers otherwise, with the rule that makes ours right.
 */
const ANSWERS: [name: string, ours: number, node: [status: number, why: string] | null][] = [
  ["simple GET", 200, null],
  ["HTTP/1.0 no Host", 200, null],
  ["no Host", 400, null],
  ["two Host", 400, [200, "RFC 9112 3.2: two Host lines are a 400"]],
  ["Host with a space", 400, [200, "RFC 9112 3.2: an invalid Host is a 400"]],
  ["Host with a slash", 400, [200, "RFC 9112 3.2: an invalid Host is a 400"]],
  ["Host unclosed IPv6 literal", 400, [200, "RFC 9112 3.2: an invalid Host is a 400"]],
  ["Host with userinfo", 400, [200, "RFC 9112 3.2: an invalid Host is a 400 (no userinfo in Host)"]],
  ["Host port not digits", 400, [200, "RFC 9112 3.2: an invalid Host is a 400"]],
  ["Host IPv6 literal and port", 200, null],
  ["Host IPv4 and port", 200, null],
  ["Host empty", 200, null],
  ["TE gzip", 400, null],
  ["TE chunked, gzip", 400, null],
  ["TE identity", 400, null],
  ["TE gzip, chunked", 501, [200, "RFC 9112 6.1: an unknown transfer coding SHOULD be a 501"]],
  ["chunked body", 200, null],
];

/** Status code of the first response in `reply`, 0 if none. */
function statusOf(reply: string): number {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(reply);
  return m ? Number(m[1]) : 0;
}

/** The value of `name` in the first response head of `reply`, or undefined. */
function headerOf(reply: string, name: string): string | undefined {
  const head = reply.split("\r\n\r\n")[0];
  const m = new RegExp(`\r\n${name}:[ \t]*([^\r\n]*)`, "i").exec(head);
  return m ? m[1] : undefined;
}

const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

const INTERESTING = [" ", "\t", "\r", "\n", ":", ";", "0", "9", "a", "\0", ",", "\"", "-", "\r\n"];

/** `count` mutations of the hand-picked cases: insert, delete or replace one or two bytes. */
function mutations(count: number, seed: number): [string, string][] {
  const r = rng(seed);
  const out: [string, string][] = [];
  for (let n = 0; n < count; n++) {
    const [name, base] = CASES[Math.floor(r() * CASES.length)];
    let s = base;
    const edits = 1 + Math.floor(r() * 2);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * s.length);
      const what = INTERESTING[Math.floor(r() * INTERESTING.length)];
      const op = Math.floor(r() * 3);
      s = op === 0 ? s.slice(0, at) + what + s.slice(at) : op === 1 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + what + s.slice(at + 1);
    }
    out.push([`mutant ${n} of "${name}"`, s]);
  }
  return out;
}

/**
 * Whether a mutant's disagreement falls under a rule written down in
 * docs/http-parser.md: the side that delivered fewer requests refused
 * something the RFC lets a server refuse. Returns the rule, or undefined.
 */
function explained(stream: string, o: Seen[], n: Seen[]): string | undefined {
  if (o.length < n.length) {
    // We refused what llhttp accepted.
    if (/\r\n[ \t]/.test(stream.split("\r\n\r\n")[0])) return "obs-fold: RFC 9112 5.2 lets a server reject it";
    if (/(^|[^\r])\n/.test(stream)) return "bare LF: RFC 9112 2.2 lets a server reject it";
    if (/[\0]/.test(stream)) return "NUL: RFC 9110 5.5 field values never contain NUL";
    if (/^[^\r\n]* [^\r\n]* [^\r\n]*[ \t]+\r\n/m.test(stream) || /^\S+ {2,}|^\S+ \S+ {2,}/m.test(stream)) {
      return "request line whitespace: RFC 9112 3 (single SP)";
    }
    if (/^[a-z]/m.test(stream) || /^(?![A-Z]+ )/.test(stream.replace(/^(\r\n)+/, ""))) return "method token: RFC 9110 9.1";
    if (/HTTP\/1\.1/.test(stream) && !/\r\nHost:/i.test(stream)) return "Host: RFC 9112 3.2";
    if (hosts(stream).some((v) => !authority(v))) return "Host value: RFC 9112 3.2 (authority grammar)";
    if (/Transfer-Encoding/i.test(stream)) return "Transfer-Encoding / chunk syntax: RFC 9112 6.1, 7.1";
    if (/\r\n[^:\r\n]*[ \t]:/.test(stream)) return "space before colon: RFC 9112 5.1";
    return undefined;
  }
  // llhttp refused what we accepted.
  if (/^(\r\n)+/.test(stream)) return "leading CRLF: RFC 9112 2.2 says a server SHOULD ignore at least one";
  if (/^[A-Z]*[a-z]/m.test(stream) || /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ /.test(stream)) {
    return "method token: RFC 9110 9.1 (llhttp knows a fixed method list)";
  }
  if (/HTTP\/1\.0/.test(stream)) return "HTTP/1.0 framing: RFC 9112 6.3";
  return undefined;
}

/** The Host values of the first head in `stream`. */
function hosts(stream: string): string[] {
  const head = stream.replace(/^(\r\n)+/, "").split("\r\n\r\n")[0];
  return head.split("\r\n").slice(1).filter((l) => /^host:/i.test(l)).map((l) => l.slice(5).replace(/^[ \t]+|[ \t]+$/g, ""));
}

/** RFC 3986 3.2.2 authority without userinfo, loosely (IP-literal by its characters): classifies mutants only. */
function authority(v: string): boolean {
  return /^(\[[0-9A-Fa-f:.vV]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(:[0-9]*)?$/.test(v);
}

describe("differential: our parser vs node:http (llhttp)", () => {
  test.each(CASES)("%s", async (name, stream) => {
    const r = await both(Buffer.from(stream, "latin1"));
    if (KNOWN[name] !== undefined) {
      expect(r.ours).not.toEqual(r.node); // still a difference, else drop it from KNOWN
      return;
    }
    expect(r.ours).toEqual(r.node);
  });

  test.each(ANSWERS)("answer to %s: %d, closing after an error, with a Date", async (name, status, nodeDiffers) => {
    const stream = CASES.find(([n]) => n === name)![1];
    const r = await both(Buffer.from(stream, "latin1"));
    expect(statusOf(r.oursReply)).toBe(status);
    expect(statusOf(r.nodeReply)).toBe(nodeDiffers ? nodeDiffers[0] : status);
    if (status >= 400) {
      expect(headerOf(r.oursReply, "Connection")).toBe("close");
      if (nodeDiffers === null) expect(headerOf(r.nodeReply, "Connection")).toBe("close");
    }
    // RFC 9110 6.6.1: Date on every 2xx-4xx (node's own 400s have none).
    const date = headerOf(r.oursReply, "Date");
    expect(date).toMatch(IMF_FIXDATE);
    expect(Math.abs(Date.parse(date!) - Date.now())).toBeLessThan(5000);
    const nodeDate = headerOf(r.nodeReply, "Date");
    if (nodeDate !== undefined) expect(Math.abs(Date.parse(nodeDate) - Date.parse(date!))).toBeLessThanOrEqual(2000);
  });

  test("seeded mutations agree, or differ only where docs/http-parser.md says why", async () => {
    const unexplained: string[] = [];
    const rules = new Map<string, number>();
    for (const [name, stream] of mutations(120, 0x9112)) {
      const r = await both(Buffer.from(stream, "latin1"));
      if (JSON.stringify(r.ours) === JSON.stringify(r.node)) continue;
      const rule = r.ours.length === r.node.length ? undefined : explained(stream, r.ours, r.node);
      if (rule === undefined) unexplained.push(`${name}: ${JSON.stringify(stream)}\n  ours ${JSON.stringify(r.ours)}\n  node ${JSON.stringify(r.node)}`);
      else rules.set(rule, (rules.get(rule) ?? 0) + 1);
    }
    if (process.env.DIFF_REPORT) console.log(Object.fromEntries(rules));
    expect(unexplained).toEqual([]);
  }, 120_000);
});
