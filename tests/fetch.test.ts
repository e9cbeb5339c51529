// fetch.test.ts: fetchHandler()/serve(), web-standard fetch handlers on the
// core, checked with real clients (undici's fetch, raw sockets): the Request
// the app sees (method, absolute URL, headers, body, signal), the Response
// written back (status, headers, Set-Cookie, string/bytes/null/stream
// bodies, HEAD), streaming backpressure, 500s, limits, timeouts and
// graceful shutdown.
import * as net from "node:net";
import { createHash } from "node:crypto";
import { fetchHandler, Manager, memoryNetwork, serve, MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_HTTP_MSG, type FetchServer, type HttpMessage } from "tsmongoose";
import { RawClient, parseResponses } from "./helpers/raw-client";
import { backgroundPoll, ready, sleep, waitFor } from "./helpers/server";
import { curl, parseCurlI } from "./helpers/curl";

beforeAll(ready);

const servers: FetchServer[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) if (!s.manager.closed) s.manager.close();
});

type App = (req: Request, env: { conn: unknown }, ctx: { waitUntil(p: Promise<unknown>): void; passThroughOnException(): void; props: Record<string, unknown> }) => Response | Promise<Response>;

/** serve() on 127.0.0.1:0, no signal handlers (jest owns the process). */
function start(fetch: App, opts: Record<string, unknown> = {}): FetchServer {
  const s = serve({ fetch, port: 0, hostname: "127.0.0.1", signals: [], ...opts });
  servers.push(s);
  return s;
}

/** Send raw bytes, read `n` responses. */
async function raw(port: number, request: string | Buffer, n = 1, noBody: boolean[] = []): Promise<ReturnType<typeof parseResponses>["responses"]> {
  const c = await RawClient.connect(port);
  try {
    await c.write(request);
    return await c.finalResponses(n, { noBody });
  } finally {
    c.destroy();
  }
}

const sha = (b: Uint8Array | string): string => createHash("sha256").update(b).digest("hex");

