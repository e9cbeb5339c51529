// tls.test.ts: TLS servers and clients (issue 11, items 1-3 and 6) against
// real peers: curl (--cacert, --cert), fetch through an undici Agent,
// node:https, and openssl s_client for the failure cases. Certificates are
// made by openssl for this run (helpers/suite.certs.ts).
import * as https from "node:https";
import * as tls from "node:tls";
import type { AddressInfo } from "node:net";
import { Agent, fetch } from "undici";
import {
  DEFAULTS, memoryNetwork, Manager, MongooseError, ConnectionClosedError,
  MG_EV_ACCEPT, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_READ, MG_EV_TLS_HS, MG_EV_CLOSE,
  type Connection,
} from "tsmongoose";
import { curl } from "./helpers/curl";
import { asHttp } from "./helpers/http";
import { backgroundPoll, makeManager, waitFor } from "./helpers/server";
import { EventLog, loggedManager, sClient, tlsSuite, waitClosed } from "./helpers/tls";

const suite = tlsSuite();
const { cleanups } = suite;

/** A TLS HTTP server with the listen shorthand; its port and log. */
async function httpsServer(tlsOpts: Record<string, unknown>) {
  const s = await loggedManager();
  cleanups.push(s.stop);
  const listener = s.mgr.listen("https://127.0.0.1:0", { tls: tlsOpts });
  return { ...s, listener, port: listener.localAddr.port };
}

/** Exactly one MG_EV_ERROR, then MG_EV_CLOSE last, and no handshake or request in between. */
function expectFailedOnce(log: EventLog, id: number, reason: RegExp): void {
  const ev = log.events.get(id) ?? [];
  expect(ev.filter((e) => e === "MG_EV_ERROR")).toHaveLength(1);
  expect(ev[ev.length - 1]).toBe("MG_EV_CLOSE");
  expect(ev.indexOf("MG_EV_ERROR")).toBe(ev.length - 2);
  expect(ev).not.toContain("MG_EV_TLS_HS");
  expect(ev).not.toContain("MG_EV_HTTP_MSG");
  expect(log.errors.get(id)?.[0]).toMatch(reason);
}

/** A keep-alive fetch client trusting the test CA. */
function agent(extra: Record<string, unknown> = {}): Agent {
  const a = new Agent({ connect: { ca: suite.certs.ca.cert, ...extra }, keepAliveTimeout: 30_000 });
  cleanups.push(() => a.close());
  return a;
}

