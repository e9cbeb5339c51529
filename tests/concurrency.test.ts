// concurrency.test.ts: many clients at once (fetch and raw sockets), and the
// identity guarantees users build on: one Connection object per connection
// for all its events, unique ids, manager.connections, userdata, handlers.
import { MG_EV_HTTP_MSG, MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_OPEN, MG_EV_POLL, MG_EV_READ } from "tsmongoose";
import type { Connection } from "tsmongoose";
import { startServer, stopAllServers, waitFor } from "./helpers/server";
import { RawClient, getReq } from "./helpers/raw-client";
import { asHttp } from "./helpers/http";

afterEach(() => stopAllServers());

describe("200 clients at once", () => {
  test("200 concurrent fetch POSTs, each answered with its own data", async () => {
    const accepts = new Set<Connection>();
    const srv = await startServer((c, ev, d) => {
      if (ev === MG_EV_ACCEPT) accepts.add(c);
      if (ev !== MG_EV_HTTP_MSG) return;
      const hm = asHttp(d);
      c.replyJson({ uri: hm.uri, body: hm.bodyText, n: hm.queryVar("n") });
    });
    const results = await Promise.all(Array.from({ length: 200 }, async (_, i) => {
      const res = await fetch(`${srv.base}/c/${i}?n=${i}`, { method: "POST", body: `payload-${i}-${"x".repeat(i)}` });
      return { status: res.status, json: await res.json() as { uri: string; body: string; n: string } };
    }));
    results.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ uri: `/c/${i}`, body: `payload-${i}-${"x".repeat(i)}`, n: String(i) });
    });
    // fetch opened many parallel connections, not one.
    expect(accepts.size).toBeGreaterThanOrEqual(100);
  });

  test("200 raw sockets whose requests are all pending at once, answered from the 200th request's event", async () => {
    const pending: { conn: Connection; uri: string }[] = [];
    let peakConns = 0;
    const srv = await startServer((c, ev, d) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      pending.push({ conn: c, uri: asHttp(d).uri });
      if (pending.length === 200) {
        peakConns = srv.mgr.connections.filter((x) => x.isAccepted).length;
        for (const p of pending) p.conn.reply(200, `answer ${p.uri}`);
      }
    });
    const clients = await Promise.all(Array.from({ length: 200 }, () => RawClient.connect(srv.port)));
    try {
      await Promise.all(clients.map((c, i) => c.write(getReq(`/raw/${i}`))));
      const answers = await Promise.all(clients.map((c) => c.finalResponses(1, { timeoutMs: 10_000 })));
      answers.forEach(([r], i) => {
        expect(r.status).toBe(200);
        expect(r.body.toString()).toBe(`answer /raw/${i}`);
      });
    } finally {
      clients.forEach((c) => c.destroy());
    }
    expect(new Set(pending.map((p) => p.conn)).size).toBe(200);
    expect(new Set(pending.map((p) => p.conn.id)).size).toBe(200);
    expect(peakConns).toBeGreaterThanOrEqual(200);
    // Each connection's remote port is the port of one of our clients.
    const ports = new Set(clients.map((c) => c.localPort));
    for (const p of pending) expect(ports.has(p.conn.remoteAddr!.port)).toBe(true);
  });

  test("20 keep-alive clients x 10 pipelined requests: every answer in order", async () => {
    const srv = await startServer((c, ev, d) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, asHttp(d).uri); });
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(srv.port)));
    try {
      await Promise.all(clients.map((c, k) =>
        c.write(Array.from({ length: 10 }, (_, i) => getReq(`/k${k}/r${i}`)).join(""))));
      const all = await Promise.all(clients.map((c) => c.finalResponses(10, { timeoutMs: 10_000 })));
      all.forEach((rs, k) => {
        expect(rs.map((r) => r.body.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `/k${k}/r${i}`));
      });
    } finally {
      clients.forEach((c) => c.destroy());
    }
  });
});