describe("the Request the app receives", () => {
  test("method, absolute URL from Host (normalised like new Request(url).url), headers, query", async () => {
    let seen: Record<string, unknown> = {};
    const s = start((req) => {
      seen = {
        method: req.method, url: req.url, isRequest: req instanceof Request,
        host: req.headers.get("host"), multi: req.headers.get("X-Multi"), missing: req.headers.get("x-none"),
        has: req.headers.has("x-multi"), entries: [...(req.headers as unknown as Iterable<[string, string]>)].filter(([k]) => k.startsWith("x-")),
        search: new URL(req.url).searchParams.get("y"),
      };
      return new Response("ok");
    });
    const [r] = await raw(s.port, "GET /a/./b/../c?x=1&y=%20z HTTP/1.1\r\nHost: Example.COM:8080\r\n" +
      "X-Multi: a\r\nX-Multi:  b \r\nX-One: 1\r\n\r\n");
    expect(r.status).toBe(200);
    expect(seen).toEqual({
      method: "GET", url: new Request("http://Example.COM:8080/a/./b/../c?x=1&y=%20z").url, isRequest: true,
      host: "Example.COM:8080", multi: "a, b", missing: null, has: true,
      entries: [["x-multi", "a, b"], ["x-one", "1"]], search: " z",
    });
    expect(seen.url).toBe("http://example.com:8080/a/c?x=1&y=%20z");
  });

  test("methods are spelled as a real Request spells them; header values keep obs-text bytes, lose only SP/HTAB", async () => {
    const seen: string[] = [];
    const s = start((req) => { seen.push(`${req.method} ${JSON.stringify(req.headers.get("x-v"))} ${JSON.stringify([...(req.headers as unknown as Iterable<[string, string]>)].find(([k]) => k === "x-v")?.[1])}`); return new Response("ok"); });
    await raw(s.port, Buffer.from("delete /m HTTP/1.1\r\nHost: x\r\nX-V: \t caf\xe9\xa0 \r\n\r\n", "latin1"));
    await raw(s.port, "PaTcH /m HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    expect(seen).toEqual([`DELETE "caf\u00e9\u00a0" "caf\u00e9\u00a0"`, "PaTcH null undefined"]);
  });

  test("a plain target is used verbatim; default port dropped; no Host: the listener's address; bad Host: 400", async () => {
    const urls: string[] = [];
    const s = start((req) => { urls.push(req.url); return new Response(null, { status: 204 }); });
    await raw(s.port, "GET /p/q?r=s HTTP/1.1\r\nHost: h.test:80\r\n\r\n");
    await raw(s.port, "GET /x HTTP/1.0\r\n\r\n");
    const [bad] = await raw(s.port, "GET /x HTTP/1.1\r\nHost: a/b@c\r\n\r\n");
    expect(urls).toEqual(["http://h.test/p/q?r=s", `http://127.0.0.1:${s.port}/x`]);
    expect(bad.status).toBe(400);
  });

  test("bodies: json, text, bytes (binary intact), the body stream, a chunked request body, used once", async () => {
    const s = start(async (req) => {
      const u = new URL(req.url);
      if (u.pathname === "/json") return Response.json({ got: await req.json() });
      if (u.pathname === "/bytes") return new Response(sha(new Uint8Array(await req.arrayBuffer())));
      if (u.pathname === "/stream") {
        let n = 0;
        for await (const c of req.body as unknown as AsyncIterable<Uint8Array>) n += c.length;
        return new Response(String(n));
      }
      const text = await req.text();
      const again = await req.text().then(() => "read twice", (e: Error) => e.constructor.name);
      return new Response(`${text}|${again}|${req.bodyUsed}`);
    });
    const bin = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) & 255));
    expect(await (await fetch(`${s.url}/json`, { method: "POST", body: JSON.stringify({ a: [1, "é"] }) })).json()).toEqual({ got: { a: [1, "é"] } });
    expect(await (await fetch(`${s.url}/bytes`, { method: "PUT", body: bin })).text()).toBe(sha(bin));
    expect(await (await fetch(`${s.url}/stream`, { method: "POST", body: bin })).text()).toBe("70000");
    expect(await (await fetch(`${s.url}/text`, { method: "POST", body: "héllo" })).text()).toBe("héllo|TypeError|true");
    const [chunked] = await raw(s.port, "POST /text HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    expect(chunked.body.toString()).toBe("abcde|TypeError|true");
  });

  test("anything else materialises a real Request: clone(), formData(), new Request(req), cache", async () => {
    const s = start(async (req) => {
      const clone = req.clone();
      const copy = new Request(clone); // takes the clone's body, as with a real Request
      const form = await req.formData();
      return Response.json({ a: form.get("a"), copy: await copy.text(), url: copy.url, cache: req.cache, method: copy.method, cloneUsed: clone.bodyUsed });
    });
    const res = await fetch(`${s.url}/f`, { method: "POST", body: new URLSearchParams({ a: "1 2" }) });
    expect(await res.json()).toEqual({ a: "1 2", copy: "a=1+2", url: `${s.url}/f`, cache: "default", method: "POST", cloneUsed: true });
  });

  test("env.conn is the connection the request came on", async () => {
    let remote = -1;
    const s = start((_req, env) => {
      remote = (env.conn as { remoteAddr: { port: number } }).remoteAddr.port;
      return new Response("x");
    });
    const c = await RawClient.connect(s.port);
    await c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.finalResponses(1);
    expect(remote).toBe(c.localPort);
    c.destroy();
  });
});

