// tls-transport.test.ts: TLS in the transports (issue 11, items 4 and 5):
// backpressure and drain exactly as plain TCP, close_notify before the FIN,
// graceful shutdown, raw tls:// both ways, many handshakes at once, and
// certificate hot reload. Runs in both jest projects (handle and socket
// transports).
import * as tls from "node:tls";
import * as net from "node:net";
import { Agent, fetch } from "undici";
import {
  MongooseError, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_POLL, MG_EV_READ, MG_EV_TLS_HS,
  type Connection,
} from "tsmongoose";
import { patternBytes, sha256 } from "./helpers/http";
import { waitFor } from "./helpers/server";
import { loggedManager, sClient, tlsSuite } from "./helpers/tls";

const suite = tlsSuite();
const { cleanups } = suite;

/** A client socket to 127.0.0.1:port, TLS (trusting the test CA) or plain TCP; resolves once usable. */
function dial(scheme: "tls" | "tcp", port: number, opts: tls.ConnectionOptions = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = scheme === "tls"
      ? tls.connect({ host: "127.0.0.1", port, ca: suite.certs.ca.cert, ...opts }, () => resolve(s))
      : net.connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
    cleanups.push(() => { s.destroy(); });
  });
}

/** The peer's certificate CN for a fresh TLS connection. */
async function peerCn(port: number): Promise<string> {
  const s = (await dial("tls", port)) as tls.TLSSocket;
  const cn = String(s.getPeerCertificate().subject.CN);
  s.end();
  return cn;
}

describe.each(["tcp", "tls"] as const)("%s://", (scheme) => {
  test("backpressure reaches the core while the peer does not read; every byte arrives after it does, then a clean end", async () => {
    const TOTAL = 24 * 1024 * 1024, CHUNK = 256 * 1024;
    const mgr = await suite.polled();
    const data = patternBytes(TOTAL);
    let generated = 0;
    let server: Connection | undefined;
    let sawBackpressure = false;
    let closedWithError = false;
    const start = scheme === "tls" ? MG_EV_TLS_HS : MG_EV_POLL;
    const listener = mgr.listen(`${scheme}://127.0.0.1:0`, {
      tls: scheme === "tls" ? { cert: suite.certs.server.cert, key: suite.certs.server.key } : undefined,
      handler: (c: Connection, ev: number) => {
        if (ev === MG_EV_ERROR) closedWithError = true;
        if (c.isListening || c.isDraining) return;
        if (ev === start) server = c;
        if (c !== server || (ev !== MG_EV_POLL && ev !== start)) return;
        // Generate more only while the host takes everything (the core holds nothing back).
        if (c.sendLen > 0) {
          sawBackpressure = true;
          return;
        }
        const chunk = data.subarray(generated, generated + CHUNK);
        c.send(chunk);
        generated += chunk.length;
        if (generated >= TOTAL) c.drain();
      },
    });
    const client = await dial(scheme, listener.localAddr.port);
    client.pause();
    await waitFor(() => sawBackpressure, 15_000, "the core holding output back");
    const held = generated;
    expect(held).toBeLessThan(TOTAL); // bounded by the socket buffers, not by what the handler wants to send
    const chunks: Buffer[] = [];
    let ended = false, clientError: Error | undefined;
    client.on("data", (d: Buffer) => chunks.push(d));
    client.on("end", () => { ended = true; });
    client.on("error", (e) => { clientError = e; });
    client.resume();
    await waitFor(() => ended, 30_000, "all bytes and the end");
    expect(clientError).toBeUndefined();
    const got = Buffer.concat(chunks);
    expect(got.length).toBe(TOTAL);
    expect(sha256(got)).toBe(sha256(data));
    expect(closedWithError).toBe(false);
  });

  test("echo both ways: our client to our listener", async () => {
    const mgr = await suite.polled();
    const listener = mgr.listen(`${scheme}://127.0.0.1:0`, {
      tls: scheme === "tls" ? { cert: suite.certs.server.cert, key: suite.certs.server.key } : undefined,
      handler: (c: Connection, ev: number) => {
        if (ev === MG_EV_READ && c.isAccepted) c.send(Buffer.from(c.recvData()).toString().toUpperCase());
      },
    });
    let got = "", tlsOn: boolean | undefined;
    mgr.connect(`${scheme}://localhost:${listener.localAddr.port}`, {
      tls: scheme === "tls" ? { ca: suite.certs.ca.cert } : undefined,
      handler: (c: Connection, ev: number) => {
        if (ev === MG_EV_CONNECT) c.send("hello over " + scheme);
        if (ev === MG_EV_READ) {
          got += Buffer.from(c.recvData()).toString();
          tlsOn = c.isTls;
        }
      },
    });
    await waitFor(() => got === `HELLO OVER ${scheme.toUpperCase()}`, 5000, "the echo");
    expect(tlsOn).toBe(scheme === "tls");
  });
});

