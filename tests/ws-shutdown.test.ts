// ws-shutdown.test.ts: graceful shutdown knows WebSocket. shutdown() sends
// close 1001 ("going away") to every open WebSocket and waits for each
// peer's close: those that answer are counted as drained, one that never
// answers is force-closed at the deadline and named (id and upgrade URI).
import WebSocket from "ws";
import { MG_EV_HTTP_MSG, MG_EV_WS_OPEN } from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";
import { startServer, stopAllServers, waitFor } from "./helpers/server";
import { RawWs } from "./helpers/raw-ws";

afterEach(() => stopAllServers());

test("shutdown: polite WebSockets close with 1001 and count as drained; a silent one is forced and named", async () => {
  const opened: Connection[] = [];
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
    if (ev === MG_EV_WS_OPEN) opened.push(c);
  });
  const polite = await Promise.all([1, 2].map((i) => new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/polite/${i}`);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  })));
  const closes = polite.map((ws) => new Promise<[number, string]>((r) => ws.once("close", (code, reason) => r([code, reason.toString()]))));
  const silent = await RawWs.open(srv.port, "/silent?user=7"); // never answers a close
  await waitFor(() => opened.length === 3, 5000, "three WebSockets");
  const silentConn = opened.find((c) => c.localAddr && c.remoteAddr.port === silent.localPort)!;
  const t0 = Date.now();
  const report = await srv.mgr.shutdown({ timeoutMs: 1500 });
  expect(await Promise.all(closes)).toEqual([[1001, "going away"], [1001, "going away"]]);
  // The silent client got the close frame too, and nothing answered it.
  expect(silent.frames.map((f) => [f.op, f.payload.readUInt16BE(0), f.payload.subarray(2).toString()])).toEqual([[8, 1001, "going away"]]);
  expect(report.drained).toBe(2);
  expect(report.forced).toEqual([{ id: silentConn.id, kind: "ws", busyMs: 0, queuedBytes: expect.any(Number), uri: "/silent?user=7" }]);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
  expect(srv.mgr.closed).toBe(true);
  await silent.closed();
  silent.destroy();
});

test("shutdown with only polite WebSockets finishes as soon as they answered", async () => {
  const srv = await startServer((c, ev, data) => {
    if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
  });
  const ws = await new Promise<WebSocket>((resolve, reject) => {
    const w = new WebSocket(`ws://127.0.0.1:${srv.port}/`);
    w.once("open", () => resolve(w));
    w.once("error", reject);
  });
  const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
  const t0 = Date.now();
  const report = await srv.mgr.shutdown({ timeoutMs: 10_000 });
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(await closed).toBe(1001);
  expect(report).toMatchObject({ drained: 1, forced: [] });
});
