// tls-reference-pattern.test.ts: TLS written as the reference (and every
// Mongoose program) writes it, over the transport of the jest project:
// listen("https://...") with conn.tlsInit({ cert, key }) at MG_EV_ACCEPT,
// connect("https://...") with conn.tlsInit({ ca, name }) at MG_EV_CONNECT,
// certificates as PEM strings or bytes and `name` as bytes, next to the
// `{ tls }` option; the reference's TlsOpts() spellings (empty fields are
// "not given"); tlsInit on a listener with empty options does not throw.
import * as https from "node:https";
import {
  MG_EV_ACCEPT, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_TLS_HS, MG_EV_CLOSE,
  type Connection,
} from "tsmongoose";
import { asHttp } from "./helpers/http";
import { waitFor } from "./helpers/server";
import { tlsSuite } from "./helpers/tls";

const suite = tlsSuite();
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

type Pemish = string | Uint8Array;

/** One HTTPS exchange between our own server and client, each starting TLS in its handler. */
async function exchange(server: { cert: Pemish; key: Pemish; ca?: Pemish }, client: Record<string, unknown>, host = "localhost") {
  const seen: string[] = [];
  let answer: string | undefined;
  let clientError: string | undefined;
  const mgr = await suite.polled((c: Connection, ev: number, data: unknown) => {
    if (ev === MG_EV_ACCEPT) c.tlsInit({ ...server });
    if (ev === MG_EV_TLS_HS) seen.push(`server hs ${c.isTls}`);
    if (ev === MG_EV_HTTP_MSG) c.reply(200, `hello ${asHttp(data).uri} tls=${c.isTls}`);
  });
  const port = mgr.listen("https://127.0.0.1:0").localAddr.port;
  mgr.connect(`https://${host}:${port}/`, {
    handler: (c: Connection, ev: number, data: unknown) => {
      if (ev === MG_EV_CONNECT) {
        c.tlsInit(client as never);
        c.send(`GET /ref HTTP/1.1\r\nHost: ${host}\r\n\r\n`); // queued before the handshake, as Mongoose programs do
      }
      if (ev === MG_EV_TLS_HS) seen.push("client hs");
      if (ev === MG_EV_HTTP_MSG) answer = asHttp(data).bodyText;
      if (ev === MG_EV_ERROR) clientError ??= String(data);
      if (ev === MG_EV_CLOSE) clientError ??= "closed";
    },
  });
  await waitFor(() => answer !== undefined || clientError !== undefined, 8000, "the HTTPS answer");
  return { answer, clientError, seen };
}