describe("TLS connection lifecycle", () => {
  test("a drained TLS connection sends close_notify before its FIN (openssl s_client -msg)", async () => {
    const { mgr, log } = await loggedManager();
    cleanups.push(() => mgr.close());
    const port = mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key } }).localAddr.port;
    const r = await sClient(port, ["-CAfile", suite.certs.ca.certFile, "-msg", "-ign_eof"],
      "GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(r.out).toContain("hello /bye tls=true");
    expect(r.out).toMatch(/Alert \[length 0002\], warning close_notify/);
    expect(r.out).not.toMatch(/errno=104|Connection reset/);
    expect(log.allErrors()).toEqual([]);
  });

  test("graceful shutdown: an in-flight TLS request completes, new handshakes are refused", async () => {
    const s = await loggedManager((conn) => {
      setTimeout(() => { if (!conn.closed) conn.reply(200, "late but whole"); }, 300);
    });
    cleanups.push(s.stop);
    const port = s.mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key } }).localAddr.port;
    const dispatcher = new Agent({ connect: { ca: suite.certs.ca.cert } });
    cleanups.push(() => dispatcher.close());
    const inflight = fetch(`https://localhost:${port}/slow`, { dispatcher });
    await waitFor(() => s.log.idsWith("MG_EV_HTTP_MSG").length === 1, 5000, "the request");
    const report = s.mgr.shutdown({ timeoutMs: 5000 });
    const res = await inflight;
    expect(await res.text()).toBe("late but whole");
    const rep = await report;
    expect(rep.completed).toBe(1);
    expect(rep.forced).toEqual([]);
    await expect(dial("tls", port)).rejects.toThrow(/ECONNREFUSED/);
  });

  test("many handshakes at once: every client is served", async () => {
    const { mgr, log } = await loggedManager();
    cleanups.push(() => mgr.close());
    const port = mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key } }).localAddr.port;
    const N = 40;
    const agents = Array.from({ length: N }, () => new Agent({ connect: { ca: suite.certs.ca.cert } }));
    cleanups.push(() => Promise.all(agents.map((a) => a.close())).then(() => undefined));
    const bodies = await Promise.all(agents.map(async (dispatcher, i) => (await fetch(`https://localhost:${port}/n${i}`, { dispatcher })).text()));
    expect(bodies).toEqual(agents.map((_, i) => `hello /n${i} tls=true`));
    expect(log.idsWith("MG_EV_TLS_HS")).toHaveLength(N);
    expect(log.allErrors()).toEqual([]);
  });
});

describe("certificate hot reload", () => {
  test("setTlsContext: new connections get the new certificate, established ones keep working; bad credentials change nothing", async () => {
    const { mgr } = await loggedManager();
    cleanups.push(() => mgr.close());
    const listener = mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key } });
    const port = listener.localAddr.port;
    expect(await peerCn(port)).toBe("localhost");

    const dispatcher = new Agent({ connect: { ca: suite.certs.ca.cert }, pipelining: 1, connections: 1 });
    cleanups.push(() => dispatcher.close());
    expect(await (await fetch(`https://localhost:${port}/one`, { dispatcher })).text()).toBe("hello /one tls=true");

    expect(mgr.setTlsContext({ cert: suite.certs.rotated.cert, key: suite.certs.rotated.key })).toBe(1);
    expect(await peerCn(port)).toBe("rotated");
    // The connection made before the rotation still works.
    expect(await (await fetch(`https://localhost:${port}/two`, { dispatcher })).text()).toBe("hello /two tls=true");

    let err: unknown;
    try { mgr.setTlsContext({ cert: "not a certificate", key: "nor a key" }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(MongooseError);
    expect((err as MongooseError).code).toBe("ERR_TLS_CREDENTIALS");
    expect(await peerCn(port)).toBe("rotated");

    // One listener by name; tlsInit on a listener does the same.
    expect(mgr.setTlsContext({ cert: suite.certs.server.cert, key: suite.certs.server.key }, listener)).toBe(1);
    expect(await peerCn(port)).toBe("localhost");
    listener.tlsInit({ cert: suite.certs.rotated.cert, key: suite.certs.rotated.key });
    expect(await peerCn(port)).toBe("rotated");
    expect(() => mgr.setTlsContext({ cert: suite.certs.server.cert, key: suite.certs.server.key }, {} as never)).toThrow(TypeError);
  });

  test("a plain tcp:// listener turned TLS with tlsInit; tlsFree turns it back", async () => {
    const mgr = await suite.polled();
    const listener = mgr.listen("tcp://127.0.0.1:0", {
      handler: (c: Connection, ev: number) => {
        if (ev === MG_EV_READ && c.isAccepted) c.send(`${c.isTls ? "secure" : "plain"}:${Buffer.from(c.recvData()).toString()}`);
      },
    });
    const port = listener.localAddr.port;
    listener.tlsInit({ cert: suite.certs.server.cert, key: suite.certs.server.key });
    const roundTrip = async (s: net.Socket, msg: string): Promise<string> => {
      const got = new Promise<string>((r) => s.once("data", (d: Buffer) => r(d.toString())));
      s.write(msg);
      return got;
    };
    expect(await roundTrip(await dial("tls", port), "a")).toBe("secure:a");
    listener.tlsFree();
    expect(await roundTrip(await dial("tcp", port), "b")).toBe("plain:b");
  });
});