describe("the Response written back", () => {
  test("status and headers; multiple Set-Cookie stay separate lines; string, bytes and null bodies", async () => {
    const s = start((req) => {
      const p = new URL(req.url).pathname;
      if (p === "/cookies") {
        const h = new Headers({ "X-A": "1" });
        h.append("Set-Cookie", "a=1; Path=/");
        h.append("Set-Cookie", "b=2, c=3; HttpOnly");
        return new Response("c", { status: 201, headers: h });
      }
      if (p === "/bytes") return new Response(new Uint8Array([0, 1, 2, 255]), { headers: { "content-type": "application/octet-stream" } });
      if (p === "/none") return new Response(null, { status: 204 });
      if (p === "/redirect") return Response.redirect("http://example.com/", 302);
      if (p === "/blob") return new Response(new Blob(["blob!"], { type: "text/x-blob" }));
      return new Response("plain");
    });
    const [cookies] = await raw(s.port, "GET /cookies HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(cookies.status).toBe(201);
    expect(cookies.headerList.filter(([k]) => k.toLowerCase() === "set-cookie").map(([, v]) => v)).toEqual(["a=1; Path=/", "b=2, c=3; HttpOnly"]);
    expect(cookies.headers["x-a"]).toBe("1");
    expect(cookies.headers["content-type"]).toBe("text/plain;charset=UTF-8");
    expect(cookies.body.toString()).toBe("c");
    const [bytes] = await raw(s.port, "GET /bytes HTTP/1.1\r\nHost: x\r\n\r\n");
    expect([...bytes.body]).toEqual([0, 1, 2, 255]);
    expect(bytes.headers["content-length"]).toBe("4");
    const [none] = await raw(s.port, "GET /none HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(none.status).toBe(204);
    expect(none.headers["content-length"]).toBeUndefined();
    const [redirect] = await raw(s.port, "GET /redirect HTTP/1.1\r\nHost: x\r\n\r\n");
    expect([redirect.status, redirect.headers.location, redirect.body.length]).toEqual([302, "http://example.com/", 0]);
    const [blob] = await raw(s.port, "GET /blob HTTP/1.1\r\nHost: x\r\n\r\n");
    expect([blob.headers["content-type"], blob.body.toString(), blob.headers["content-length"]]).toEqual(["text/x-blob", "blob!", "5"]);
    const plain = await fetch(`${s.url}/`);
    expect([plain.status, plain.headers.get("content-type"), await plain.text()]).toEqual([200, "text/plain;charset=UTF-8", "plain"]);
  });

  test("real Responses (overrideGlobalObjects: false) answer the same", async () => {
    const NativeResponse = Object.getPrototypeOf(Response) === Function.prototype ? Response : Object.getPrototypeOf(Response) as typeof Response;
    const s = start((req) => {
      const p = new URL(req.url).pathname;
      if (p === "/stream") {
        let i = 0;
        return new NativeResponse(new ReadableStream({
          async pull(c) { await sleep(5); if (i < 3) c.enqueue(new TextEncoder().encode(`s${i++}`)); else c.close(); },
        }));
      }
      const h = new Headers();
      h.append("set-cookie", "x=1");
      h.append("set-cookie", "y=2");
      return new NativeResponse("native", { status: 202, headers: h });
    }, { overrideGlobalObjects: false });
    const [r] = await raw(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect([r.status, r.body.toString(), r.headers["content-length"], r.headerList.filter(([k]) => k === "set-cookie").length]).toEqual([202, "native", "6", 2]);
    const [st] = await raw(s.port, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    expect([st.chunked, st.body.toString()]).toEqual([true, "s0s1s2"]);
  });

  test("a ReadableStream body goes out chunked as it is produced, not buffered", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const s = start(() => new Response(new ReadableStream({
      async start(c) {
        c.enqueue(new TextEncoder().encode("first\n"));
        await gate;
        c.enqueue(new TextEncoder().encode("second\n"));
        c.close();
      },
    }), { headers: { "content-type": "text/plain" } }));
    const c = await RawClient.connect(s.port);
    await c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.waitUntil(() => c.data.includes("first\n"), 5000, "the first chunk");
    expect(c.data.toString()).toContain("Transfer-Encoding: chunked");
    expect(c.data.toString()).not.toContain("second");
    release();
    const [r] = await c.finalResponses(1);
    expect(r.body.toString()).toBe("first\nsecond\n");
    c.destroy();
  });

  test("curl agrees: a streamed body (HTTP/1.1 chunked, HTTP/1.0 until close), an upload, HEAD", async () => {
    const s = start(async (req) => {
      if (req.method === "POST") return new Response(`got ${(await req.bytes()).length} bytes`);
      let i = 0;
      return new Response(new ReadableStream({
        async pull(c) { await sleep(3); if (i < 50) c.enqueue(new TextEncoder().encode(`${i++},`)); else c.close(); },
      }), { headers: { "content-type": "text/csv" } });
    });
    const expected = Array.from({ length: 50 }, (_, i) => `${i},`).join("");
    for (const proto of ["--http1.1", "--http1.0"]) {
      const r = await curl(["-sS", "-i", proto, `${s.url}/stream`]);
      expect(r.code).toBe(0);
      const { final, body } = parseCurlI(r.stdout);
      expect([final.status, final.headers["content-type"], body.toString()]).toEqual([200, "text/csv", expected]);
      expect(final.headers["transfer-encoding"]).toBe(proto === "--http1.1" ? "chunked" : undefined);
    }
    const up = await curl(["-sS", `${s.url}/up`, "-H", "content-type: application/octet-stream", "--data-binary", "x".repeat(100_000)]);
    expect(up.stdout.toString()).toBe("got 100000 bytes");
    const head = await curl(["-sS", "-I", `${s.url}/stream`]);
    expect([head.code, parseCurlI(head.stdout).final.status]).toEqual([0, 200]);
  });

  test("HEAD: headers and Content-Length without a body; a stream body is not even read", async () => {
    let pulled = 0;
    const s = start((req) => {
      if (new URL(req.url).pathname === "/stream") {
        return new Response(new ReadableStream({ pull(c) { pulled++; c.enqueue(new Uint8Array(10)); } }));
      }
      return new Response("twelve bytes", { headers: { "x-k": "v" } });
    });
    const c = await RawClient.connect(s.port);
    await c.write("HEAD / HTTP/1.1\r\nHost: x\r\n\r\nHEAD /stream HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const [a, b, g] = await c.finalResponses(3, { noBody: [true, true, false] });
    expect([a.status, a.headers["content-length"], a.headers["x-k"], a.body.length]).toEqual([200, "12", "v", 0]);
    expect([b.status, b.body.length]).toEqual([200, 0]);
    expect(g.body.toString()).toBe("twelve bytes"); // nothing stray between the answers
    expect(pulled).toBeLessThanOrEqual(1); // the stream's start pull at most
    c.destroy();
  });

  test("backpressure: a client that does not read holds the stream back; everything arrives once it reads", async () => {
    const CHUNK = 64 * 1024, TOTAL = 48 * 1024 * 1024;
    let produced = 0;
    const s = start(() => new Response(new ReadableStream({
      pull(c) {
        if (produced >= TOTAL) { c.close(); return; }
        c.enqueue(new Uint8Array(CHUNK).fill(produced / CHUNK & 255));
        produced += CHUNK;
      },
    }, { highWaterMark: 0 })));
    const sock = net.connect(s.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    sock.pause();
    sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    // Let the pipe fill up: production stops well short of the total.
    let last = -1;
    const t0 = Date.now();
    while (produced !== last && Date.now() - t0 < 10_000) {
      last = produced;
      await sleep(300);
    }
    expect(produced).toBeLessThan(TOTAL / 3);
    const stalledAt = produced;
    // Now read it all: the chunked body decodes to exactly TOTAL bytes.
    let buf = Buffer.alloc(0);
    let bodyBytes = 0, headDone = false, ended = false;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stream incomplete: ${bodyBytes} bytes`)), 20_000);
      sock.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (!headDone) {
            const e = buf.indexOf("\r\n\r\n");
            if (e < 0) return;
            buf = buf.subarray(e + 4);
            headDone = true;
          }
          const eol = buf.indexOf("\r\n");
          if (eol < 0) return;
          const size = parseInt(buf.subarray(0, eol).toString(), 16);
          if (buf.length < eol + 2 + size + 2) return;
          buf = buf.subarray(eol + 2 + size + 2);
          bodyBytes += size;
          if (size === 0) { ended = true; clearTimeout(timer); resolve(); return; }
        }
      });
      sock.resume();
    });
    await done;
    sock.destroy();
    expect(ended).toBe(true);
    expect(bodyBytes).toBe(TOTAL);
    expect(stalledAt).toBeGreaterThan(0);
  }, 40_000);
});

describe("the lightweight globals", () => {
  test("Response and Request behave as the platform's: bodies, headers, statics, errors, instanceof", async () => {
    fetchHandler(() => new Response()); // installs the globals
    // (Errors from the platform's classes come from Node's realm, not jest's: matched by name.)
    const Native = Object.getPrototypeOf(Response) as typeof Response;
    const r = new Response("héllo", { status: 201, headers: { "X-A": "1" } });
    expect([r.status, r.ok, r.statusText, r.type, r.bodyUsed, r.headers.get("content-type"), r.headers.get("x-a")])
      .toEqual([201, true, "", "default", false, "text/plain;charset=UTF-8", "1"]);
    expect(await r.clone().text()).toBe("héllo");
    expect(await r.text()).toBe("héllo");
    expect(r.bodyUsed).toBe(true);
    await expect(r.text()).rejects.toMatchObject({ name: "TypeError" });
    expect(new Response(null, { status: 204 }).body).toBeNull();
    expect(() => new Response("x", { status: 204 })).toThrow(expect.objectContaining({ name: "TypeError" }));
    expect(() => new Response("x", { status: 99 })).toThrow(expect.objectContaining({ name: "RangeError" }));
    expect(await new Response(new Blob(["ab"], { type: "text/x" })).text()).toBe("ab");
    expect(await new Response(new Uint8Array([104, 105])).text()).toBe("hi");
    const j = Response.json({ a: 1 }, { status: 202 });
    expect([j instanceof Response, j.status, await j.json()]).toEqual([true, 202, { a: 1 }]);
    expect(new Native("n") instanceof Response).toBe(true);
    expect(r instanceof Native).toBe(true);
    expect(Object.prototype.toString.call(r)).toBe("[object Response]");
    const q = new Request("http://x.test/a", { method: "POST", body: "b" });
    expect([q instanceof Request, q.url, await q.text()]).toEqual([true, "http://x.test/a", "b"]);
  });
});

describe("the client going away", () => {
  test("request.signal aborts when the client disconnects mid-request (reset or FIN)", async () => {
    for (const how of ["destroy", "end"] as const) {
      let aborted: unknown = "not aborted";
      let entered = false;
      const s = start((req) => new Promise<Response>((resolve) => {
        entered = true;
        req.signal.addEventListener("abort", () => { aborted = req.signal.reason; resolve(new Response("late")); });
      }));
      const c = await RawClient.connect(s.port);
      await c.write("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
      await waitFor(() => entered, 5000, "the request");
      if (how === "destroy") c.destroy();
      else c.socket.end();
      await waitFor(() => aborted !== "not aborted", 5000, `abort after ${how}`);
      expect((aborted as Error).name).toBe("AbortError");
      c.destroy();
    }
  });

  test("a streamed body is cancelled when the client goes away", async () => {
    let cancelled: unknown;
    const s = start(() => new Response(new ReadableStream({
      async pull(c) { await sleep(2); c.enqueue(new Uint8Array(1000)); },
      cancel(reason) { cancelled = reason ?? "cancelled"; },
    })));
    const c = await RawClient.connect(s.port);
    await c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.waitUntil(() => c.received > 5000, 5000, "some of the stream");
    c.destroy();
    await waitFor(() => cancelled !== undefined, 5000, "cancel()");
    await waitFor(() => s.manager.connections.filter((x) => x.isAccepted).length === 0, 5000, "the connection to close");
  });
});

describe("errors", () => {
  test("a fetch that throws, rejects or returns no Response gets 500; the error reaches errorHandler", async () => {
    const errors: unknown[] = [];
    const s = start((req) => {
      const p = new URL(req.url).pathname;
      if (p === "/throw") throw new Error("sync boom");
      if (p === "/reject") return Promise.reject(new Error("async boom"));
      return "not a response" as unknown as Response;
    }, { errorHandler: (e: unknown) => errors.push(e) });
    const c = await RawClient.connect(s.port);
    await c.write("GET /throw HTTP/1.1\r\nHost: x\r\n\r\nGET /reject HTTP/1.1\r\nHost: x\r\n\r\nGET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    const rs = await c.finalResponses(3);
    expect(rs.map((r) => [r.status, r.body.toString()])).toEqual(Array(3).fill([500, "500 Internal Server Error\n"]));
    expect(errors.map((e) => (e as Error).message)).toEqual(["sync boom", "async boom", "fetch returned \"not a response\", not a Response"]);
    c.destroy();
  });

  test("Response.error() and an onError whose own Response is bad end in a plain 500, not a loop", async () => {
    const errors: unknown[] = [];
    const s = start((req) => {
      if (new URL(req.url).pathname === "/error") return Response.error();
      return new Response("x", { headers: { "bad name": "v" } });
    }, { onError: () => new Response("y", { headers: { "also bad": "v" } }), errorHandler: (e: unknown) => errors.push(e) });
    const c = await RawClient.connect(s.port);
    await c.write("GET /error HTTP/1.1\r\nHost: x\r\n\r\nGET /bad HTTP/1.1\r\nHost: x\r\n\r\n");
    const rs = await c.finalResponses(2);
    expect(rs.map((r) => r.status)).toEqual([500, 500]);
    expect(errors.map((e) => (e as Error).name)).toEqual(["TypeError", "TypeError"]);
    c.destroy();
  });

  test("onError answers instead; a stream that fails midway cuts the connection (truncated body)", async () => {
    const errors: unknown[] = [];
    const s = start((req) => {
      if (new URL(req.url).pathname === "/midway") {
        let n = 0;
        return new Response(new ReadableStream({
          async pull(c) { await sleep(5); if (n++ < 2) c.enqueue(new TextEncoder().encode("part")); else c.error(new Error("stream broke")); },
        }));
      }
      throw new Error("teapot time");
    }, { onError: (e: unknown) => new Response(`handled: ${(e as Error).message}`, { status: 418 }), errorHandler: (e: unknown) => errors.push(e) });
    const [r] = await raw(s.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect([r.status, r.body.toString()]).toEqual([418, "handled: teapot time"]);
    expect(errors).toEqual([]);
    await expect(fetch(`${s.url}/midway`).then((res) => res.text())).rejects.toThrow();
    await waitFor(() => errors.length === 1, 5000, "the stream error");
    expect((errors[0] as Error).message).toBe("stream broke");
  });
});

describe("limits, timeouts, graceful shutdown", () => {
  test("maxBodySize: 413 before fetch runs; requestTimeoutMs: 408 for a slow fetch, whose signal then aborts", async () => {
    let calls = 0;
    let aborted = false;
    const s = start((req) => {
      calls++;
      return new Promise<Response>((resolve) => {
        req.signal.addEventListener("abort", () => { aborted = true; resolve(new Response("late")); });
      });
    }, { limits: { maxBodySize: 1000, requestTimeoutMs: 300 } });
    const [big] = await raw(s.port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n${"x".repeat(2000)}`);
    expect(big.status).toBe(413);
    expect(calls).toBe(0);
    const t0 = Date.now();
    const [slow] = await raw(s.port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(slow.status).toBe(408);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await waitFor(() => aborted, 5000, "the abort after 408");
  });

  test("shutdown waits for in-flight fetches and streams, answers them with Connection: close, reports them completed", async () => {
    const s = start(async (req) => {
      const p = new URL(req.url).pathname;
      await sleep(300);
      if (p === "/stream") {
        let i = 0;
        return new Response(new ReadableStream({ async pull(c) { await sleep(50); if (i++ < 4) c.enqueue(new TextEncoder().encode("x")); else c.close(); } }));
      }
      return new Response("done");
    });
    const a = await RawClient.connect(s.port);
    const b = await RawClient.connect(s.port);
    await a.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    await b.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    await waitFor(() => s.manager.connections.filter((c) => c.isAccepted && c._busy).length === 2, 5000, "two requests in flight");
    const report = await s.shutdown({ timeoutMs: 5000 });
    const [ra] = await a.finalResponses(1);
    const [rb] = await b.finalResponses(1);
    expect([ra.status, ra.body.toString(), ra.headers.connection]).toEqual([200, "done", "close"]);
    expect([rb.status, rb.body.toString(), rb.headers.connection]).toEqual([200, "xxxx", "close"]);
    expect(report.completed).toBe(2);
    expect(report.forced).toEqual([]);
    expect(report.durationMs).toBeGreaterThanOrEqual(250);
    expect(s.manager.closed).toBe(true);
    expect(await s.finished).toBe(report);
    a.destroy();
    b.destroy();
  });

  test("ctx.waitUntil(): background work of a request keeps shutdown waiting until it settles", async () => {
    let background = "not run";
    const errors: unknown[] = [];
    const s = start((req, _env, ctx) => {
      ctx.waitUntil(sleep(300).then(() => { background = "done"; }));
      ctx.waitUntil(Promise.reject(new Error("background failed")));
      ctx.passThroughOnException();
      ctx.props.seen = true;
      return new Response(`answered before the background work: ${req.method}`);
    }, { errorHandler: (e: unknown) => errors.push(e) });
    const [r] = await raw(s.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(r.body.toString()).toBe("answered before the background work: GET");
    expect(background).toBe("not run");
    const report = await s.shutdown({ timeoutMs: 5000 });
    expect(background).toBe("done");
    expect(report.forced).toEqual([]);
    expect((errors[0] as Error).message).toBe("background failed");
  });

  test("a stream that never ends and a fetch that never settles are forced at the deadline, named in the report", async () => {
    let cancelled = false;
    let hungAborted = false;
    const s = start((req) => {
      if (new URL(req.url).pathname === "/hang") {
        req.signal.addEventListener("abort", () => { hungAborted = true; });
        return new Promise<Response>(() => undefined);
      }
      return new Response(new ReadableStream({
        async pull(c) { await sleep(20); c.enqueue(new TextEncoder().encode("tick\n")); },
        cancel() { cancelled = true; },
      }));
    });
    const c = await RawClient.connect(s.port);
    const h = await RawClient.connect(s.port);
    await c.write("GET /forever?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    await h.write("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.waitUntil(() => c.data.includes("tick"), 5000, "the stream");
    await waitFor(() => s.manager._pendingHandlers === 2, 5000, "both in flight");
    const report = await s.shutdown({ timeoutMs: 400 });
    expect(report.forced.map((f) => f.uri).sort()).toEqual(["/forever?x=1", "/hang"]);
    for (const f of report.forced) expect(f.busyMs).toBeGreaterThanOrEqual(300);
    expect(report.completed).toBe(0);
    await waitFor(() => cancelled && hungAborted, 5000, "cancel() and the abort");
    c.destroy();
    h.destroy();
  }, 40_000);
});

describe("other ways to run it", () => {
  test("fetchHandler as a Manager handler in the seed's poll loop; a raw HTTP client on the same manager is not served", async () => {
    const mgr = new Manager(fetchHandler((req) => new Response(`hi ${new URL(req.url).pathname}`)));
    const loop = backgroundPoll(mgr, 10);
    try {
      const l = mgr.listen("http://127.0.0.1:0");
      expect(await (await fetch(`http://127.0.0.1:${l.localAddr.port}/poll`)).text()).toBe("hi /poll");
      // An outbound HTTP connection with the same handler gets MG_EV_HTTP_MSG for its response: ignored.
      let answer = "";
      mgr.connect(`http://127.0.0.1:${l.localAddr.port}`, {
        handler: (c, ev, data) => {
          if (ev === MG_EV_CONNECT) c.send("GET /client HTTP/1.1\r\nHost: x\r\n\r\n");
          if (ev === MG_EV_HTTP_MSG) { answer = (data as HttpMessage).bodyText; c.close(); }
        },
      });
      await waitFor(() => answer !== "", 5000, "the client's answer");
      expect(answer).toBe("hi /client");
    } finally {
      await loop.stop();
      mgr.close();
    }
  });

  test("over the memory network (what the browser uses)", async () => {
    const net0 = memoryNetwork();
    const server = serve({ fetch: (req) => Response.json({ url: req.url, m: req.method }), url: "http://app:80", network: net0, signals: [] });
    servers.push(server);
    const client = new Manager(undefined, { network: net0 });
    const loop = backgroundPoll(client, 5);
    try {
      let got = "";
      let closed = false;
      client.connect("http://app:80", {
        handler: (c, ev, data) => {
          if (ev === MG_EV_CONNECT) c.send("DELETE /mem?q=1 HTTP/1.1\r\nHost: app\r\n\r\n");
          if (ev === MG_EV_HTTP_MSG) { got = (data as HttpMessage).bodyText; c.close(); }
          if (ev === MG_EV_CLOSE) closed = true;
        },
      });
      await waitFor(() => closed, 5000, "the memory exchange");
      expect(JSON.parse(got)).toEqual({ url: "http://app/mem?q=1", m: "DELETE" });
    } finally {
      await loop.stop();
      client.close();
    }
  });

  test("bad arguments throw TypeError/RangeError naming the value", () => {
    expect(() => fetchHandler(42 as never)).toThrow(TypeError);
    expect(() => fetchHandler(() => new Response(), { highWaterMark: -1 })).toThrow(RangeError);
    expect(() => fetchHandler(() => new Response(), { onError: "x" as never })).toThrow(/onError/);
    expect(() => fetchHandler(() => new Response(), { hostname: "a b" })).toThrow(TypeError);
    expect(() => serve({} as never)).toThrow(/fetch must be a function/);
    expect(() => serve({ fetch: () => new Response(), port: 70000, signals: [] })).toThrow(RangeError);
    expect(() => serve({ fetch: () => new Response(), url: "ftp://x", signals: [] })).toThrow(TypeError);
  });
});
