// http-static.test.ts: serveDir/serveFile seen by curl, fetch and raw
// sockets: MIME types, index.html, listings, validators (304), ranges
// (206/416), HEAD, precompressed .gz, page404, big files as host-side bodies,
// and path safety (no byte from outside the root, whatever the path says).
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, utimesSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { MG_EV_HTTP_MSG, ConnectionClosedError, MessageExpiredError } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";
import { startServer, stopAllServers, type TestServer } from "./helpers/server";
import { curl, parseCurlI, ensureCurl } from "./helpers/curl";
import { RawClient, rawRequest, getReq } from "./helpers/raw-client";
import { asHttp, sha256, patternBytes } from "./helpers/http";

const SECRET = "TOPSECRET-outside-the-root";
let tmp: string;
let www: string;
const big = patternBytes(3 * 1024 * 1024 + 17, 7);
const js = "export const answer = 42;\n".repeat(40);
const MTIME = new Date("2024-05-06T07:08:09Z");

beforeAll(() => {
  ensureCurl();
  tmp = mkdtempSync(join(tmpdir(), "tsm-static-"));
  www = join(tmp, "www");
  mkdirSync(join(www, "sub"), { recursive: true });
  mkdirSync(join(www, "list", "inner"), { recursive: true });
  mkdirSync(join(tmp, "www2"));
  mkdirSync(join(tmp, "outdir"));
  writeFileSync(join(tmp, "secret.txt"), SECRET);
  writeFileSync(join(tmp, "outdir", "x.txt"), SECRET);
  writeFileSync(join(tmp, "www2", "x.txt"), SECRET);
  writeFileSync(join(www, "index.html"), "<h1>home</h1>");
  writeFileSync(join(www, "a.txt"), "hello world\n");
  utimesSync(join(www, "a.txt"), MTIME, MTIME);
  writeFileSync(join(www, "app.js"), js);
  writeFileSync(join(www, "app.js.gz"), gzipSync(js));
  writeFileSync(join(www, "data.xyz"), "xyz");
  writeFileSync(join(www, "sub", "index.html"), "<p>sub</p>");
  writeFileSync(join(www, "list", "b&<c>.txt"), "b");
  writeFileSync(join(www, "list", "plain.txt"), "p");
  writeFileSync(join(www, "404.html"), "<p>custom not found</p>");
  writeFileSync(join(www, "big.bin"), big);
  symlinkSync(join(tmp, "secret.txt"), join(www, "link-out"));
  symlinkSync(join(tmp, "outdir"), join(www, "dir-out"));
  symlinkSync(join(tmp, "www2", "x.txt"), join(www, "prefix-out"));
  symlinkSync(join(www, "a.txt"), join(www, "link-in.txt"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => stopAllServers());

/** Open file descriptors of this process (a served file must not stay open). */
function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}

async function staticServer(opts: Record<string, unknown> = {}, root = () => www): Promise<TestServer> {
  return startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = asHttp(data);
    if (hm.uri === "/one-file") c.serveFile(hm, join(www, "a.txt"), opts);
    else c.serveDir(hm, root(), opts);
  });
}

function statusOf(out: Buffer): number {
  return parseCurlI(out).final.status;
}

