// drain-close.test.ts: drain() flushes everything (8 MB, byte-exact, through
// a slow reader) and then closes; close() keeps what was already flushed and
// drops what was not; the flags show it; a closed connection refuses use.
import { MG_EV_HTTP_MSG, MG_EV_READ, MG_EV_CLOSE, MG_EV_ACCEPT, ConnectionClosedError } from "tsmongoose";
import type { Connection } from "tsmongoose";
import { startServer, stopAllServers, waitFor, sleep } from "./helpers/server";
import { RawClient, getReq, parseResponses } from "./helpers/raw-client";
import { patternBytes, sha256 } from "./helpers/http";

const BIG = 8 * 1024 * 1024;
const big = patternBytes(BIG, 77);
const bigSha = sha256(big);

afterEach(() => stopAllServers());

describe("drain()", () => {
  test("8 MB HTTP response then drain(): all bytes arrive (slow reader), then EOF", async () => {
    const flags: { draining: boolean; closes: number } = { draining: false, closes: 0 };
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_CLOSE && c.isAccepted) flags.closes++;
      if (ev !== MG_EV_HTTP_MSG) return;
      c.reply(200, big, { "Content-Type": "application/octet-stream" });
      c.drain();
      flags.draining = c.isDraining;
    });
    const client = await RawClient.connect(srv.port);
    try {
      client.socket.pause();
      await client.write(getReq("/big"));
      // Let the server hit backpressure before reading anything.
      await sleep(150);
      client.socket.resume();
      await client.waitEnd(15_000);
      const { responses, rest } = parseResponses(client.data, [], true);
      expect(responses).toHaveLength(1);
      expect(rest.length).toBe(0);
      expect(responses[0].headers["content-length"]).toBe(String(BIG));
      expect(responses[0].body.length).toBe(BIG);
      expect(sha256(responses[0].body)).toBe(bigSha);
    } finally {
      client.destroy();
    }
    expect(flags.draining).toBe(true);
    await waitFor(() => flags.closes === 1, 3000, "MG_EV_CLOSE");
  });

  test("8 MB via fetch is byte-exact", async () => {
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) { c.reply(200, big, { "Content-Type": "application/octet-stream" }); c.drain(); }
    });
    const res = await fetch(`${srv.base}/big`);
    const got = Buffer.from(await res.arrayBuffer());
    expect(got.length).toBe(BIG);
    expect(sha256(got)).toBe(bigSha);
  });

  test("8 MB raw send() on a tcp:// connection, then drain(): byte-exact, then EOF", async () => {
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_READ) return;
      c.recvData();
      c.send(big);
      c.drain();
    }, { url: "tcp://127.0.0.1:0" });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("go");
      await client.waitEnd(15_000);
      expect(client.received).toBe(BIG);
      expect(sha256(client.data)).toBe(bigSha);
    } finally {
      client.destroy();
    }
  });

  test("drain() stops reading: later input fires no MG_EV_READ", async () => {
    const reads: string[] = [];
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_READ) return;
      reads.push(Buffer.from(c.recvData()).toString());
      c.send("bye");
      c.drain();
    }, { url: "tcp://127.0.0.1:0" });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("first");
      await client.waitUntil(() => client.data.toString() === "bye", 3000, "bye");
      await client.write("second");
      await client.waitEnd(3000);
      await sleep(30);
    } finally {
      client.destroy();
    }
    expect(reads).toEqual(["first"]);
  });

  test("drain() with nothing to send closes at once", async () => {
    const srv = await startServer((c, ev) => { if (ev === MG_EV_ACCEPT) c.drain(); }, { url: "tcp://127.0.0.1:0" });
    const client = await RawClient.connect(srv.port);
    try {
      await client.waitEnd(2000);
      expect(client.received).toBe(0);
    } finally {
      client.destroy();
    }
  });
});

