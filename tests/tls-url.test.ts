// tls-url.test.ts: a URL that says TLS never carries plaintext (issue 22,
// item 4). Listeners on https://, tls://, ssl://, wss:// and mqtts:// with no
// `tls` option and no tlsInit() at MG_EV_ACCEPT close every connection with
// MG_EV_ERROR ERR_TLS_NOT_CONFIGURED before a byte is read or written;
// listen() throws at once when nothing could ever start TLS. Clients on a
// TLS URL send nothing but TLS: raw node:net servers record what arrives.
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import {
  Manager, MongooseError, TlsNotConfiguredError, memoryNetwork, ConnectionError,
  MG_EV_ACCEPT, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_OPEN, MG_EV_POLL, MG_EV_READ,
  type Connection,
} from "tsmongoose";
import { curl } from "./helpers/curl";
import { makeManager, waitFor } from "./helpers/server";
import { EventLog, tlsSuite } from "./helpers/tls";

const suite = tlsSuite();
const { cleanups } = suite;

/** The fix an accepted connection's error must name. */
const SERVER_FIX = /pass \{ tls: \{ cert, key \} \} to listen\(\) or call conn\.tlsInit\(\{ cert, key \}\) on MG_EV_ACCEPT/;

/** A polled manager whose handler logs, greets on MG_EV_ACCEPT (a plaintext write attempt) and answers what it reads. */
async function greetingServer(onAccept?: (c: Connection) => void): Promise<{ mgr: Manager; log: EventLog; errors: unknown[] }> {
  const log = new EventLog();
  const errors: unknown[] = [];
  const mgr = await suite.polled((c, ev, data) => {
    if (ev !== MG_EV_POLL) log.record(c, ev, data);
    if (ev === MG_EV_ACCEPT) {
      onAccept?.(c);
      c.send("banner\r\n");
    }
    if (ev === MG_EV_ERROR) errors.push(data);
    if (ev === MG_EV_HTTP_MSG) c.reply(200, "served\n");
    else if (ev === MG_EV_READ) c.send("echo\n");
  });
  return { mgr, log, errors };
}

/** Connect to 127.0.0.1:port, write `request`, collect every byte until the server closes. */
function rawExchange(port: number, request: string, timeoutMs = 5000): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => s.write(request));
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("error", () => undefined); // a reset is a close too
    s.on("close", () => done(true));
  });
}

/** A raw node:net server recording every byte each peer sends, and when it hung up. */
async function recorder(): Promise<{ port: number; peers: { bytes: Buffer[]; closed: boolean }[] }> {
  const peers: { bytes: Buffer[]; closed: boolean }[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    const p = { bytes: [] as Buffer[], closed: false };
    peers.push(p);
    sockets.add(s);
    s.on("data", (d: Buffer) => p.bytes.push(d));
    s.on("error", () => undefined);
    s.on("close", () => { p.closed = true; sockets.delete(s); });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  cleanups.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }));
  return { port: (srv.address() as AddressInfo).port, peers };
}

/** The one error of an accepted connection: ERR_TLS_NOT_CONFIGURED naming the fix, a TlsNotConfiguredError as cause. */
function expectNotConfigured(err: unknown, scheme: string): void {
  expect(err).toBeInstanceOf(ConnectionError);
  const e = err as ConnectionError;
  expect(e.code).toBe("ERR_TLS_NOT_CONFIGURED");
  expect(e.message).toContain(`${scheme}://`);
  expect(e.cause).toBeInstanceOf(TlsNotConfiguredError);
  expect(e.cause).toBeInstanceOf(MongooseError);
}