describe("the reference's TLS pattern: tlsInit at MG_EV_ACCEPT and at MG_EV_CONNECT", () => {
  test("PEM strings, name as a string: the client sees MG_EV_TLS_HS and the answer", async () => {
    const { server, ca } = suite.certs;
    const r = await exchange({ cert: server.cert, key: server.key }, { ca: ca.cert, name: "localhost" });
    expect(r.clientError).toBeUndefined();
    expect(r.answer).toBe("hello /ref tls=true");
    expect(r.seen).toEqual(expect.arrayContaining(["client hs", "server hs true"]));
  });

  test("PEM bytes everywhere and name as bytes (TlsOpts(ca=b..., name=b...))", async () => {
    const { server, ca } = suite.certs;
    const r = await exchange({ cert: bytes(server.cert), key: bytes(server.key) }, { ca: bytes(ca.cert), name: bytes("localhost") }, "127.0.0.1");
    expect(r.clientError).toBeUndefined();
    expect(r.answer).toBe("hello /ref tls=true");
    expect(r.seen).toContain("client hs");
  });

  test("the reference's defaults: empty ca/cert/key/name (b\"\") and null are 'not given'", async () => {
    const { server, ca } = suite.certs;
    const r = await exchange({ cert: server.cert, key: server.key, ca: new Uint8Array(0) },
      { ca: ca.cert, name: new Uint8Array(0), cert: "", key: null, skipVerification: false });
    expect(r.clientError).toBeUndefined();
    expect(r.answer).toBe("hello /ref tls=true"); // name empty: the URL's host is verified
  });

  test("name as bytes is verified: a wrong name fails the handshake naming it", async () => {
    const { server, ca } = suite.certs;
    const r = await exchange({ cert: server.cert, key: server.key }, { ca: ca.cert, name: bytes("elsewhere.test") });
    expect(r.answer).toBeUndefined();
    expect(r.clientError).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID.*elsewhere\.test/);
    expect(r.seen).not.toContain("client hs");
  });

  test("beside the { tls } option: a listener with { tls } serves curl-like node:https and the tlsInit client alike", async () => {
    const { server, ca } = suite.certs;
    let hs = 0;
    const mgr = await suite.polled((c: Connection, ev: number, data: unknown) => {
      if (ev === MG_EV_HTTP_MSG) c.reply(200, `opt ${asHttp(data).uri}`);
    });
    const port = mgr.listen("https://127.0.0.1:0", { tls: { cert: bytes(server.cert), key: server.key } }).localAddr.port;
    let answer: string | undefined;
    mgr.connect(`https://localhost:${port}/`, {
      handler: (c: Connection, ev: number, data: unknown) => {
        if (ev === MG_EV_CONNECT) c.tlsInit({ ca: bytes(ca.cert), name: bytes("localhost") } as never);
        if (ev === MG_EV_TLS_HS) {
          hs++;
          c.send("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
        }
        if (ev === MG_EV_HTTP_MSG) answer = asHttp(data).bodyText;
      },
    });
    const viaNode = await new Promise<string>((resolve, reject) => {
      https.get({ host: "127.0.0.1", port, path: "/n", ca: ca.cert, servername: "localhost", agent: false }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => { body += d.toString(); });
        res.on("end", () => resolve(body));
      }).on("error", reject);
    });
    expect(viaNode).toBe("opt /n");
    await waitFor(() => answer !== undefined, 8000, "the tlsInit client's answer");
    expect(answer).toBe("opt /x");
    expect(hs).toBe(1);
  });
});

describe("tlsInit on a listener, as the reference's test_tls.py", () => {
  test("empty options, skipVerification alone, twice, then tlsFree: none throws; plain http:// keeps serving", async () => {
    const mgr = await suite.polled((c: Connection, ev: number) => {
      if (ev === MG_EV_HTTP_MSG) c.reply(200, "plain");
    });
    const listener = mgr.listen("http://127.0.0.1:0");
    expect(() => listener.tlsInit({})).not.toThrow();
    expect(() => listener.tlsInit({ skipVerification: true })).not.toThrow();
    expect(() => listener.tlsInit({ skipVerification: false, ca: "", cert: new Uint8Array(0), key: "", name: "" } as never)).not.toThrow();
    await mgr.poll(10);
    expect(() => listener.tlsFree()).not.toThrow();
    const res = await fetch(`http://127.0.0.1:${listener.localAddr.port}/`);
    expect(await res.text()).toBe("plain");
    // A listener with credentials still switches to TLS, and bad types still throw.
    expect(() => listener.tlsInit({ name: 5 } as never)).toThrow(TypeError);
    expect(() => listener.tlsInit({ cert: suite.certs.server.cert } as never)).toThrow(/cert and tls\.key go together/);
  });

  test("an https:// listener given empty options by tlsInit still never answers in plaintext", async () => {
    const errors: string[] = [];
    const mgr = await suite.polled((_c: Connection, ev: number, data: unknown) => {
      if (ev === MG_EV_ERROR) errors.push(String(data));
    });
    const listener = mgr.listen("https://127.0.0.1:0");
    listener.tlsInit({});
    await expect(fetch(`http://127.0.0.1:${listener.localAddr.port}/`)).rejects.toThrow();
    await waitFor(() => errors.length > 0, 5000, "ERR_TLS_NOT_CONFIGURED");
    expect(errors[0]).toMatch(/TLS not configured/);
  });
});