describe("TLS server", () => {
  test("https:// listen shorthand: curl --cacert by IP and by name, MG_EV_TLS_HS once, isTls", async () => {
    const { mgr, port, log } = await httpsServer({ cert: suite.certs.server.cert, key: suite.certs.server.key });
    const peers: string[] = [];
    const logged = mgr.handler! as (c: Connection, ev: number, data: unknown) => unknown;
    mgr.handler = (c: Connection, ev: number, data: unknown) => {
      if (ev === MG_EV_ACCEPT) peers.push(`${c.isTls} ${c.remoteAddr.address} ${c.localAddr.port === port}`);
      return logged(c, ev, data);
    };
    for (const host of ["127.0.0.1", "localhost"]) {
      const r = await curl(["-s", "--cacert", suite.certs.ca.certFile, `https://${host}:${port}/a`, `https://${host}:${port}/b`]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout.toString()).toBe("hello /a tls=truehello /b tls=true");
    }
    const served = log.idsWith("MG_EV_HTTP_MSG");
    expect(served).toHaveLength(2); // curl reused one connection per host
    expect(peers).toEqual(["true 127.0.0.1 true", "true 127.0.0.1 true"]); // known on MG_EV_ACCEPT, before the handshake
    for (const id of served) {
      const ev = log.events.get(id)!;
      expect(ev.filter((e) => e === "MG_EV_TLS_HS")).toHaveLength(1);
      expect(ev.indexOf("MG_EV_ACCEPT")).toBeLessThan(ev.indexOf("MG_EV_TLS_HS"));
      expect(ev.indexOf("MG_EV_TLS_HS")).toBeLessThan(ev.indexOf("MG_EV_HTTP_MSG"));
    }
  });

  test("fetch through an undici Agent with the CA: keep-alive, ALPN http/1.1", async () => {
    const { port, log } = await httpsServer({ cert: suite.certs.server.cert, key: suite.certs.server.key });
    const dispatcher = agent();
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`https://localhost:${port}/r${i}`, { dispatcher });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(`hello /r${i} tls=true`);
    }
    // undici keeps a second connection when the next request starts before
    // the first is back in its pool; both are reused.
    expect(log.idsWith("MG_EV_TLS_HS").length).toBeLessThanOrEqual(2);
    const alpn = await new Promise<string | false>((resolve, reject) => {
      const s = tls.connect({ host: "127.0.0.1", port, ca: suite.certs.ca.cert, ALPNProtocols: ["h2", "http/1.1"] }, () => {
        resolve(s.alpnProtocol ?? false);
        s.end();
      });
      s.on("error", reject);
    });
    expect(alpn).toBe("http/1.1");
  });

  test("tlsInit on MG_EV_ACCEPT over tls://, also when input waited in the queue before the handler ran", async () => {
    const mgr = await makeManager();
    cleanups.push(() => mgr.close());
    const seen: string[] = [];
    const listener = mgr.listen("tls://127.0.0.1:0", {
      handler: (c: Connection, ev: number) => {
        if (ev === MG_EV_ACCEPT) c.tlsInit({ cert: suite.certs.server.cert, key: suite.certs.server.key });
        if (ev === MG_EV_TLS_HS) seen.push(`hs ${c.isTls}`);
        if (ev === MG_EV_READ) c.send(`echo:${Buffer.from(c.recvData()).toString()}`);
      },
    });
    const port = listener.localAddr.port;
    // Nobody polls yet: the accept and the ClientHello queue up in the manager.
    const client = tls.connect({ host: "127.0.0.1", port, ca: suite.certs.ca.cert });
    cleanups.push(() => { client.destroy(); });
    await waitFor(() => (mgr as unknown as { _queuedItems: number })._queuedItems >= 2, 5000, "queued accept + ClientHello");
    let got = "";
    client.on("data", (d: Buffer) => { got += d.toString(); });
    client.once("secureConnect", () => client.write("ping"));
    const end = Date.now() + 5000;
    while (got !== "echo:ping" && Date.now() < end) await mgr.poll(10);
    expect(got).toBe("echo:ping");
    expect(seen).toEqual(["hs true"]);
  });

  test("mutual TLS: ca on the server asks for a client certificate and verifies it", async () => {
    const { port, log } = await httpsServer({ cert: suite.certs.server.cert, key: suite.certs.server.key, ca: suite.certs.ca.cert });
    const ok = await curl(["-s", "--cacert", suite.certs.ca.certFile, "--cert", suite.certs.client.certFile, "--key", suite.certs.client.keyFile,
      `https://localhost:${port}/mtls`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.toString()).toBe("hello /mtls tls=true");

    // No client certificate, then one from a CA the server does not trust: openssl s_client.
    const none = await sClient(port, ["-CAfile", suite.certs.ca.certFile], "GET / HTTP/1.0\r\n\r\n");
    expect(none.out).not.toMatch(/HTTP\/1\.[01] 200/);
    const rogue = await sClient(port, ["-CAfile", suite.certs.ca.certFile, "-cert", suite.certs.rogueClient.certFile,
      "-key", suite.certs.rogueClient.keyFile], "GET / HTTP/1.0\r\n\r\n");
    expect(rogue.out).not.toMatch(/HTTP\/1\.[01] 200/);
    await waitFor(() => log.idsWith("MG_EV_ERROR").length === 2 && log.idsWith("MG_EV_ERROR").every((id) =>
      log.events.get(id)!.includes("MG_EV_CLOSE")), 5000, "two failed handshakes");
    const [idNone, idRogue] = log.idsWith("MG_EV_ERROR");
    expectFailedOnce(log, idNone, /^TLS handshake failed \(ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE\): peer did not return a certificate$/);
    expectFailedOnce(log, idRogue, /^TLS handshake failed \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): client certificate rejected: unable to verify the first certificate$/);
  });

  test("SNI: several certificates on one listener, chosen by server name", async () => {
    const { port } = await httpsServer({
      cert: suite.certs.server.cert, key: suite.certs.server.key,
      sni: { "other.test": { cert: suite.certs.other.cert, key: suite.certs.other.key } },
    });
    const other = await curl(["-s", "--cacert", suite.certs.ca.certFile, "--resolve", `other.test:${port}:127.0.0.1`,
      `https://other.test:${port}/sni`]);
    expect(other.stderr).toBe("");
    expect(other.stdout.toString()).toBe("hello /sni tls=true");
    const dflt = await curl(["-s", "--cacert", suite.certs.ca.certFile, `https://localhost:${port}/plain`]);
    expect(dflt.stdout.toString()).toBe("hello /plain tls=true");
    // The name decides which certificate: other.test's does not cover localhost.
    const wrong = await curl(["-s", "--cacert", suite.certs.ca.certFile, "--resolve", `unknown.test:${port}:127.0.0.1`,
      `https://unknown.test:${port}/`]);
    expect(wrong.code).not.toBe(0);
  });

  test("handshake failures server side: plain HTTP and TLS 1.1 clients get one MG_EV_ERROR each; a keep-alive client is unaffected", async () => {
    const { port, log } = await httpsServer({ cert: suite.certs.server.cert, key: suite.certs.server.key });
    const dispatcher = agent();
    const first = await fetch(`https://localhost:${port}/before`, { dispatcher });
    expect(await first.text()).toBe("hello /before tls=true");
    const [bystander] = log.idsWith("MG_EV_HTTP_MSG");

    const plain = await curl(["-s", `http://127.0.0.1:${port}/`]);
    expect(plain.stdout.toString()).not.toContain("hello");
    const old = await sClient(port, ["-tls1_1", "-CAfile", suite.certs.ca.certFile], "GET / HTTP/1.0\r\n\r\n");
    expect(old.out).not.toMatch(/HTTP\/1\.[01] 200/);
    await waitFor(() => log.idsWith("MG_EV_ERROR").filter((id) => log.events.get(id)!.includes("MG_EV_CLOSE")).length === 2,
      5000, "two failed handshakes");
    const [idPlain, idOld] = log.idsWith("MG_EV_ERROR");
    expectFailedOnce(log, idPlain, /^TLS handshake failed \(ERR_SSL_HTTP_REQUEST\): http request$/);
    expectFailedOnce(log, idOld, /^TLS handshake failed \(ERR_SSL_UNSUPPORTED_PROTOCOL\): unsupported protocol$/);

    const after = await fetch(`https://localhost:${port}/after`, { dispatcher });
    expect(await after.text()).toBe("hello /after tls=true");
    expect(log.idsWith("MG_EV_HTTP_MSG")).toEqual([bystander]); // same connection, still served
    expect(log.events.get(bystander)).not.toContain("MG_EV_ERROR");
  });

  test("a handshake that never comes times out: MG_EV_ERROR names it", async () => {
    const { port, log } = await httpsServer({ cert: suite.certs.server.cert, key: suite.certs.server.key, handshakeTimeoutMs: 200 });
    const net = await import("node:net");
    const idle = net.connect(port, "127.0.0.1");
    cleanups.push(() => { idle.destroy(); });
    await waitFor(() => log.idsWith("MG_EV_ERROR").length === 1 && log.events.get(log.idsWith("MG_EV_ERROR")[0])!.includes("MG_EV_CLOSE"),
      5000, "the handshake timeout");
    expectFailedOnce(log, log.idsWith("MG_EV_ERROR")[0], /^TLS handshake failed \(ERR_TLS_HANDSHAKE_TIMEOUT\): no handshake within 200 ms$/);
  });

  test("the idle timeout never cuts a handshake: a silent client meets handshakeTimeoutMs (default DEFAULTS.tls's)", async () => {
    // The bug: idleTimeoutMs (5000) closed a client that never sent a
    // ClientHello before the documented handshakeTimeoutMs (10000). Scaled
    // down: idle 100 ms against a 600 ms handshake timeout.
    const log = new EventLog();
    const mgr = await makeManager((c: Connection, ev: number, data: unknown) => log.record(c, ev, data), { limits: { idleTimeoutMs: 100 } });
    const loop = backgroundPoll(mgr, 10);
    cleanups.push(async () => { const done = loop.stop(); mgr.close(); await done; });
    // The handshake timeouts the network is handed (it still runs them).
    const given: number[] = [];
    const network = mgr._network as unknown as { tlsInit(id: number, p: { handshakeTimeoutMs: number }, pending: unknown): void };
    const tlsInit = network.tlsInit.bind(network);
    network.tlsInit = (id, p, pending) => { given.push(p.handshakeTimeoutMs); tlsInit(id, p, pending); };
    const { cert, key } = suite.certs.server;
    const short = mgr.listen("https://127.0.0.1:0", { tls: { cert, key, handshakeTimeoutMs: 600 } });
    const dflt = mgr.listen("https://127.0.0.1:0", { tls: { cert, key } });
    const net = await import("node:net");
    const t0 = performance.now();
    const quiet = net.connect(short.localAddr.port, "127.0.0.1");
    cleanups.push(() => { quiet.destroy(); });
    await waitFor(() => given.length === 1, 5000, "the first accept");
    const quietDefault = net.connect(dflt.localAddr.port, "127.0.0.1");
    cleanups.push(() => { quietDefault.destroy(); });
    await waitFor(() => given.length === 2, 5000, "the second accept");
    expect(given).toEqual([600, DEFAULTS.tls.handshakeTimeoutMs]);
    expect(DEFAULTS.tls.handshakeTimeoutMs).toBe(10_000); // what docs/tls.md and docs/api.md say
    await waitFor(() => log.idsWith("MG_EV_ERROR").length === 1 && log.events.get(log.idsWith("MG_EV_ERROR")[0])!.includes("MG_EV_CLOSE"),
      5000, "the handshake timeout");
    const elapsed = performance.now() - t0;
    const [failed] = log.idsWith("MG_EV_ERROR");
    expectFailedOnce(log, failed, /^TLS handshake failed \(ERR_TLS_HANDSHAKE_TIMEOUT\): no handshake within 600 ms$/);
    expect(elapsed).toBeGreaterThanOrEqual(590); // not the 100 ms idle timeout
    // The client on the default listener has been silent for 5+ idle timeouts and is still open.
    const open = log.idsWith("MG_EV_ACCEPT").filter((id) => id !== failed);
    expect(open).toHaveLength(1);
    expect(log.events.get(open[0])!.filter((e) => e !== "MG_EV_POLL")).toEqual(["MG_EV_OPEN", "MG_EV_ACCEPT"]);
  });
});