describe("connection identity", () => {
  test("one Connection object per connection for all its events; unique ids; listener not confused", async () => {
    const byId = new Map<number, Set<Connection>>();
    const evsByConn = new Map<Connection, number[]>();
    const srv = await startServer((c, ev) => {
      if (!byId.has(c.id)) byId.set(c.id, new Set());
      byId.get(c.id)!.add(c);
      if (ev !== MG_EV_POLL) evsByConn.set(c, [...(evsByConn.get(c) ?? []), ev]);
      if (ev === MG_EV_HTTP_MSG) c.reply(200, String(c.id));
    });
    const clients = await Promise.all(Array.from({ length: 30 }, () => RawClient.connect(srv.port)));
    try {
      for (let round = 0; round < 3; round++) {
        await Promise.all(clients.map((c) => c.write(getReq(`/r${round}`))));
        await Promise.all(clients.map((c) => c.finalResponses(round + 1)));
      }
      // Each client saw the same id in all three answers.
      for (const c of clients) {
        const ids = (await c.finalResponses(3)).map((r) => r.body.toString());
        expect(new Set(ids).size).toBe(1);
      }
    } finally {
      clients.forEach((c) => c.destroy());
    }
    await waitFor(() => [...evsByConn.values()].filter((e) => e.includes(MG_EV_CLOSE)).length >= 30, 3000, "30 closes");
    for (const set of byId.values()) expect(set.size).toBe(1);
    const accepted = [...evsByConn.keys()].filter((c) => c !== srv.listener);
    expect(accepted).toHaveLength(30);
    for (const c of accepted) {
      const evs = evsByConn.get(c)!;
      expect(evs.filter((e) => e === MG_EV_HTTP_MSG)).toHaveLength(3);
      expect(evs.filter((e) => e === MG_EV_ACCEPT)).toHaveLength(1);
      expect(evs.filter((e) => e === MG_EV_CLOSE)).toHaveLength(1);
      expect(evs[evs.length - 1]).toBe(MG_EV_CLOSE);
      if (evs.includes(MG_EV_OPEN)) expect(evs.indexOf(MG_EV_OPEN)).toBeLessThan(evs.indexOf(MG_EV_ACCEPT));
    }
    expect(new Set(accepted.map((c) => c.id)).size).toBe(30);
    expect(accepted.every((c) => c.id !== srv.listener.id)).toBe(true);
  });

  test("manager.connections holds the listener and each open connection, and drops closed ones", async () => {
    const inList: boolean[] = [];
    let conn: Connection | undefined;
    const srv = await startServer((c, ev) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      conn = c;
      inList.push(srv.mgr.connections.includes(c));
      c.reply(200, "x");
    });
    expect(srv.mgr.connections).toContain(srv.listener);
    const client = await RawClient.connect(srv.port);
    await client.write(getReq("/"));
    await client.finalResponses(1);
    expect(inList).toEqual([true]);
    expect(srv.mgr.connections).toContain(conn);
    expect(srv.mgr.connections.filter((c) => c.isAccepted)).toEqual([conn]);
    client.destroy();
    await waitFor(() => !srv.mgr.connections.includes(conn!), 3000, "connection removed");
    expect(srv.mgr.connections).toEqual([srv.listener]);
  });

  test("userdata set at accept is there at every later event", async () => {
    const seen: unknown[] = [];
    let counter = 0;
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_ACCEPT) c.userdata = { n: ++counter, hits: 0 };
      if (ev === MG_EV_HTTP_MSG) {
        const u = c.userdata as { n: number; hits: number };
        u.hits++;
        seen.push({ ...u });
        c.reply(200, `${u.n}:${u.hits}`);
      }
    });
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    try {
      await a.write(getReq("/") + getReq("/"));
      await a.finalResponses(2);
      await b.write(getReq("/"));
      const [rb] = await b.finalResponses(1);
      const ra = await a.finalResponses(2);
      expect(ra.map((r) => r.body.toString())).toEqual(["1:1", "1:2"]);
      expect(rb.body.toString()).toBe("2:1");
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  test("setHandler() switches the handler of one connection only; listen({ handler }) scopes a handler", async () => {
    const mgrLevel: number[] = [];
    const handlerSet: boolean[] = [];
    const srv = await startServer((c, ev) => {
      if (ev === MG_EV_ACCEPT) mgrLevel.push(c.id);
      if (ev === MG_EV_HTTP_MSG) {
        c.reply(200, "manager handler");
        const special = (c2: Connection, ev2: number) => { if (ev2 === MG_EV_HTTP_MSG) c2.reply(200, "switched"); };
        c.setHandler(special);
        handlerSet.push(c.handler === special);
      }
    });
    let scoped = 0;
    const other = srv.mgr.listen("tcp://127.0.0.1:0", {
      handler: (c: Connection, ev: number) => { if (ev === MG_EV_READ) { scoped++; c.send(c.recvData()); } },
    });
    const a = await RawClient.connect(srv.port);
    const b = await RawClient.connect(srv.port);
    const t = await RawClient.connect(other.localAddr!.port);
    try {
      await a.write(getReq("/1"));
      await a.finalResponses(1);
      await a.write(getReq("/2"));
      const ra = await a.finalResponses(2);
      expect(ra.map((r) => r.body.toString())).toEqual(["manager handler", "switched"]);
      await b.write(getReq("/1"));
      const [rb] = await b.finalResponses(1);
      expect(rb.body.toString()).toBe("manager handler");
      await t.write("echo");
      await t.waitUntil(() => t.data.toString() === "echo", 3000, "echo");
    } finally {
      a.destroy(); b.destroy(); t.destroy();
    }
    expect(handlerSet).toEqual([true, true]);
    expect(scoped).toBeGreaterThan(0);
    // The tcp listener's connections never reached the manager-level handler.
    expect(mgrLevel).toHaveLength(2);
  });
});
