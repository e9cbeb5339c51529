// suite.mjs: the in-page test suite. Loads dist/browser.mjs (the package's
// "browser" build) through the static server, runs every case against
// Managers on the memory network, renders a pass/fail table and publishes
// window.__results = { done, passed, failed, cases: [{ name, result, ms, detail }] }
// for tests/browser.test.ts. Every case is bounded in time and cleans up the
// Managers it started, pass or fail.

import { brokerCases } from "./suite-broker.mjs";
import { wsCases } from "./suite-ws.mjs";

const CASE_TIMEOUT_MS = 10_000;
const results = { done: false, passed: 0, failed: 0, cases: [] };
window.__results = results;

const rows = document.getElementById("rows");
const summary = document.getElementById("summary");

/** Adds (or updates) the table row of a case. */
function render(entry, row) {
  row.className = entry.result;
  row.innerHTML = "";
  for (const [cls, text] of [["n", String(results.cases.indexOf(entry) + 1)], ["name", entry.name],
    ["result", entry.result], ["ms", entry.ms === undefined ? "" : entry.ms.toFixed(1)], ["detail", entry.detail ?? ""]]) {
    const td = document.createElement("td");
    td.className = cls;
    td.textContent = text;
    row.appendChild(td);
  }
}

class AssertionError extends Error {}
function assert(cond, message) {
  if (!cond) throw new AssertionError(message);
}
function assertEq(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new AssertionError(`${what}: expected ${e}, got ${a}`);
}
function assertThrows(fn, type, what) {
  try {
    fn();
  } catch (err) {
    assert(err instanceof type, `${what}: threw ${err?.name}: ${err?.message}, expected ${type.name}`);
    return err;
  }
  throw new AssertionError(`${what}: did not throw`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(cond, ms, what) {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new AssertionError(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(2);
  }
}

let mg;                 // the module under test
let cleanups = [];      // per case

/** A Manager driven by the seed's loop: `while (!stop) await mgr.poll(10)`. */
function driven(network, handler, opts = {}) {
  const mgr = new mg.Manager(handler, { network, limits: { maxBodySize: 8 << 20 }, ...opts });
  let stop = false;
  let loop;
  const ctl = {
    mgr,
    polls: 0,
    start() {
      loop ??= (async () => {
        const end = performance.now() + CASE_TIMEOUT_MS;
        while (!stop && !mgr.closed && performance.now() < end) {
          ctl.polls++;
          await mgr.poll(10);
        }
      })();
    },
    async stop() {
      stop = true;
      await loop;
      mgr.close();
    },
  };
  cleanups.push(() => ctl.stop());
  if (!opts.manual) ctl.start();
  return ctl;
}

/** An HTTP client connection; request(raw) resolves with the next response on it (copied). */
function httpClient(mgr, url) {
  const waiting = [];
  const outbox = [];
  const events = [];
  let connected = false;
  let error;
  const conn = mgr.connect(url, {
    http: true,
    handler: (c, ev, data) => {
      events.push(ev);
      if (ev === mg.MG_EV_CONNECT) {
        connected = true;
        for (const raw of outbox.splice(0)) c.send(raw);
      } else if (ev === mg.MG_EV_HTTP_MSG) {
        const body = data.body;
        waiting.shift()?.resolve({ status: data.status(), headers: data.headers(), body, text: new TextDecoder().decode(body) });
      } else if (ev === mg.MG_EV_ERROR) {
        error = String(data);
      } else if (ev === mg.MG_EV_CLOSE) {
        for (const w of waiting.splice(0)) w.reject(new Error(`connection closed${error ? `: ${error}` : ""}`));
      }
    },
  });
  return {
    conn,
    events,
    get error() { return error; },
    request(raw) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (connected) conn.send(raw);
        else outbox.push(raw);
      });
    },
  };
}
const header = (res, name) => res.headers.find(([k]) => k.toLowerCase() === name)?.[1];