describe("TLS client", () => {
  /** A node:https server with `cert`; answers "node says hi". */
  async function nodeHttps(cert: { cert: string; key: string }): Promise<number> {
    const srv = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => res.end(`node says hi ${req.url}`));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }));
    return (srv.address() as AddressInfo).port;
  }

  /** GET `url` with mgr.connect; resolves with the body, or the MG_EV_ERROR message. */
  async function get(url: string, opts: { tls?: Record<string, unknown>; manual?: Record<string, unknown> } = {}) {
    const s = await loggedManager();
    cleanups.push(s.stop);
    let result: { body?: string; error?: string; tls?: boolean } | undefined;
    const conn = s.mgr.connect(url, {
      tls: opts.tls,
      handler: (c: Connection, ev: number, data: unknown) => {
        s.log.record(c, ev, data);
        if (ev === MG_EV_CONNECT) {
          if (opts.manual) c.tlsInit(opts.manual);
          c.send(`GET /c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
        }
        if (ev === MG_EV_HTTP_MSG) result = { body: asHttp(data).bodyText, tls: c.isTls };
        if (ev === MG_EV_ERROR) result ??= { error: String(data) };
        if (ev === MG_EV_CLOSE) result ??= { error: "closed" };
      },
    });
    await waitFor(() => result !== undefined && s.log.events.get(conn.id)?.includes("MG_EV_CLOSE") === true, 8000, `GET ${url}`);
    return { ...result!, events: s.log.events.get(conn.id)!, id: conn.id };
  }

  test("https:// to node:https with the CA: MG_EV_CONNECT, then MG_EV_TLS_HS, then the answer", async () => {
    const port = await nodeHttps(suite.certs.server);
    const r = await get(`https://localhost:${port}/`, { tls: { ca: suite.certs.ca.cert } });
    expect(r.body).toBe("node says hi /c");
    expect(r.tls).toBe(true);
    expect(r.events.indexOf("MG_EV_CONNECT")).toBeLessThan(r.events.indexOf("MG_EV_TLS_HS"));
    expect(r.events.indexOf("MG_EV_TLS_HS")).toBeLessThan(r.events.indexOf("MG_EV_HTTP_MSG"));
  });

  test("tlsInit by hand on MG_EV_CONNECT, by IP address (SAN IP:127.0.0.1)", async () => {
    const port = await nodeHttps(suite.certs.server);
    const r = await get(`https://127.0.0.1:${port}/`, { manual: { ca: suite.certs.ca.cert } });
    expect(r.error).toBeUndefined();
    expect(r.body).toBe("node says hi /c");
    expect(r.events.filter((e) => e === "MG_EV_TLS_HS")).toHaveLength(1);
  });

  test("verification on by default: unknown CA, expired, wrong host, Node's root store each fail with one MG_EV_ERROR naming why", async () => {
    const good = await nodeHttps(suite.certs.server);
    const expired = await nodeHttps(suite.certs.expired);
    const wrong = await nodeHttps(suite.certs.wrongHost);
    const cases: [string, Record<string, unknown> | undefined, RegExp][] = [
      [`https://localhost:${good}/`, { ca: suite.certs.otherCa.cert }, /^TLS handshake failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)\): /],
      [`https://localhost:${good}/`, undefined, /^TLS handshake failed \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)\): /],
      [`https://localhost:${expired}/`, { ca: suite.certs.ca.cert }, /^TLS handshake failed \(CERT_HAS_EXPIRED\): certificate has expired$/],
      [`https://localhost:${wrong}/`, { ca: suite.certs.ca.cert }, /^TLS handshake failed \(ERR_TLS_CERT_ALTNAME_INVALID\): Host: localhost\. is not in the cert's altnames: DNS:wrong\.example$/],
      [`https://localhost:${good}/`, { ca: suite.certs.ca.cert, name: "elsewhere.test" }, /^TLS handshake failed \(ERR_TLS_CERT_ALTNAME_INVALID\): Host: elsewhere\.test\. is not in the cert's altnames: /],
    ];
    for (const [url, tlsOpts, reason] of cases) {
      const r = await get(url, { tls: tlsOpts });
      expect(r.body).toBeUndefined();
      expect(r.events.filter((e) => e === "MG_EV_ERROR")).toHaveLength(1);
      expect(r.events.slice(-2)).toEqual(["MG_EV_ERROR", "MG_EV_CLOSE"]);
      expect(r.events).not.toContain("MG_EV_TLS_HS");
      expect(r.error).toMatch(reason);
    }
  });

  test("skipVerification has to be asked for by name, and then accepts the wrong host", async () => {
    const wrong = await nodeHttps(suite.certs.wrongHost);
    const r = await get(`https://localhost:${wrong}/`, { tls: { skipVerification: true } });
    expect(r.body).toBe("node says hi /c");
  });

  test("a client certificate for a mutual-TLS server (our own listener)", async () => {
    const { port } = await httpsServer({ cert: suite.certs.server.cert, key: suite.certs.server.key, ca: suite.certs.ca.cert });
    const r = await get(`https://localhost:${port}/`, { tls: { ca: suite.certs.ca.cert, cert: suite.certs.client.cert, key: suite.certs.client.key } });
    expect(r.body).toBe("hello /c tls=true");
    const denied = await get(`https://localhost:${port}/`, { tls: { ca: suite.certs.ca.cert } });
    expect(denied.body).toBeUndefined();
    expect(denied.error).toMatch(/TLS|certificate|closed/i);
  });
});