describe("serveDir semantics (curl, fetch)", () => {
  test("a file: MIME type, Content-Length, Etag, Last-Modified, Accept-Ranges; fetch agrees", async () => {
    const srv = await staticServer();
    const r = await curl(["-s", "-i", `${srv.base}/a.txt`]);
    const { final, body } = parseCurlI(r.stdout);
    expect(final.status).toBe(200);
    expect(final.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(final.headers["content-length"]).toBe("12");
    expect(final.headers["last-modified"]).toBe(MTIME.toUTCString());
    expect(final.headers["etag"]).toMatch(/^"[0-9a-f]+\.c"$/);
    expect(final.headers["accept-ranges"]).toBe("bytes");
    expect(body.toString()).toBe("hello world\n");
    const res = await fetch(`${srv.base}/app.js`, { headers: { "accept-encoding": "identity" } });
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await res.text()).toBe(js);
    expect((await fetch(`${srv.base}/data.xyz`)).headers.get("content-type")).toBe("application/octet-stream");
  });

  test("validators: If-None-Match and If-Modified-Since give 304 without a body", async () => {
    const srv = await staticServer();
    const first = parseCurlI((await curl(["-s", "-i", `${srv.base}/a.txt`])).stdout).final;
    const etag = first.headers["etag"];
    const r1 = parseCurlI((await curl(["-s", "-i", "-H", `If-None-Match: "nope", ${etag}`, `${srv.base}/a.txt`])).stdout);
    expect(r1.final.status).toBe(304);
    expect(r1.body.length).toBe(0);
    expect(r1.final.headers["etag"]).toBe(etag);
    const r2 = parseCurlI((await curl(["-s", "-i", "-H", `If-Modified-Since: ${MTIME.toUTCString()}`, `${srv.base}/a.txt`])).stdout);
    expect(r2.final.status).toBe(304);
    const earlier = new Date(MTIME.getTime() - 1000).toUTCString();
    const r3 = parseCurlI((await curl(["-s", "-i", "-H", `If-Modified-Since: ${earlier}`, `${srv.base}/a.txt`])).stdout);
    expect(r3.final.status).toBe(200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3).
    const r4 = parseCurlI((await curl(["-s", "-i", "-H", `If-None-Match: "other"`, "-H",
      `If-Modified-Since: ${MTIME.toUTCString()}`, `${srv.base}/a.txt`])).stdout);
    expect(r4.final.status).toBe(200);
    // fetch revalidation by hand.
    const res = await fetch(`${srv.base}/a.txt`, { headers: { "if-none-match": etag } });
    expect(res.status).toBe(304);
  });

  test("ranges: 206 with Content-Range, suffix ranges, 416 when unsatisfiable, several ranges -> 200", async () => {
    const srv = await staticServer();
    const r1 = parseCurlI((await curl(["-s", "-i", "-r", "6-10", `${srv.base}/a.txt`])).stdout);
    expect(r1.final.status).toBe(206);
    expect(r1.final.headers["content-range"]).toBe("bytes 6-10/12");
    expect(r1.body.toString()).toBe("world");
    const r2 = parseCurlI((await curl(["-s", "-i", "-r", "-3", `${srv.base}/a.txt`])).stdout);
    expect(r2.body.toString()).toBe("ld\n");
    const r3 = parseCurlI((await curl(["-s", "-i", "-r", "12-", `${srv.base}/a.txt`])).stdout);
    expect(r3.final.status).toBe(416);
    expect(r3.final.headers["content-range"]).toBe("bytes */12");
    const r4 = parseCurlI((await curl(["-s", "-i", "-r", "0-1,4-5", `${srv.base}/a.txt`])).stdout);
    expect(r4.final.status).toBe(200);
    expect(r4.body.toString()).toBe("hello world\n");
    // A range of the big file (a host-side body starting mid-file).
    const res = await fetch(`${srv.base}/big.bin`, { headers: { range: "bytes=1000000-2999999" } });
    expect(res.status).toBe(206);
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(big.subarray(1000000, 3000000)));
  });

  test("HEAD: headers of the GET, no body", async () => {
    const srv = await staticServer();
    const r = await curl(["-s", "-I", `${srv.base}/big.bin`]);
    const { final, body } = parseCurlI(r.stdout);
    expect(final.status).toBe(200);
    expect(final.headers["content-length"]).toBe(String(big.length));
    expect(body.length).toBe(0);
    // The connection stays usable after a HEAD of a big file.
    const c = await RawClient.connect(srv.port);
    try {
      await c.write(`HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n${getReq("/a.txt")}`);
      const rs = await c.finalResponses(2, { noBody: [true, false] });
      expect(rs[1].body.toString()).toBe("hello world\n");
    } finally {
      c.destroy();
    }
  });

  test("precompressed .gz: Content-Encoding gzip when accepted (curl --compressed, fetch), plain otherwise", async () => {
    const srv = await staticServer();
    const r = parseCurlI((await curl(["-s", "-i", "--compressed", `${srv.base}/app.js`])).stdout);
    expect(r.final.headers["content-encoding"]).toBe("gzip");
    expect(r.final.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(r.final.headers["vary"]).toBe("Accept-Encoding");
    expect(r.body.toString()).toBe(js);
    const res = await fetch(`${srv.base}/app.js`);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(await res.text()).toBe(js);
    const plain = parseCurlI((await curl(["-s", "-i", `${srv.base}/app.js`])).stdout);
    expect(plain.final.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.toString()).toBe(js);
  });

  test("directories: redirect to the slash, index.html, listing only when asked, page404", async () => {
    const srv = await staticServer();
    const r1 = parseCurlI((await curl(["-s", "-i", `${srv.base}/sub?x=1`])).stdout);
    expect(r1.final.status).toBe(301);
    expect(r1.final.headers["location"]).toBe("/sub/?x=1");
    const r2 = await curl(["-s", "-L", `${srv.base}/sub`]);
    expect(r2.stdout.toString()).toBe("<p>sub</p>");
    expect((await (await fetch(`${srv.base}/`)).text())).toBe("<h1>home</h1>");
    expect((await fetch(`${srv.base}/list/`)).status).toBe(403);
    expect((await fetch(`${srv.base}/missing`)).status).toBe(404);
    await srv.stop();

    const srv2 = await staticServer({ dirListing: true, page404: join(www, "404.html"), extraHeaders: { "X-Served-By": "tsmongoose" } });
    const res = await fetch(`${srv2.base}/list/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-served-by")).toBe("tsmongoose");
    const html = await res.text();
    expect(html).toContain(`<a href="b%26%3Cc%3E.txt">b&#38;&#60;c&#62;.txt</a>`);
    expect(html).toContain(`<a href="inner/">inner/</a>`);
    expect(html).toContain(`<a href="plain.txt">plain.txt</a>`);
    const nf = await fetch(`${srv2.base}/nothing/here`);
    expect(nf.status).toBe(404);
    expect(nf.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await nf.text()).toBe("<p>custom not found</p>");
  });

  test("mimeTypes overrides (object and Mongoose string form), serveFile, methods", async () => {
    const srv = await staticServer({ mimeTypes: { xyz: "application/x-xyz", txt: "text/x-mine" } });
    expect((await fetch(`${srv.base}/data.xyz`)).headers.get("content-type")).toBe("application/x-xyz");
    expect((await fetch(`${srv.base}/one-file`)).headers.get("content-type")).toBe("text/x-mine");
    expect(await (await fetch(`${srv.base}/one-file`)).text()).toBe("hello world\n");
    await srv.stop();
    const srv2 = await staticServer({ mimeTypes: "xyz=a/b,js=c/d" });
    expect((await fetch(`${srv2.base}/data.xyz`)).headers.get("content-type")).toBe("a/b");
    const post = await fetch(`${srv2.base}/a.txt`, { method: "POST", body: "x" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  test("a big file streams whole (host-side body), pipelined requests are answered in order, no fd leaks", async () => {
    const srv = await staticServer();
    const fds = openFds();
    const res = await fetch(`${srv.base}/big.bin`);
    expect(res.headers.get("content-length")).toBe(String(big.length));
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(sha256(big));
    const c = await RawClient.connect(srv.port);
    try {
      await c.write(getReq("/big.bin") + getReq("/a.txt") + getReq("/big.bin") + getReq("/sub/"));
      const rs = await c.finalResponses(4, { timeoutMs: 20_000 });
      expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(sha256(rs[0].body)).toBe(sha256(big));
      expect(rs[1].body.toString()).toBe("hello world\n");
      expect(sha256(rs[2].body)).toBe(sha256(big));
      expect(rs[3].body.toString()).toBe("<p>sub</p>");
    } finally {
      c.destroy();
    }
    // A client that resets mid-body: the handle is closed with the connection.
    const r = await RawClient.connect(srv.port);
    await r.write(getReq("/big.bin"));
    await new Promise((res2) => setTimeout(res2, 20));
    r.destroy();
    const deadline = Date.now() + 5000;
    while (openFds() > fds && Date.now() < deadline) await new Promise((res2) => setTimeout(res2, 20));
    expect(openFds()).toBeLessThanOrEqual(fds);
  });

  test("bad arguments throw typed errors; a closed connection throws ConnectionClosedError", async () => {
    let saved: HttpMessage | undefined;
    const errors: unknown[] = [];
    const srv = await startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const hm = asHttp(data);
      for (const f of [
        () => c.serveDir(hm, ""),
        () => c.serveDir(hm, "a\0b"),
        () => c.serveDir(hm, www, { mimeTypes: { "x,y": "a" } }),
        () => c.serveDir(hm, www, { extraHeaders: { "X-A": "a\r\nb" } }),
        () => c.serveDir(hm, www, { fs: {} as never }),
        () => c.serveDir({} as never, www),
        () => c.serveFile(hm, 42 as never),
      ]) {
        try { f(); } catch (e) { errors.push(e); }
      }
      saved = hm;
      c.serveDir(hm, www);
    });
    expect((await fetch(`${srv.base}/a.txt`)).status).toBe(200);
    expect(errors).toHaveLength(7);
    for (const e of errors) expect(e).toBeInstanceOf(TypeError);
    expect(() => srv.listener.serveDir(saved!, www)).toThrow(MessageExpiredError);
    const closed = srv.listener;
    await srv.stop();
    expect(() => closed.serveDir(saved!, www)).toThrow(ConnectionClosedError);
  });
});

describe("path safety: no byte from outside the root", () => {
  // Each path names something outside the root in some spelling.
  const attacks = [
    "/../secret.txt", "/../../../../../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt",
    "/.%2e/secret.txt", "/sub/../../secret.txt", "/sub/..%2f..%2fsecret.txt", "/..%2fsecret.txt",
    "/..%5csecret.txt", "/%5c..%5csecret.txt", "/a.txt%00.html", "/%00/../secret.txt",
    "//../secret.txt", "/link-out", "/dir-out/x.txt", "/prefix-out", "/./../secret.txt",
    "/sub/%2e%2e/%2e%2e/secret.txt", "/%252e%252e/secret.txt", "/..;/secret.txt",
  ];

  test("curl --path-as-is: every attack is 400/403/404 and never shows the secret", async () => {
    const srv = await staticServer({ dirListing: true });
    for (const p of attacks) {
      const r = await curl(["-s", "-i", "--path-as-is", `${srv.base}${p}`]);
      expect(r.code).toBe(0);
      const status = statusOf(r.stdout);
      expect({ p, refused: [400, 403, 404].includes(status), secret: r.stdout.includes(SECRET) }).toEqual({ p, refused: true, secret: false });
    }
    // A link that stays inside the root is served.
    expect((await curl(["-s", `${srv.base}/link-in.txt`])).stdout.toString()).toBe("hello world\n");
  });

  test("raw sockets: backslashes, absolute-form targets, NUL bytes, absolute file paths", async () => {
    const srv = await staticServer({ dirListing: true });
    const raw = [
      "GET /..\\secret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET \\..\\secret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /sub\\..\\..\\secret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
      `GET ${tmp}/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /${tmp}/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n`,
      "GET http://x/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET http://x/%2e%2e/secret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /a.txt\0/../../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /%2e%2e%2fsecret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /.. HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    for (const req of raw) {
      const c = await RawClient.connect(srv.port);
      try {
        await c.write(req);
        const rs = await c.finalResponses(1, { timeoutMs: 5000 });
        expect(rs).toHaveLength(1);
        expect({ req, refused: [400, 403, 404].includes(rs[0].status) }).toEqual({ req, refused: true });
        expect(c.data.includes(SECRET)).toBe(false);
      } finally {
        c.destroy();
      }
    }
    // Sanity: the same server does serve what is inside.
    const ok = await rawRequest(srv.port, getReq("/a.txt"));
    expect(ok[0].body.toString()).toBe("hello world\n");
  });
});