describe("TLS listeners without TLS", () => {
  test("https:// with a handler but no tls: curl http:// gets no answer, curl https:// fails; one MG_EV_ERROR naming the fix", async () => {
    const { mgr, log, errors } = await greetingServer();
    const port = mgr.listen("https://127.0.0.1:0").localAddr.port;
    const plain = await curl(["-s", "-m", "10", `http://127.0.0.1:${port}/`]);
    expect(plain.stdout.toString()).toBe("");
    expect(plain.code).not.toBe(0);
    const secure = await curl(["-s", "-m", "10", "--cacert", suite.certs.ca.certFile, `https://127.0.0.1:${port}/`]);
    expect(secure.stdout.toString()).toBe("");
    expect(secure.code).not.toBe(0);
    await waitFor(() => log.idsWith("MG_EV_CLOSE").length === 2, 5000, "both connections closed");
    for (const id of log.idsWith("MG_EV_ACCEPT")) {
      expect(log.events.get(id)).toEqual(["MG_EV_OPEN", "MG_EV_ACCEPT", "MG_EV_ERROR", "MG_EV_CLOSE"]);
    }
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expectNotConfigured(e, "https");
      expect((e as Error).message).toMatch(SERVER_FIX);
    }
  });

  test.each(["tls", "ssl", "wss", "mqtts"])("%s:// listener: not one plaintext byte read or written, the connection errors and closes", async (scheme) => {
    const { mgr, log, errors } = await greetingServer();
    const listener = scheme === "mqtts" ? mgr.mqttListen("mqtts://127.0.0.1:0") : mgr.listen(`${scheme}://127.0.0.1:0`);
    // Bytes a plaintext server would answer: an HTTP request, a line, an MQTT CONNECT.
    const request = scheme === "wss" ? "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
      : scheme === "mqtts" ? "\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00" : "ping\n";
    const r = await rawExchange(listener.localAddr.port, request);
    expect(r.closed).toBe(true);
    expect(r.bytes.toString("latin1")).toBe("");
    await waitFor(() => log.idsWith("MG_EV_CLOSE").length === 1, 5000, "the connection closed");
    const [id] = log.idsWith("MG_EV_ACCEPT");
    expect(log.events.get(id)).toEqual(["MG_EV_OPEN", "MG_EV_ACCEPT", "MG_EV_ERROR", "MG_EV_CLOSE"]);
    expect(errors).toHaveLength(1);
    expectNotConfigured(errors[0], scheme === "mqtts" ? "tls" : scheme);
  });

  test("the Mongoose way still works: tlsInit at MG_EV_ACCEPT on https://, curl gets the answer over TLS", async () => {
    const log = new EventLog();
    const mgr = await suite.polled((c, ev, data) => {
      log.record(c, ev, data);
      if (ev === MG_EV_ACCEPT) c.tlsInit({ cert: suite.certs.server.cert, key: suite.certs.server.key });
      if (ev === MG_EV_HTTP_MSG) c.reply(200, `served tls=${c.isTls}\n`);
    });
    const port = mgr.listen("https://127.0.0.1:0").localAddr.port;
    const r = await curl(["-s", "-m", "10", "--cacert", suite.certs.ca.certFile, `https://localhost:${port}/`]);
    expect(r.stdout.toString()).toBe("served tls=true\n");
    expect(log.allErrors()).toEqual([]);
  });

  test("listener.tlsFree() on https:// does not fall back to plaintext", async () => {
    const { mgr, errors } = await greetingServer();
    const listener = mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key } });
    listener.tlsFree();
    const r = await rawExchange(listener.localAddr.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(r.bytes.toString("latin1")).toBe("");
    expect(r.closed).toBe(true);
    await waitFor(() => errors.length === 1, 5000, "the error");
    expectNotConfigured(errors[0], "https");
  });

  test("listen() throws at once when nothing could start TLS: no tls and no handler; no TLS in the network", async () => {
    const mgr = await makeManager();
    cleanups.push(() => mgr.close());
    for (const url of ["https://127.0.0.1:0", "tls://127.0.0.1:0", "ssl://127.0.0.1:0", "wss://127.0.0.1:0"]) {
      let err: unknown;
      try { mgr.listen(url); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(TlsNotConfiguredError);
      expect((err as MongooseError).code).toBe("ERR_TLS_NOT_CONFIGURED");
      expect((err as Error).message).toContain(url);
      expect((err as Error).message).toMatch(/pass \{ tls: \{ cert, key \} \} to listen\(\), or a handler that calls conn\.tlsInit\(\{ cert, key \}\) on MG_EV_ACCEPT/);
    }
    expect(() => mgr.mqttListen("mqtts://127.0.0.1:0")).toThrow(TlsNotConfiguredError);
    expect(mgr.connections).toHaveLength(0);
    // Given a handler (the listener's or the manager's), listen() binds; plain schemes never throw.
    expect(mgr.listen("https://127.0.0.1:0", { handler: () => undefined }).isListening).toBe(true);
    expect(mgr.listen("http://127.0.0.1:0").isListening).toBe(true);
    mgr.handler = () => undefined;
    expect(mgr.listen("tls://127.0.0.1:0").isListening).toBe(true);

    const mem = new Manager(() => undefined, { network: memoryNetwork() });
    cleanups.push(() => mem.close());
    let err: unknown;
    try { mem.listen("https://tls-url-test:0"); } catch (e) { err = e; }
    expect((err as MongooseError).code).toBe("ERR_TLS_UNSUPPORTED");
    expect(mem.connections).toHaveLength(0);
  });
});