/** An echo-ish HTTP server on a fresh memory network: replies "<METHOD> <uri> <body length>". */
function echoServer(url = "http://app:80") {
  const net = mg.memoryNetwork();
  const seen = [];
  const server = driven(net, (c, ev, data) => {
    if (ev !== mg.MG_EV_HTTP_MSG) return;
    seen.push({ id: c.id, uri: data.uri });
    c.reply(200, `${data.method} ${data.uri} ${data.body.length}`, { "X-Conn": String(c.id) });
  });
  server.mgr.listen(url, { http: true });
  return { net, server, seen };
}

// ---- the cases -----------------------------------------------------------------

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

test("init() loads mongoose.wasm next to the bundle", async () => {
  const t0 = performance.now();
  await mg.init();
  await mg.init(); // idempotent
  const entry = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/mongoose.wasm"));
  assert(entry, "no request for mongoose.wasm was made");
  assert(new URL(entry.name).pathname === "/dist/mongoose.wasm", `wasm fetched from ${entry.name}`);
  return `${new URL(entry.name).pathname} (${entry.transferSize || entry.encodedBodySize || "?"} bytes), init ${(performance.now() - t0).toFixed(1)} ms`;
});

test("default network is the page's memory network", async () => {
  // No `network` option: two Managers still reach each other by name.
  const server = driven(undefined, (c, ev, data) => { if (ev === mg.MG_EV_HTTP_MSG) c.reply(200, "default"); });
  const listener = server.mgr.listen("mem://default-net", { http: true });
  assertEq(listener.localAddr, { address: "default-net", port: 0, family: "mem" }, "listener address");
  const client = driven(undefined);
  const res = await httpClient(client.mgr, "mem://default-net").request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  assertEq(res.text, "default", "body");
});

test("http request/response over mem://", async () => {
  const { net, seen } = echoServer("mem://app");
  const client = driven(net);
  const http = httpClient(client.mgr, "mem://app");
  const res = await http.request("GET /hello?x=1 HTTP/1.1\r\nHost: app\r\n\r\n");
  assertEq(res.status, 200, "status");
  assertEq(res.text, "GET /hello 0", "body");
  assertEq(header(res, "content-type"), "text/plain; charset=utf-8", "content-type");
  assertEq(seen.length, 1, "requests seen by the server");
  assertEq(http.conn.remoteAddr?.family, "mem", "remote family");
  return `${res.status} ${JSON.stringify(res.text)}`;
});