describe("TLS arguments", () => {
  test("bad options throw TypeError/RangeError naming the value; nothing is bound", async () => {
    const mgr = await makeManager();
    cleanups.push(() => mgr.close());
    expect(() => mgr.listen("https://127.0.0.1:0", { tls: { cert: 5 } as never })).toThrow(/tls\.cert must be a PEM string or Uint8Array, got 5/);
    expect(() => mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert } })).toThrow(/cert and tls\.key go together/);
    expect(() => mgr.listen("https://127.0.0.1:0", { tls: {} })).toThrow(/a TLS server needs tls\.cert and tls\.key/);
    expect(() => mgr.listen("https://127.0.0.1:0", { tls: { cert: "junk", key: "junk" } })).toThrow(MongooseError);
    expect(() => mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key, handshakeTimeoutMs: -1 } }))
      .toThrow(RangeError);
    expect(() => mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key, sni: { "bad name!": {} } } as never }))
      .toThrow(/tls\.sni key "bad name!"/);
    expect(() => mgr.connect("https://localhost:1/", { tls: { skipVerification: "yes" } as never })).toThrow(/skipVerification must be a boolean/);
    expect(mgr.connections).toHaveLength(0);
  });

  test("tlsInit twice throws ERR_TLS_STARTED; a closed connection throws ConnectionClosedError", async () => {
    const { mgr, port } = await httpsServer({ cert: suite.certs.server.cert, key: suite.certs.server.key });
    const errors: unknown[] = [];
    let closedConn: Connection | undefined;
    mgr.handler = (c: Connection, ev: number, _data: unknown) => {
      if (ev === MG_EV_ACCEPT) {
        try { c.tlsInit({ cert: suite.certs.server.cert, key: suite.certs.server.key }); } catch (e) { errors.push(e); }
      }
      if (ev === MG_EV_HTTP_MSG) c.reply(200, "ok");
      if (ev === MG_EV_CLOSE) closedConn = c;
    };
    const r = await curl(["-s", "--cacert", suite.certs.ca.certFile, `https://localhost:${port}/`]);
    expect(r.stdout.toString()).toBe("ok");
    expect(errors).toHaveLength(1);
    expect((errors[0] as MongooseError).code).toBe("ERR_TLS_STARTED");
    await waitFor(() => closedConn !== undefined, 5000, "close");
    expect(() => closedConn!.tlsInit({})).toThrow(ConnectionClosedError);
  });

  test("the memory network has no TLS: ERR_TLS_UNSUPPORTED", async () => {
    const mgr = new Manager(undefined, { network: memoryNetwork() });
    cleanups.push(() => mgr.close());
    let err: unknown;
    try { mgr.listen("https://tls-test:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key } }); } catch (e) { err = e; }
    expect((err as MongooseError).code).toBe("ERR_TLS_UNSUPPORTED");
    const l = mgr.listen("mem://plain");
    let err2: unknown;
    try { l.tlsInit({ cert: suite.certs.server.cert, key: suite.certs.server.key }); } catch (e) { err2 = e; }
    expect((err2 as MongooseError).code).toBe("ERR_TLS_UNSUPPORTED");
  });
});

