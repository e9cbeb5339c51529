// timeouts.test.ts: the built-in timeouts, end to end over real sockets.
//   requestTimeoutMs: a request whose body has not arrived, or whose handler
//     has not started its answer, this long after its head gets 408 +
//     Connection: close sent for it and its connection drains; a late reply()
//     returns false while that happens and throws ConnectionClosedError once
//     the connection is closed.
//   headerTimeoutMs: a client trickling its request head (slowloris) gets 408.
//   idleTimeoutMs: an idle keep-alive connection is closed, and responses
//     advertise it as Keep-Alive: timeout=N.
import { ConnectionClosedError, DEFAULT_LIMITS, MG_EV_CLOSE, MG_EV_HTTP_MSG, MG_EV_WRITE, type Connection, type HttpMessage } from "tsmongoose";
import { sleep, startServer, stopAllServers, waitFor } from "./helpers/server";
import { HttpConn } from "./fixtures/http-conn";

afterEach(() => stopAllServers());

test("defaults: 5 s idle timeout advertised as Keep-Alive: timeout=5, 30 s header timeout, no request timeout", async () => {
  expect(DEFAULT_LIMITS).toMatchObject({ idleTimeoutMs: 5000, headerTimeoutMs: 30000, requestTimeoutMs: 300_000 });
  const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "hi"); }, { mode: "auto" });
  expect(srv.mgr.limits.idleTimeoutMs).toBe(5000);
  const c = await HttpConn.open(srv.port);
  await c.send("/");
  const res = await c.next();
  expect(res.headers["keep-alive"]).toBe("timeout=5");
  await c.send("/", "Connection: close\r\n");
  const last = await c.next();
  expect(last.close).toBe(true);
  expect(last.headers["keep-alive"]).toBeUndefined();
  c.destroy();
  // fetch (undici) reads the hint too: the response reaches it intact.
  const r = await fetch(`${srv.base}/`);
  expect(r.headers.get("keep-alive")).toBe("timeout=5");
  expect(await r.text()).toBe("hi");
});

test("requestTimeoutMs: 408 + Connection: close, then drain; a late reply returns false, then throws ConnectionClosedError", async () => {
  let stuck: Connection | undefined;
  let replyWhileDraining: boolean | undefined;
  let closedAt = 0;
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) {
      const uri = (data as HttpMessage).uri;
      if (uri === "/stuck") stuck = c;
      else setTimeout(() => { if (!c.closed) c.reply(200, "in time"); }, 100);
    } else if (ev === MG_EV_WRITE && c === stuck && replyWhileDraining === undefined) {
      replyWhileDraining = c.reply(200, "too late"); // the 408 went out; the connection drains
    } else if (ev === MG_EV_CLOSE && c === stuck) {
      closedAt = Date.now();
    }
  }, { mode: "auto", pollMs: 50, managerOpts: { limits: { requestTimeoutMs: 300 } } });

  const ok = await HttpConn.open(srv.port);
  await ok.send("/quick");
  expect((await ok.next()).body.toString()).toBe("in time");

  const c = await HttpConn.open(srv.port);
  const t0 = Date.now();
  await c.send("/stuck");
  const res = await c.next(3000);
  const ms = Date.now() - t0;
  expect(res.status).toBe(408);
  expect(res.reason).toBe("Request Timeout");
  expect(res.close).toBe(true);
  expect(res.body.toString()).toBe("408 Request Timeout\n");
  expect(ms).toBeGreaterThanOrEqual(280);
  expect(ms).toBeLessThan(1500);
  expect(await c.waitEnd(2000)).toBe(true);
  expect(c.pending).toBe(0); // nothing after the 408: the late reply was dropped
  await waitFor(() => closedAt > 0, 2000, "MG_EV_CLOSE");
  expect(replyWhileDraining).toBe(false);
  expect(stuck!.closed).toBe(true);
  expect(() => stuck!.reply(200, "much too late")).toThrow(ConnectionClosedError);
  ok.destroy();
  c.destroy();
});

test("requestTimeoutMs also bounds a request body that trickles in", async () => {
  let messages = 0;
  const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) { messages++; c.reply(200, "no"); } },
    { mode: "auto", pollMs: 50, managerOpts: { limits: { requestTimeoutMs: 400, idleTimeoutMs: 5000 } } });
  const c = await HttpConn.open(srv.port);
  const t0 = Date.now();
  c.socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
  for (let i = 0; i < 30 && !c.ended && c.pending === 0; i++) {
    await sleep(50);
    if (!c.socket.destroyed) c.socket.write("b");
  }
  const res = await c.next(2000);
  const ms = Date.now() - t0;
  expect([res.status, res.close]).toEqual([408, true]);
  expect(ms).toBeGreaterThanOrEqual(380);
  expect(ms).toBeLessThan(1500);
  expect(await c.waitEnd(2000)).toBe(true);
  expect(messages).toBe(0);
  c.destroy();
});

test("headerTimeoutMs: a slowloris trickle gets 408 and is closed", async () => {
  let messages = 0;
  const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) { messages++; c.reply(200, "no"); } },
    { mode: "auto", pollMs: 50, managerOpts: { limits: { headerTimeoutMs: 400 } } });
  const c = await HttpConn.open(srv.port);
  const t0 = Date.now();
  c.socket.write("GET / HTTP/1.1\r\n");
  // One header line every 100 ms: the connection is never idle, the head never ends.
  for (let i = 0; i < 30 && !c.ended && c.pending === 0; i++) {
    await sleep(100);
    if (!c.socket.destroyed) c.socket.write(`X-Pad-${i}: a\r\n`);
  }
  const res = await c.next(2000);
  const ms = Date.now() - t0;
  expect(res.status).toBe(408);
  expect(res.close).toBe(true);
  expect(ms).toBeGreaterThanOrEqual(380);
  expect(ms).toBeLessThan(1500);
  expect(await c.waitEnd(2000)).toBe(true);
  expect(messages).toBe(0);
  c.destroy();
});

test("idleTimeoutMs: an idle keep-alive connection is closed (FIN, no reset), and the hint says so", async () => {
  const srv = await startServer((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "hi"); },
    { mode: "auto", pollMs: 50, managerOpts: { limits: { idleTimeoutMs: 1200 } } });
  const c = await HttpConn.open(srv.port);
  await c.send("/");
  const res = await c.next();
  const t0 = Date.now();
  expect(res.headers["keep-alive"]).toBe("timeout=1");
  await sleep(700);
  expect(c.ended).toBe(false);
  expect(await c.waitEnd(3000)).toBe(true);
  const ms = Date.now() - t0;
  expect(ms).toBeGreaterThanOrEqual(1100);
  expect(ms).toBeLessThan(2500);
  expect(c.error).toBeUndefined();
  expect(c.pending).toBe(0);
  // A connection that never sends anything is idle too.
  const silent = await HttpConn.open(srv.port);
  expect(await silent.waitEnd(3000)).toBe(true);
  c.destroy();
  silent.destroy();
});