test("http://app:80 from another Manager", async () => {
  const { net } = echoServer("http://app:80");
  const client = driven(net);
  const res = await httpClient(client.mgr, "http://app:80").request("POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  assertEq(res.text, "POST /form 5", "body");
  const any = driven(net).mgr.listen("http://app:0");
  assert(any.localAddr.port > 0, `port 0 allocated ${any.localAddr.port}`);
  return `port 0 -> ${any.localAddr.port}`;
});

test("keep-alive: two requests, one connection", async () => {
  const { net, seen } = echoServer();
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  const r1 = await http.request("GET /one HTTP/1.1\r\nHost: app\r\n\r\n");
  const r2 = await http.request("GET /two HTTP/1.1\r\nHost: app\r\n\r\n");
  assertEq([r1.text, r2.text], ["GET /one 0", "GET /two 0"], "bodies");
  assertEq(seen[0].id, seen[1].id, "server connection id of both requests");
  assertEq(header(r1, "x-conn"), header(r2, "x-conn"), "X-Conn");
  assert(!http.conn.closed, "client connection still open");
  return `both on server connection ${seen[0].id}`;
});

test("chunked request body", async () => {
  const { net } = echoServer();
  let body = "";
  const server = driven(net, (c, ev, data) => {
    if (ev === mg.MG_EV_HTTP_MSG) { body = data.bodyText; c.reply(201, "ok"); }
  });
  server.mgr.listen("http://upload:80");
  const client = driven(net);
  const res = await httpClient(client.mgr, "http://upload:80").request(
    "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n");
  assertEq(res.status, 201, "status");
  assertEq(body, "hello world", "de-chunked body");
});

test("chunked response via httpChunk", async () => {
  const net = mg.memoryNetwork();
  const server = driven(net, (c, ev) => {
    if (ev !== mg.MG_EV_HTTP_MSG) return;
    for (const part of ["alpha ", "beta ", "gamma"]) c.httpChunk(part);
    c.httpChunk("");
  });
  server.mgr.listen("http://app:80");
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  const res = await http.request("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
  assertEq(header(res, "transfer-encoding"), "chunked", "transfer-encoding");
  assertEq(res.text, "alpha beta gamma", "body");
  const again = await http.request("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
  assertEq(again.text, "alpha beta gamma", "second response on the same connection");
});

test("drain: 1 MB response arrives complete", async () => {
  const net = mg.memoryNetwork();
  const size = 1_000_000;
  const big = new Uint8Array(size);
  for (let i = 0; i < size; i++) big[i] = 97 + (i % 26);
  let writes = 0;
  const server = driven(net, (c, ev) => {
    if (ev === mg.MG_EV_WRITE) writes++;
    if (ev === mg.MG_EV_HTTP_MSG) {
      c.reply(200, big, { "Content-Type": "application/octet-stream" });
      c.drain();
    }
  });
  server.mgr.listen("http://app:80");
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  const t0 = performance.now();
  const res = await http.request("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
  const ms = performance.now() - t0;
  assertEq(res.body.length, size, "body length");
  for (let i = 0; i < size; i += 4099) assert(res.body[i] === big[i], `byte ${i} differs`);
  await until(() => http.events.includes(mg.MG_EV_CLOSE), 5000, "close after drain");
  assert(writes >= 15, `only ${writes} MG_EV_WRITE events: no backpressure windows seen`);
  return `${size} bytes in ${ms.toFixed(0)} ms, ${writes} write windows, then closed`;
});

test("backpressure: a reader that is not driven holds the writer back", async () => {
  const net = mg.memoryNetwork();
  const size = 3 << 20;
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = i & 0xff;
  let sender;
  const server = driven(net, (c, ev) => {
    if (ev === mg.MG_EV_ACCEPT) { sender = c; c.send(payload); c.drain(); }
  });
  server.mgr.listen("tcp://app:7000");
  let total = 0, bad = -1, closed = false;
  const reader = driven(net, (c, ev) => {
    if (ev === mg.MG_EV_READ) {
      const d = c.recvData();
      for (let i = 0; i < d.length; i++) if (bad < 0 && d[i] !== ((total + i) & 0xff)) bad = total + i;
      total += d.length;
    }
    if (ev === mg.MG_EV_CLOSE) closed = true;
  }, { manual: true });
  reader.mgr.connect("tcp://app:7000");
  await reader.mgr.poll(0);
  await until(() => sender !== undefined, 2000, "accept");
  await sleep(100);
  const held = sender.closed ? 0 : sender.sendLen;
  assert(held > size / 3, `writer held back only ${held} bytes`);
  assertEq(total, 0, "bytes read while not driven");
  reader.start();
  await until(() => closed, 8000, "all bytes and EOF");
  assertEq(total, size, "bytes received");
  assertEq(bad, -1, "first corrupt offset");
  return `${held} bytes held back in the writer, then ${total} delivered in order`;
});

test("timers: one-shot fires once", async () => {
  const { mgr } = driven(mg.memoryNetwork());
  let fired = 0;
  const t0 = performance.now();
  let at = 0;
  const t = mgr.timerAdd(30, () => { fired++; at = performance.now() - t0; });
  assert(t.active, "active before firing");
  await sleep(150);
  assertEq(fired, 1, "fired");
  assert(!t.active, "inactive after firing");
  assert(at >= 25, `fired early, after ${at.toFixed(1)} ms`);
  return `fired after ${at.toFixed(1)} ms`;
});

test("timers: repeat until cancelled inside its callback", async () => {
  const { mgr } = driven(mg.memoryNetwork());
  let n = 0;
  const t = mgr.timerAdd(10, () => { if (++n === 3) t.cancel(); }, { repeat: true });
  await until(() => !t.active, 2000, "third run");
  await sleep(60);
  assertEq(n, 3, "runs");
  t.cancel(); // idempotent
});

test("timers: cancel before due never fires", async () => {
  const { mgr } = driven(mg.memoryNetwork());
  let fired = false;
  const t = mgr.timerAdd(20, () => { fired = true; });
  t.cancel();
  await sleep(80);
  assert(!fired, "cancelled timer fired");
  assert(!t.active, "still active");
});

test("poll loop: while (!stop) await mgr.poll(10)", async () => {
  const mgr = new mg.Manager(undefined, { network: mg.memoryNetwork() });
  cleanups.push(() => mgr.close());
  let stop = false, polls = 0, ticks = 0;
  const timer = mgr.timerAdd(5, () => { ticks++; if (ticks === 5) { stop = true; timer.cancel(); } }, { repeat: true });
  const t0 = performance.now();
  while (!stop && performance.now() - t0 < 3000) {
    polls++;
    await mgr.poll(10);
  }
  const ms = performance.now() - t0;
  assert(stop, "the loop ended by timeout, not by its flag");
  assert(polls >= 1 && polls < 200, `polls ${polls}`);
  const idle0 = performance.now();
  const events = await mgr.poll(20);
  const idle = performance.now() - idle0;
  assert(idle >= 15 && idle < 500, `an idle poll(20) took ${idle.toFixed(1)} ms`);
  return `${polls} polls, ${ticks} timer runs in ${ms.toFixed(0)} ms; idle poll(20) = ${idle.toFixed(1)} ms (${events} events)`;
});

test("shutdown: in-flight request completes, then the manager closes", async () => {
  const net = mg.memoryNetwork();
  const server = driven(net, (c, ev) => {
    if (ev === mg.MG_EV_HTTP_MSG) setTimeout(() => { if (!c.closed) c.reply(200, "finished"); }, 50);
  });
  server.mgr.listen("http://app:80");
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  const response = http.request("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
  let failure;
  const settled = response.then((res) => res, (err) => { failure = err; });
  await until(() => server.mgr.connections.length === 2, 2000, "accept");
  await sleep(10);
  let report;
  try {
    report = await server.mgr.shutdown({ timeoutMs: 2000 });
  } catch (err) {
    if (err?.code !== "ERR_NOT_IMPLEMENTED") throw err;
  }
  if (report) {
    const res = await settled;
    assert(res, `in-flight request failed: ${failure?.message}`);
    assertEq(res.text, "finished", "in-flight response");
    assertEq(report.forced, [], "forced connections");
    assert(report.completed >= 1, `report.completed = ${report.completed}`);
    assert(server.mgr.closed, "manager closed after shutdown");
    return `report ${JSON.stringify(report)}`;
  }
  // shutdown() is not implemented in this build yet: close() must still end everything at once.
  server.mgr.close();
  await settled;
  assert(failure && /closed/.test(failure.message), "the pending request was not failed by close()");
  assert(server.mgr.closed, "manager closed");
  return "PENDING: shutdown() is ERR_NOT_IMPLEMENTED in this build; close() ended the in-flight connection";
});

test("fetch handler: a fetch app served over the memory network", async () => {
  const net = mg.memoryNetwork();
  const enc = new TextEncoder();
  const server = mg.serve({
    url: "http://api:80", network: net, signals: [],
    fetch: async (req) => {
      const u = new URL(req.url);
      if (u.pathname === "/echo") return Response.json({ got: await req.json(), method: req.method, url: req.url });
      if (u.pathname === "/stream") {
        let i = 0;
        return new Response(new ReadableStream({
          async pull(c) { await sleep(5); if (i < 3) c.enqueue(enc.encode(`part${i++};`)); else c.close(); },
        }));
      }
      if (u.pathname === "/cookies") {
        const h = new Headers();
        h.append("Set-Cookie", "a=1");
        h.append("Set-Cookie", "b=2");
        return new Response("c", { headers: h });
      }
      return new Response("nothing here", { status: 404 });
    },
  });
  cleanups.push(() => server.manager.close());
  const client = driven(net);
  const http = httpClient(client.mgr, "http://api:80");
  const echo = await http.request('POST /echo?x=1 HTTP/1.1\r\nHost: api\r\nContent-Length: 7\r\n\r\n{"a":1}');
  assertEq(echo.status, 200, "echo status");
  assertEq(JSON.parse(echo.text), { got: { a: 1 }, method: "POST", url: "http://api/echo?x=1" }, "echo body");
  const stream = await http.request("GET /stream HTTP/1.1\r\nHost: api\r\n\r\n");
  assertEq([stream.text, header(stream, "transfer-encoding")], ["part0;part1;part2;", "chunked"], "streamed body");
  const cookies = await http.request("GET /cookies HTTP/1.1\r\nHost: api\r\n\r\n");
  assertEq(cookies.headers.filter(([k]) => k.toLowerCase() === "set-cookie").map(([, v]) => v), ["a=1", "b=2"], "Set-Cookie lines");
  const missing = await http.request("GET /nope HTTP/1.1\r\nHost: api\r\n\r\n");
  assertEq([missing.status, missing.text], [404, "nothing here"], "404");
  const report = await server.shutdown({ timeoutMs: 500, idleGraceMs: 0 });
  assert(server.manager.closed, "server closed after shutdown");
  return `4 exchanges on one connection; shutdown ${JSON.stringify(report)}`;
});

test("error on bad input: typed errors, 400 for a malformed request", async () => {
  const net = mg.memoryNetwork();
  const thrown = [];
  const server = driven(net, (c, ev) => {
    if (ev !== mg.MG_EV_HTTP_MSG) return;
    for (const bad of [() => c.reply(42000), () => c.reply(200, "x", { "X-Bad": "a\r\nInjected: 1" })]) {
      try { bad(); thrown.push("nothing"); } catch (err) { thrown.push(err.name); }
    }
    c.reply(200, "still fine");
  });
  const mgr = server.mgr;
  assertThrows(() => mgr.listen("bogus"), TypeError, 'listen("bogus")');
  assertThrows(() => mgr.listen("ftp://app:9"), TypeError, "listen(ftp://)");
  assertThrows(() => mgr.timerAdd(-1, () => {}), RangeError, "timerAdd(-1)");
  assertThrows(() => mgr.poll(-5), RangeError, "poll(-5)");
  mgr.listen("http://app:80");
  const dup = assertThrows(() => mgr.listen("http://app:80"), mg.ListenError, "second listen on http://app:80");
  assertEq(dup.code, "EADDRINUSE", "code");
  assertEq(dup.errno, undefined, "errno (no system error numbers on the memory network)");
  const client = driven(net);
  const res = await httpClient(client.mgr, "http://app:80").request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  assertEq(thrown, ["RangeError", "TypeError"], "errors thrown by reply(42000) and a header with CRLF");
  assertEq(res.text, "still fine", "the connection survived the bad calls");
  // Garbage on the wire: a 400, and the server keeps serving.
  let raw = "", rawClosed = false;
  client.mgr.connect("tcp://app:80", {
    handler: (c, ev) => {
      if (ev === mg.MG_EV_CONNECT) c.send("\x01\x02 NOT HTTP\r\n\r\n");
      if (ev === mg.MG_EV_READ) raw += new TextDecoder().decode(c.recvData());
      if (ev === mg.MG_EV_CLOSE) rawClosed = true;
    },
  });
  await until(() => rawClosed, 3000, "the server to answer and close the malformed connection");
  assert(/^HTTP\/1\.1 400 /.test(raw), `malformed request answered with ${JSON.stringify(raw.slice(0, 40))}`);
  const after = await httpClient(client.mgr, "http://app:80").request("GET /after HTTP/1.1\r\nHost: h\r\n\r\n");
  assertEq(after.status, 200, "status after the malformed request");
  return "TypeError, RangeError, ListenError(EADDRINUSE); garbage -> 400";
});

test("connect refused: MG_EV_ERROR then MG_EV_CLOSE", async () => {
  const { mgr } = driven(mg.memoryNetwork());
  const http = httpClient(mgr, "mem://nobody");
  let failure;
  await http.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n").catch((e) => { failure = e; });
  assert(failure, "request did not fail");
  assert(/ECONNREFUSED/.test(http.error ?? ""), `error text ${http.error}`);
  assertEq(http.events.slice(-2), [mg.MG_EV_ERROR, mg.MG_EV_CLOSE], "last events");
  return http.error;
});

test("closed connection: methods throw ConnectionClosedError", async () => {
  const { net } = echoServer();
  const client = driven(net);
  const http = httpClient(client.mgr, "http://app:80");
  await http.request("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  http.conn.close();
  await until(() => http.conn.closed, 2000, "close");
  const err = assertThrows(() => http.conn.send("x"), mg.ConnectionClosedError, "send after close");
  assertEq(err.code, "ERR_CONNECTION_CLOSED", "code");
  assertThrows(() => http.conn.reply(700), mg.MongooseError, "reply after close");
});

test("udp:// datagrams over the memory network", async () => {
  const net = mg.memoryNetwork();
  const senders = [];
  const server = driven(net, (c, ev) => {
    if (ev !== mg.MG_EV_READ) return;
    senders.push(c.remoteAddr.port);
    c.send(`echo:${new TextDecoder().decode(c.recvData())}`);
  });
  server.mgr.listen("udp://app:53");
  const got = [];
  const client = driven(net, (c, ev) => {
    if (ev === mg.MG_EV_CONNECT) for (const m of ["a", "b", "c"]) c.send(m);
    if (ev === mg.MG_EV_READ) got.push(new TextDecoder().decode(c.recvData()));
  });
  const conn = client.mgr.connect("udp://app:53");
  await until(() => got.length === 3, 3000, "3 echoes");
  assertEq(got, ["echo:a", "echo:b", "echo:c"], "echoes, one per datagram");
  assertEq(senders, [conn.localAddr.port, conn.localAddr.port, conn.localAddr.port], "sender ports");
  assert(conn.isUdp, "isUdp");
});

test("utilities from the core: JSON, base64, SHA-256, match, Rpc", async () => {
  assertEq(mg.jsonGetStr('{"a":[1,{"b":"\\u00e9\\ud83d\\ude00"}]}', "$.a[1].b"), "\u00e9\u{1f600}", "jsonGetStr");
  assertEq(mg.jsonGet("{bad", "$"), undefined, "invalid JSON");
  assertEq(mg.base64Encode("hello"), "aGVsbG8=", "base64Encode");
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("abc".repeat(300))));
  assertEq([...mg.sha256("abc".repeat(300))], [...digest], "sha256 vs WebCrypto");
  assertEq(mg.match("/api/v1/x/y", "/api/*/#"), ["v1", "x/y"], "match");
  const rpc = new mg.Rpc();
  rpc.add("sum", (req) => mg.jsonGetNum(req.params, "$[0]") + mg.jsonGetNum(req.params, "$[1]"));
  assertEq(JSON.parse(await rpc.process('{"jsonrpc":"2.0","id":1,"method":"sum","params":[2,3]}')).result, 5, "rpc");
});

test("static files: a packed web root through serveDir", async () => {
  // The same core code as in Node (http_static.c), reading a PackedFs.
  const big = new Uint8Array(300_000).map((_, i) => (i * 7) & 255);
  const fs = new mg.PackedFs({
    "/web/index.html": "<h1>packed</h1>",
    "/web/js/app.js": "console.log(1)",
    "/web/big.bin": big,
  }, 1700000000);
  const net = mg.memoryNetwork();
  const server = driven(net, (c, ev, data) => {
    if (ev === mg.MG_EV_HTTP_MSG) c.serveDir(data, "/web", { fs, dirListing: true });
  });
  server.mgr.listen("http://site:80", { http: true });
  const client = driven(net);
  const http = httpClient(client.mgr, "http://site:80");
  const home = await http.request("GET / HTTP/1.1\r\nHost: site\r\n\r\n");
  assertEq([home.status, home.text, header(home, "content-type")], [200, "<h1>packed</h1>", "text/html; charset=utf-8"], "index.html");
  const etag = header(home, "etag");
  const again = await http.request(`GET /index.html HTTP/1.1\r\nHost: site\r\nIf-None-Match: ${etag}\r\n\r\n`);
  assertEq(again.status, 304, "revalidation");
  const part = await http.request("GET /js/app.js HTTP/1.1\r\nHost: site\r\nRange: bytes=8-\r\n\r\n");
  assertEq([part.status, part.text, header(part, "content-type")], [206, "log(1)", "text/javascript; charset=utf-8"], "range");
  const listing = await http.request("GET /js/ HTTP/1.1\r\nHost: site\r\n\r\n");
  assert(listing.text.includes('<a href="app.js">app.js</a>'), `listing: ${listing.text}`);
  const whole = await http.request("GET /big.bin HTTP/1.1\r\nHost: site\r\n\r\n");
  assertEq(whole.body.length, big.length, "big file length (a host-side body over the memory network)");
  assert(whole.body.every((b, i) => b === big[i]), "big file bytes");
  const up = await http.request("GET /%2e%2e/web/index.html HTTP/1.1\r\nHost: site\r\n\r\n");
  assertEq(up.status, 400, "path leaving the root");
  const missing = await http.request("GET /nope HTTP/1.1\r\nHost: site\r\n\r\n");
  assertEq(missing.status, 404, "missing file");
  return `200/304/206/listing/${whole.body.length} B/400/404`;
});

wsCases({ test, assert, assertEq, until, driven, httpClient, lib: () => mg });
brokerCases({ test, assert, assertEq, until, driven, cleanup: (fn) => cleanups.push(fn), lib: () => mg });

// ---- runner ------------------------------------------------------------------------

async function runCase(c) {
  const entry = { name: c.name, result: "running", ms: undefined, detail: "" };
  results.cases.push(entry);
  const row = document.createElement("tr");
  rows.appendChild(row);
  render(entry, row);
  cleanups = [];
  const t0 = performance.now();
  let timer;
  try {
    const detail = await Promise.race([
      c.fn(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS); }),
    ]);
    entry.result = "pass";
    entry.detail = detail ?? "";
  } catch (err) {
    entry.result = "fail";
    entry.detail = `${err?.name ?? "Error"}: ${err?.message ?? String(err)}`;
  } finally {
    clearTimeout(timer);
    entry.ms = performance.now() - t0;
    for (const fn of cleanups.reverse()) {
      try { await fn(); } catch (err) {
        if (entry.result === "pass") { entry.result = "fail"; entry.detail = `cleanup: ${err?.message ?? err}`; }
      }
    }
  }
  if (entry.result === "pass") results.passed++;
  else results.failed++;
  render(entry, row);
}

async function main() {
  try {
    mg = await import("../../dist/browser.mjs");
  } catch (err) {
    results.cases.push({ name: "load dist/browser.mjs", result: "fail", ms: 0, detail: String(err?.stack ?? err) });
    results.failed++;
    render(results.cases[0], rows.appendChild(document.createElement("tr")));
    return;
  }
  for (const c of cases) await runCase(c);
}

main().finally(() => {
  results.done = true;
  const ok = results.failed === 0 && results.passed > 0;
  summary.className = ok ? "pass" : "fail";
  summary.textContent = `${results.passed} passed, ${results.failed} failed`;
});
