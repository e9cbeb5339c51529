// node-citizen.test.ts: issue #16 items 1, 2, 10, 12, 13 over real sockets:
// a failed handler answers 500 + close at once; one response per request
// (ERR_HTTP_HEADERS_SENT); an oversize reply is a typed error and a 500;
// Node's error codes; diagnostics_channel; text/plain; charset=utf-8.
import * as dc from "node:diagnostics_channel";
import * as net from "node:net";
import {
  CHANNELS, ConnectionError, HeadersSentError, InvalidUrlError, ListenError, Manager, MG_EV_CLOSE, MG_EV_ERROR,
  MG_EV_HTTP_MSG, MG_EV_OPEN, ReplyTooLargeError,
} from "tsmongoose";
import type { Connection, HttpMessage } from "tsmongoose";
import { makeManager, startServer, stopAllServers, waitFor } from "./helpers/server";
import { RawClient, getReq, rawRequest } from "./helpers/raw-client";

afterEach(() => stopAllServers());

describe("item 1: a failed handler answers 500 + Connection: close at once", () => {
  test.each([
    ["throws", (): unknown => { throw new Error("boom"); }],
    ["rejects", async (): Promise<void> => { await Promise.resolve(); throw new Error("boom"); }],
    ["rejects later", (): Promise<void> => new Promise((_r, rej) => setTimeout(() => rej(new Error("boom")), 50))],
  ])("handler %s", async (_what, fail) => {
    const errors: unknown[] = [];
    const srv = await startServer((_c, ev) => (ev === MG_EV_HTTP_MSG ? fail() as void : undefined),
      { managerOpts: { errorHandler: (e: unknown) => errors.push(e) } });
    const c = await RawClient.connect(srv.port);
    try {
      const t0 = Date.now();
      await c.write(getReq("/x") + getReq("/pipelined"));
      const [res] = await c.finalResponses(1, { timeoutMs: 5000 });
      expect(res.status).toBe(500);
      expect(res.headers.connection).toBe("close");
      await c.waitEnd(3000);
      expect(Date.now() - t0).toBeLessThan(3000); // not the 300 s request timeout
      expect(c.data.toString()).not.toContain("pipelined");
      expect(errors).toHaveLength(1);
    } finally {
      c.destroy();
    }
  });

  test("a handler that replied and then threw leaves the answer alone (keep-alive goes on)", async () => {
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      c.reply(200, "fine");
      throw new Error("after the reply");
    }, { managerOpts: { errorHandler: () => undefined } });
    const res = await rawRequest(srv.port, getReq("/a") + getReq("/b"), 2);
    expect(res.map((r) => [r.status, r.body.toString()])).toEqual([[200, "fine"], [200, "fine"]]);
  });

  test("a started stream whose handler rejects is closed (no second head)", async () => {
    const srv = await startServer(async (c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      c.httpChunk("part");
      await Promise.resolve();
      throw new Error("mid-stream");
    }, { managerOpts: { errorHandler: () => undefined } });
    const c = await RawClient.connect(srv.port);
    try {
      await c.write(getReq("/s"));
      await c.waitEnd(3000);
      const text = c.data.toString();
      expect(text.match(/HTTP\/1\.1/g)).toHaveLength(1);
      expect(text).not.toContain(" 500 ");
    } finally {
      c.destroy();
    }
  });
});

describe("item 2: one response per request", () => {
  test("a second reply() in the same call throws ERR_HTTP_HEADERS_SENT and sends nothing", async () => {
    const thrown: unknown[] = [];
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      c.reply(200, "one");
      try { c.reply(200, "two"); } catch (e) { thrown.push(e); }
      try { c.replyJson({ x: 1 }); } catch (e) { thrown.push(e); }
      try { c.httpStart(200); } catch (e) { thrown.push(e); }
    });
    const res = await rawRequest(srv.port, getReq("/a") + getReq("/b"), 2);
    expect(res.map((r) => r.body.toString())).toEqual(["one", "one"]);
    expect(thrown).toHaveLength(6);
    for (const e of thrown) {
      expect(e).toBeInstanceOf(HeadersSentError);
      expect((e as HeadersSentError).code).toBe("ERR_HTTP_HEADERS_SENT");
    }
  });

  test("a late second reply() (after an await) throws too", async () => {
    let late: unknown;
    const srv = await startServer(async (c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      c.reply(200, "one");
      await new Promise((r) => setTimeout(r, 20));
      try { c.reply(200, "two"); } catch (e) { late = e; }
    });
    const c = await RawClient.connect(srv.port);
    try {
      await c.write(getReq("/a"));
      const [res] = await c.finalResponses(1);
      expect(res.body.toString()).toBe("one");
      await waitFor(() => late !== undefined);
      expect(c.data.toString()).not.toContain("two");
    } finally {
      c.destroy();
    }
    expect((late as HeadersSentError).code).toBe("ERR_HTTP_HEADERS_SENT");
  });

  test("an oversize reply is ReplyTooLargeError and the client gets 500 + close", async () => {
    let err: unknown;
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      try { c.reply(200, new Uint8Array(5000)); } catch (e) { err = e; }
    }, { managerOpts: { limits: { maxReplySize: 4096 } } });
    const c = await RawClient.connect(srv.port);
    try {
      await c.write(getReq("/big"));
      const [res] = await c.finalResponses(1);
      expect(res.status).toBe(500);
      expect(res.headers.connection).toBe("close");
      await c.waitEnd(3000);
    } finally {
      c.destroy();
    }
    expect(err).toBeInstanceOf(ReplyTooLargeError);
    expect((err as ReplyTooLargeError).code).toBe("ERR_REPLY_TOO_LARGE");
  });
});