describe("TLS clients send no plaintext", () => {
  /** Events of a client connection, its MG_EV_ERROR, and when MG_EV_CLOSE came. */
  function clientLog(): { log: EventLog; errors: unknown[]; handler: (c: Connection, ev: number, data: unknown) => void } {
    const log = new EventLog();
    const errors: unknown[] = [];
    return {
      log, errors,
      handler: (c, ev, data) => {
        if (ev !== MG_EV_POLL) log.record(c, ev, data);
        if (ev === MG_EV_ERROR) errors.push(data);
      },
    };
  }

  test.each(["https", "tls", "ssl"])("connect(%s://): by default the first byte on the wire is a TLS record, never the request", async (scheme) => {
    const { port, peers } = await recorder();
    const { handler } = clientLog();
    const mgr = await suite.polled();
    mgr.connect(`${scheme}://127.0.0.1:${port}/`, {
      handler: (c, ev, data) => {
        handler(c, ev, data);
        if (ev === MG_EV_OPEN || ev === MG_EV_CONNECT) c.send(`GET /secret-${ev} HTTP/1.1\r\nHost: x\r\n\r\n`);
      },
    });
    await waitFor(() => peers.length === 1 && Buffer.concat(peers[0].bytes).length >= 5, 5000, "a ClientHello");
    const got = Buffer.concat(peers[0].bytes);
    expect(got[0]).toBe(0x16); // TLS handshake record
    expect(got.toString("latin1")).not.toContain("secret");
  });

  test.each([
    ["connect https:// + tlsFree() at MG_EV_OPEN", "open"],
    ["connect tls:// + tlsFree() at MG_EV_CONNECT", "connect"],
    ["wsConnect wss:// + tlsFree()", "ws"],
    ["mqttConnect mqtts:// + tlsFree()", "mqtt"],
  ])("%s: MG_EV_ERROR ERR_TLS_NOT_CONFIGURED, the server receives nothing", async (_name, how) => {
    const { port, peers } = await recorder();
    const { log, errors, handler } = clientLog();
    const mgr = await suite.polled();
    let conn: Connection;
    const h = (c: Connection, ev: number, data: unknown): void => {
      handler(c, ev, data);
      if (ev === MG_EV_OPEN && how === "open") c.tlsFree();
      if (ev === MG_EV_CONNECT) {
        if (how === "connect") c.tlsFree();
        c.send("GET /secret HTTP/1.1\r\nHost: x\r\n\r\n");
      }
    };
    if (how === "ws") {
      conn = mgr.wsConnect(`wss://127.0.0.1:${port}/secret`, { handler: h });
      conn.tlsFree();
    } else if (how === "mqtt") {
      conn = mgr.mqttConnect(`mqtts://127.0.0.1:${port}`, { handler: h, clientId: "secret" });
      conn.tlsFree();
    } else {
      conn = mgr.connect(`${how === "open" ? "https" : "tls"}://127.0.0.1:${port}/`, { handler: h });
    }
    await waitFor(() => log.events.get(conn.id)?.includes("MG_EV_CLOSE") === true, 5000, "the client closed");
    await waitFor(() => peers.length === 1 && peers[0].closed, 5000, "the server saw the close");
    expect(Buffer.concat(peers[0].bytes).toString("latin1")).toBe("");
    expect(log.events.get(conn.id)!.slice(-3)).toEqual(["MG_EV_CONNECT", "MG_EV_ERROR", "MG_EV_CLOSE"]);
    expect(errors).toHaveLength(1);
    const e = errors[0] as ConnectionError;
    expect(e.code).toBe("ERR_TLS_NOT_CONFIGURED");
    expect(e.cause).toBeInstanceOf(TlsNotConfiguredError);
    expect(e.message).toMatch(/call conn\.tlsInit\(\.\.\.\) on MG_EV_CONNECT/);
  });
});
