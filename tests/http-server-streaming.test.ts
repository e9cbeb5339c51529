// http-server-streaming.test.ts: server-side leftovers of the HTTP work seen
// by real clients: the reference's streaming pattern (a hand-written head,
// then httpChunk/httpSse) read by fetch and a raw socket, and requests
// pipelined behind one in flight when shutdown starts, which get answers.
import { MG_EV_HTTP_MSG } from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";
import { startServer, stopAllServers, waitFor } from "./helpers/server";
import { RawClient, getReq } from "./helpers/raw-client";
import { readSse } from "./helpers/http";

afterEach(() => stopAllServers());

test("httpChunk and httpSse continue a hand-written head (they used to send nothing)", async () => {
  const srv = await startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const hm = data as HttpMessage;
    if (hm.uri === "/chunked") {
      c.send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
      expect(c.httpChunk("one,")).toBe(true);
      expect(c.httpChunk("two")).toBe(true);
      expect(c.httpChunk("")).toBe(true);
    } else if (hm.uri === "/sse") {
      c.send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n");
      expect(c.httpSse("tick", "1")).toBe(true);
      expect(c.httpSse("tick", "2")).toBe(true);
      expect(c.httpChunk("")).toBe(true);
    } else {
      c.reply(200, "plain");
    }
  });
  const r = await fetch(`${srv.base}/chunked`);
  expect(await r.text()).toBe("one,two");
  const sse = await fetch(`${srv.base}/sse`);
  expect(await readSse(sse)).toEqual([{ event: "tick", data: "1" }, { event: "tick", data: "2" }]);
  // Keep-alive after the chunked stream: the next request on the same socket.
  const raw = await RawClient.connect(srv.port);
  await raw.write(getReq("/chunked") + getReq("/x"));
  const [a, b] = await raw.responses(2);
  expect(a.body.toString()).toBe("one,two");
  expect(b.body.toString()).toBe("plain");
  raw.destroy();
});

test("requests pipelined behind one in flight at shutdown are answered, not dropped", async () => {
  let held: Connection | undefined;
  const srv = await startServer((c, ev, data) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if ((data as HttpMessage).uri === "/wait") held = c;
    else c.reply(200, `served ${(data as HttpMessage).uri}`);
  });
  const raw = await RawClient.connect(srv.port);
  await raw.write(getReq("/wait") + getReq("/p1") + getReq("/p2"));
  await waitFor(() => held !== undefined, 5000, "the in-flight request");
  const report = srv.mgr.shutdown({ timeoutMs: 5000, replyStatus: 503 });
  await waitFor(() => srv.mgr.isShuttingDown, 5000, "shutdown");
  held!.reply(200, "done");
  const got = await raw.responses(2, { timeoutMs: 5000 });
  expect(got[0].status).toBe(200);
  expect(got[0].body.toString()).toBe("done");
  expect(got[0].headers.connection).not.toBe("close");
  // The next one gets the shutdown status (or is served), and closes.
  expect([503, 200]).toContain(got[1].status);
  expect(got[1].headers.connection).toBe("close");
  await raw.waitEnd(5000);
  const r = await report;
  expect(r.completed).toBeGreaterThanOrEqual(1);
});