describe("item 10: Node's error conventions", () => {
  test("a port in use: err.code === 'EADDRINUSE', syscall 'listen'", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    const mgr = await makeManager();
    try {
      let err: unknown;
      try { mgr.listen(`http://127.0.0.1:${port}`); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ListenError);
      // errno is Node's number for the code, the one node:net reports on the same busy port.
      const nodeErr = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const s = net.createServer();
        s.once("error", resolve);
        s.listen(port, "127.0.0.1", () => s.close(() => resolve(new Error("port was free") as NodeJS.ErrnoException)));
      });
      expect(nodeErr.code).toBe("EADDRINUSE");
      expect(typeof nodeErr.errno).toBe("number");
      expect(err).toMatchObject({ code: "EADDRINUSE", errno: nodeErr.errno, syscall: "listen" });
    } finally {
      mgr.close();
      blocker.close();
    }
  });

  test("argument errors carry ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE / ERR_INVALID_URL", async () => {
    const mgr = await makeManager();
    try {
      expect(() => mgr.timerAdd("x" as never, () => undefined)).toThrow(RangeError);
      expect(() => mgr.timerAdd(1, "f" as never)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }));
      expect(() => mgr.poll(-1)).toThrow(expect.objectContaining({ code: "ERR_OUT_OF_RANGE" }));
      let e: unknown;
      try { mgr.listen("not a url"); } catch (x) { e = x; }
      expect(e).toBeInstanceOf(TypeError);
      expect(e).toBeInstanceOf(InvalidUrlError);
      expect((e as InvalidUrlError).code).toBe("ERR_INVALID_URL");
      expect(() => new Manager("nope" as never)).toThrow(TypeError);
    } finally {
      mgr.close();
    }
  });

  test("MG_EV_ERROR data is an Error with code and syscall from the socket; String() is the message", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    let data: unknown;
    let closed = false;
    const mgr = await makeManager((_c, ev, d) => {
      if (ev === MG_EV_ERROR) data = d;
      if (ev === MG_EV_CLOSE) closed = true;
    });
    try {
      mgr.connect(`tcp://127.0.0.1:${port}`);
      const end = Date.now() + 5000;
      while (!closed && Date.now() < end) await mgr.poll(20);
      expect(data).toBeInstanceOf(Error);
      expect(data).toBeInstanceOf(ConnectionError);
      expect(data).toMatchObject({ code: "ECONNREFUSED", syscall: "connect" });
      expect(String(data)).toBe((data as Error).message);
      expect(String(data)).toMatch(/ECONNREFUSED/);
    } finally {
      mgr.close();
    }
  });
});

test("item 12: diagnostics_channel: request start/finish/error, connection open/close", async () => {
  const seen: string[] = [];
  const subs: [string, (m: unknown) => void][] = [
    [CHANNELS.requestStart, (m) => seen.push(`start ${(m as { request: HttpMessage }).request.uri}`)],
    [CHANNELS.requestFinish, (m) => seen.push(`finish ${(m as { status: number }).status}`)],
    [CHANNELS.requestError, (m) => seen.push(`error ${((m as { error: Error }).error).message}`)],
    [CHANNELS.connectionOpen, (m) => seen.push(`open ${(m as { connection: Connection }).connection.isAccepted ? "accepted" : "other"}`)],
    [CHANNELS.connectionClose, (m) => seen.push(`close ${(m as { connection: Connection }).connection.isAccepted ? "accepted" : "other"}`)],
  ];
  for (const [name, fn] of subs) dc.subscribe(name, fn);
  try {
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      if ((d as HttpMessage).uri === "/bad") throw new Error("bad handler");
      c.reply(201, "ok");
    }, { managerOpts: { errorHandler: () => undefined } });
    await rawRequest(srv.port, getReq("/good") + getReq("/bad"), 2);
    await waitFor(() => seen.includes("close accepted"));
    expect(seen.filter((s) => s !== "open other")).toEqual([
      "open accepted", "start /good", "finish 201", "start /bad", "error bad handler", "close accepted",
    ]);
  } finally {
    for (const [name, fn] of subs) dc.unsubscribe(name, fn);
  }
  expect(MG_EV_OPEN).toBe(1);
});

test("item 13: a string reply without a type is text/plain; charset=utf-8, bytes stay text/plain", async () => {
  const srv = await startServer((c, ev, d) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    const uri = (d as HttpMessage).uri;
    if (uri === "/s") c.reply(200, "héllo");
    else if (uri === "/t") c.reply(200, "<b>", { "Content-Type": "text/html" });
    else c.reply(200, new Uint8Array([1, 2]));
  });
  const res = await rawRequest(srv.port, getReq("/s") + getReq("/t") + getReq("/b"), 3);
  expect(res.map((r) => r.headers["content-type"])).toEqual(["text/plain; charset=utf-8", "text/html", "text/plain"]);
  expect(res[0].body.toString("utf8")).toBe("héllo");
});