describe("close()", () => {
  test("output already flushed is not lost: reply, let it flush, then close()", async () => {
    let closes = 0;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_CLOSE && c.isAccepted) closes++;
      if (ev !== MG_EV_HTTP_MSG) return;
      c.reply(200, "flushed before close");
      setTimeout(() => c.close(), 50);
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/"));
      await client.waitEnd(3000);
      const { responses } = parseResponses(client.data, [], true);
      expect(responses).toHaveLength(1);
      expect(responses[0].body.toString()).toBe("flushed before close");
    } finally {
      client.destroy();
    }
    await waitFor(() => closes === 1, 2000, "MG_EV_CLOSE");
  });

  test("output not yet flushed is dropped: send() then close() in the same handler", async () => {
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_READ) return;
      c.recvData();
      c.send("this must never arrive");
      c.close();
    }, { url: "tcp://127.0.0.1:0" });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("x");
      await client.waitEnd(3000);
      expect(client.received).toBe(0);
    } finally {
      client.destroy();
    }
  });

  test("reply() then close() in the same HTTP handler: the unflushed reply is dropped", async () => {
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) { c.reply(200, "dropped"); c.close(); }
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/"));
      await client.waitEnd(3000);
      expect(client.received).toBe(0);
    } finally {
      client.destroy();
    }
  });

  test("close() in MG_EV_ACCEPT: EOF, and no request reaches the handler", async () => {
    let msgs = 0;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_ACCEPT) c.close();
      if (ev === MG_EV_HTTP_MSG) msgs++;
    });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write(getReq("/")).catch(() => undefined);
      await client.waitEnd(3000);
    } finally {
      client.destroy();
    }
    expect(msgs).toBe(0);
  });

  test("manager.close() with an 8 MB response in flight ends the client promptly", async () => {
    let conn: Connection | undefined;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) { conn = c; c.reply(200, big); }
    });
    const client = await RawClient.connect(srv.port);
    try {
      client.socket.pause();
      await client.write(getReq("/"));
      await waitFor(() => conn !== undefined, 3000, "request");
      await sleep(50);
      await srv.stop();
      client.socket.resume();
      await client.waitEnd(3000);
      expect(client.received).toBeLessThanOrEqual(BIG + 200);
    } finally {
      client.destroy();
    }
  });
});

describe("flags and closed connections", () => {
  test("isDraining after drain(), isClosing after close(); MG_EV_CLOSE fires once each", async () => {
    const seen: Record<string, { draining: boolean; closing: boolean }> = {};
    const closes = new Map<Connection, number>();
    const srv = await startServer((c, ev, d) => {
      if (ev === MG_EV_CLOSE) closes.set(c, (closes.get(c) ?? 0) + 1);
      if (ev !== MG_EV_READ) return;
      const cmd = Buffer.from(c.recvData()).toString();
      seen.before = { draining: c.isDraining, closing: c.isClosing };
      if (cmd === "drain") { c.send("x"); c.drain(); }
      else c.close();
      seen[cmd] = { draining: c.isDraining, closing: c.isClosing };
      void d;
    }, { url: "tcp://127.0.0.1:0" });
    for (const cmd of ["drain", "close"]) {
      const client = await RawClient.connect(srv.port);
      await client.write(cmd);
      await client.waitEnd(3000);
      client.destroy();
    }
    expect(seen.before).toEqual({ draining: false, closing: false });
    expect(seen.drain.draining).toBe(true);
    expect(seen.close.closing).toBe(true);
    await waitFor(() => closes.size === 2, 2000, "two closes");
    expect([...closes.values()]).toEqual([1, 1]);
  });

  test("remoteAddr and localAddr are still known after MG_EV_CLOSE (never read before)", async () => {
    let closed: Connection | undefined;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_READ) { c.recvData(); c.close(); }
      if (ev === MG_EV_CLOSE && c.isAccepted) closed = c;
    }, { url: "tcp://127.0.0.1:0" });
    const client = await RawClient.connect(srv.port);
    try {
      await client.write("x");
      await waitFor(() => closed !== undefined, 3000, "MG_EV_CLOSE");
    } finally {
      client.destroy();
    }
    expect(closed!.remoteAddr).toEqual({ address: "127.0.0.1", port: client.localPort, family: "IPv4" });
    expect(closed!.localAddr).toEqual({ address: "127.0.0.1", port: srv.port, family: "IPv4" });
  });

  test("using a closed connection throws ConnectionClosedError (ERR_CONNECTION_CLOSED)", async () => {
    let closed: Connection | undefined;
    let closedId = -1;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_HTTP_MSG) { c.reply(200, "bye"); c.drain(); }
      if (ev === MG_EV_CLOSE && c.isAccepted) { closed = c; closedId = c.id; }
    });
    const res = await fetch(`${srv.base}/`);
    expect(await res.text()).toBe("bye");
    await waitFor(() => closed !== undefined, 3000, "MG_EV_CLOSE");
    await sleep(10);
    const c = closed!;
    const attempts: [string, () => unknown][] = [
      ["send", () => c.send("x")],
      ["reply", () => c.reply(200, "x")],
      ["replyJson", () => c.replyJson({ a: 1 })],
      ["httpChunk", () => c.httpChunk("x")],
      ["httpSse", () => c.httpSse("e", "d")],
    ];
    for (const [name, fn] of attempts) {
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect({ name, isClosedError: err instanceof ConnectionClosedError }).toEqual({ name, isClosedError: true });
      expect((err as { code?: string }).code).toBe("ERR_CONNECTION_CLOSED");
      expect(err).toBeInstanceOf(Error);
    }
    // Reading what is left is no error, as in the reference: nothing is left.
    expect(c.recvData()).toEqual(new Uint8Array(0));
    expect(c.id).toBe(closedId);
    expect(srv.mgr.connections).not.toContain(c);
  });
});
