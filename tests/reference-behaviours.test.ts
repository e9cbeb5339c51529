// reference-behaviours.test.ts: issue 23, "The reference's remaining
// behaviours": what the reference library does, found by running its own
// test cases, each against a real peer (ws, mqtt.js, fetch, node:dgram):
// listen() of ws://, wss://, mqtt://, mqtts://; sntpConnect("sntp://...");
// resolve("localhost"); httpSse/httpChunk after a head written line by line;
// urlEncode's unreserved set; serveDir's page404 in the reference's layout;
// recvData on a closed connection; eventName of unknown numbers;
// httpParseMultipart of a string; mqttPing/Pong/Disconnect once the peer is
// gone. (The TLS pattern is tls-reference-pattern.test.ts.)
import { createSocket, type Socket } from "node:dgram";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import WebSocket from "ws";
import {
  eventName, httpParseMultipart, Manager, MongooseError, urlEncode, urlDecode,
  MG_EV_ACCEPT, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_MQTT_CMD, MG_EV_READ, MG_EV_RESOLVE, MG_EV_SNTP_TIME,
  MG_EV_WS_MSG, MQTT_CMD_CONNECT,
  type Connection, type HttpMessage, type MqttMessage, type WsMessage,
  MG_EV_MQTT_OPEN,
} from "tsmongoose";
import { backgroundPoll, makeManager, waitFor } from "./helpers/server";
import { tlsSuite } from "./helpers/tls";

const suite = tlsSuite(); // certificates for wss:// and mqtts://, and cleanups run after each test
const { cleanups } = suite;

async function driven(handler?: (c: Connection, ev: number, data: unknown) => void): Promise<Manager> {
  const mgr = await makeManager(handler);
  const loop = backgroundPoll(mgr, 5);
  cleanups.push(async () => {
    const done = loop.stop();
    mgr.close();
    await done;
  });
  return mgr;
}

/** Echo WebSocket server handler: upgrade every request, echo text frames. */
function wsEcho(c: Connection, ev: number, data: unknown): void {
  if (ev === MG_EV_HTTP_MSG) {
    if ((data as HttpMessage).uri === "/ws") c.wsUpgrade(data as HttpMessage);
    else c.reply(200, "plain http");
  }
  if (ev === MG_EV_WS_MSG) c.wsSend(`echo ${(data as WsMessage).text}`);
}

async function wsRoundTrip(url: string, opts: WebSocket.ClientOptions = {}): Promise<string> {
  const ws = new WebSocket(url, opts);
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
  const reply = new Promise<string>((resolve) => ws.once("message", (d) => resolve(String(d))));
  ws.send("hi");
  return reply;
}

describe("listen() by scheme", () => {
  test("ws:// is an HTTP listener: a ws client upgrades and echoes, fetch gets plain HTTP", async () => {
    const mgr = await driven(wsEcho);
    const port = mgr.listen("ws://127.0.0.1:0").localAddr.port;
    expect(await wsRoundTrip(`ws://127.0.0.1:${port}/ws`)).toBe("echo hi");
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("plain http");
  });

  test("wss:// is an HTTPS listener: with { tls }, and with tlsInit at MG_EV_ACCEPT", async () => {
    const { server, ca } = suite.certs;
    const mgr = await driven(wsEcho);
    const withOpt = mgr.listen("wss://127.0.0.1:0", { tls: { cert: server.cert, key: server.key } }).localAddr.port;
    expect(await wsRoundTrip(`wss://localhost:${withOpt}/ws`, { ca: ca.cert })).toBe("echo hi");
    const byHand = mgr.listen("wss://127.0.0.1:0", {
      handler: (c, ev, data) => {
        if (ev === MG_EV_ACCEPT) c.tlsInit({ cert: server.cert, key: server.key });
        wsEcho(c, ev, data);
      },
    }).localAddr.port;
    expect(await wsRoundTrip(`wss://localhost:${byHand}/ws`, { ca: ca.cert })).toBe("echo hi");
  });

  test("mqtt:// and mqtts:// are MQTT listeners, as mqttListen: mqtt.js connects and publishes", async () => {
    const { server, ca } = suite.certs;
    const got: string[] = [];
    const mgr = await driven((c, ev, data) => {
      if (ev !== MG_EV_MQTT_CMD) return;
      const m = data as MqttMessage;
      if (m.cmd === MQTT_CMD_CONNECT) c.mqttConnack(0);
      else if (m.topic !== "") got.push(`${m.topic} ${m.text}`);
    });
    const plain = mgr.listen("mqtt://127.0.0.1:0");
    const secure = mgr.listen("mqtts://127.0.0.1:0", { tls: { cert: server.cert, key: server.key } });
    for (const url of [`mqtt://127.0.0.1:${plain.localAddr.port}`, `mqtts://localhost:${secure.localAddr.port}`]) {
      const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ca: ca.cert, keepalive: 0 });
      cleanups.push(() => new Promise<void>((r) => client.end(true, {}, () => r())));
      await new Promise<void>((resolve, reject) => { client.once("connect", () => resolve()); client.once("error", reject); });
      client.publish("t", url.slice(0, 5), { qos: 0 });
    }
    await waitFor(() => got.length === 2, 5000, "both PUBLISH packets");
    expect(got.sort()).toEqual(["t mqtt:", "t mqtts"]);
    expect(() => mgr.listen("mqtt://127.0.0.1:0", { handler: 5 as never })).toThrow(TypeError);
  });
});

describe("sntp://, resolve() of a bare name", () => {
  const sockets: Socket[] = [];
  afterEach(() => { for (const s of sockets.splice(0)) s.close(); });

  test("sntpConnect(\"sntp://127.0.0.1:PORT\") is accepted and gets the time from a local responder", async () => {
    const sock = createSocket("udp4");
    sockets.push(sock);
    const when = Date.UTC(2030, 0, 2, 3, 4, 5, 250);
    sock.on("message", (req, rinfo) => {
      const r = Buffer.alloc(48);
      r[0] = (4 << 3) | 4;
      r[1] = 1;
      req.copy(r, 24, 40, 48);
      for (const off of [32, 40]) {
        r.writeUInt32BE(Math.floor(when / 1000) + 2208988800, off);
        r.writeUInt32BE(Math.round(0.25 * 2 ** 32), off + 4);
      }
      sock.send(r, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
    const times: number[] = [];
    const mgr = await driven();
    const conn = mgr.sntpConnect(`sntp://127.0.0.1:${sock.address().port}`, {
      handler: (_c, ev, data) => { if (ev === MG_EV_SNTP_TIME) times.push(data as number); },
    });
    expect(conn.isUdp).toBe(true);
    await waitFor(() => times.length === 1, 5000, "MG_EV_SNTP_TIME");
    expect(Math.abs(times[0] - when)).toBeLessThan(1000); // the client corrects for half the round trip
    expect(() => mgr.sntpConnect("http://127.0.0.1:123")).toThrow(/sntp:\/\/host\[:port\] or udp:\/\/host:port/);
    expect(() => conn.resolve("not a host name")).toThrow(TypeError);
  });

  test("resolve(\"localhost\") (a bare host name, as the reference) gives MG_EV_RESOLVE and a loopback address", async () => {
    const got: string[] = [];
    const mgr = await driven();
    const server = mgr.listen("tcp://127.0.0.1:0");
    for (const target of ["localhost", "127.0.0.1", "[::1]:80", "localhost:8080", "tcp://localhost:1"]) {
      const before = got.length;
      let asked = false; // connect() has its own MG_EV_RESOLVE first
      const conn = mgr.connect(`tcp://127.0.0.1:${server.localAddr.port}`, {
        handler: (c, ev, data) => {
          if (ev === 4 /* MG_EV_CONNECT */) {
            asked = true;
            c.resolve(target);
          }
          if (ev === MG_EV_RESOLVE && asked) got.push(`${target} -> ${c.remoteAddr.address}:${c.remoteAddr.port}`);
          if (ev === MG_EV_ERROR) got.push(`${target} error ${String(data)}`);
        },
      });
      await waitFor(() => got.length > before, 5000, `resolve ${target}`);
      conn.close();
    }
    expect(got[0]).toMatch(/^localhost -> (127\.0\.0\.1|::1):0$/);
    expect(got.slice(1)).toEqual([
      "127.0.0.1 -> 127.0.0.1:0",
      "[::1]:80 -> ::1:80",
      expect.stringMatching(/^localhost:8080 -> (127\.0\.0\.1|::1):8080$/),
      expect.stringMatching(/^tcp:\/\/localhost:1 -> (127\.0\.0\.1|::1):1$/),
    ]);
  });
});

describe("httpSse()/httpChunk() after a head written by hand in several send() calls", () => {
  async function server(): Promise<number> {
    const mgr = await driven((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const uri = (data as HttpMessage).uri;
      c.send("HTTP/1.1 200 OK\r\n");
      if (uri === "/sse") {
        c.send("Content-Type: text/event-stream\r\n");
        c.send("Cache-Control: no-cache\r\n");
        c.send("\r\n");
        expect(c.httpSse("tick", "one")).toBe(true);
        expect(c.httpSse("", "two\nlines")).toBe(true);
        c.httpChunk(""); // ends the stream: the connection closes (no length, no chunks)
      } else {
        c.send("Content-Type: text/plain\r\n");
        c.send("Transfer-Encoding: chunked\r\n");
        c.send("\r\n");
        c.httpChunk("per-");
        c.httpChunk("line");
        c.httpChunk("");
      }
    });
    return mgr.listen("http://127.0.0.1:0").localAddr.port;
  }

  test("SSE: the events arrive and the response ends", async () => {
    const port = await server();
    const res = await fetch(`http://127.0.0.1:${port}/sse`, { signal: AbortSignal.timeout(5000) });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(await res.text()).toBe("event: tick\ndata: one\n\ndata: two\ndata: lines\n\n");
  });

  test("chunked: the body is the chunks and the connection stays usable", async () => {
    const port = await server();
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/chunked`, { signal: AbortSignal.timeout(5000) });
      expect(await res.text()).toBe("per-line");
    }
  });
});

describe("small functions", () => {
  test("urlEncode keeps only A-Z a-z 0-9 - . _ ~ (\"$\" is %24), and decodes back", () => {
    expect(urlEncode("$")).toBe("%24");
    expect(urlEncode("$,;()/!*'")).toBe("%24%2c%3b%28%29%2f%21%2a%27");
    expect(urlEncode("AZaz09-._~")).toBe("AZaz09-._~");
    let all = "";
    for (let b = 0; b < 128; b++) all += String.fromCharCode(b);
    const enc = urlEncode(all);
    expect(enc.replace(/%[0-9a-f]{2}/g, "")).toBe("-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~");
    expect(urlDecode(enc)).toBe(all);
    expect(decodeURIComponent(enc)).toBe(all);
  });

  test("eventName of a number that is no event names it unknown instead of throwing", () => {
    expect(eventName(-1)).toBe("MG_EV_UNKNOWN(-1)");
    expect(eventName(2.5)).toBe("MG_EV_UNKNOWN(2.5)");
    expect(eventName(11)).toBe("MG_EV_HTTP_MSG");
  });

  test("httpParseMultipart takes a string body as its UTF-8 bytes", () => {
    const body = "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"é.txt\"\r\n\r\nhé\r\n--B\r\n" +
      "Content-Disposition: form-data; name=\"g\"\r\n\r\n2\r\n--B--\r\n";
    const fromString = httpParseMultipart(body);
    const fromBytes = httpParseMultipart(new TextEncoder().encode(body));
    expect(fromString).toEqual(fromBytes);
    expect(fromString.part?.filename).toBe("é.txt");
    expect(new TextDecoder().decode(fromString.part?.body)).toBe("hé");
    expect(httpParseMultipart(body, fromString.next).part?.name).toBe("g");
  });
});

describe("serveDir page404 in the reference's layout", () => {
  test("a custom 404 page inside the root, by absolute path or relative to the root, answers 404 with its body", async () => {
    // The web root sits one level down in a fresh directory, so "../<unique>"
    // names a file beside it that no process directory has next to it.
    const top = mkdtempSync(join(tmpdir(), "tsm-page404-"));
    cleanups.push(() => rmSync(top, { recursive: true, force: true }));
    const root = join(top, "www");
    mkdirSync(root);
    writeFileSync(join(root, "custom404.html"), "custom not found");
    writeFileSync(join(root, "exists.txt"), "ok");
    const outsideName = `outside-${top.split("/").pop()}.html`;
    writeFileSync(join(top, outsideName), "outside");
    const mgr = await driven((c, ev, data) => {
      const page404 = { "/a": join(root, "custom404.html"), "/r": "custom404.html", "/o": `../${outsideName}` }[(data as HttpMessage)?.uri?.slice(0, 2)];
      if (ev === MG_EV_HTTP_MSG) c.serveDir(data as HttpMessage, root, { page404 });
    });
    const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
    // Absolute (the reference's test), and relative to the web root (not to the process's directory).
    for (const uri of ["/a/missing.txt", "/r/missing.txt"]) {
      const missing = await fetch(`http://127.0.0.1:${port}${uri}`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe("custom not found");
      expect(missing.headers.get("content-type")).toMatch(/^text\/html/);
    }
    // A relative page404 not found from the process's directory is looked up in the root, never outside it.
    const outside = await fetch(`http://127.0.0.1:${port}/o/missing.txt`);
    expect(outside.status).toBe(404);
    expect(await outside.text()).toBe("Not found\n");
    const found = await fetch(`http://127.0.0.1:${port}/exists.txt`);
    expect(await found.text()).toBe("ok");
  });
});

describe("closed connections and gone peers", () => {
  test("recvData() on a closed connection is empty (no throw); recvData(-1) equals recvData()", async () => {
    let conn: Connection | undefined;
    const reads: string[] = [];
    const mgr = await driven((c, ev) => {
      if (ev === MG_EV_ACCEPT) conn = c;
      if (ev === MG_EV_READ && c.recvLen >= 6) {
        reads.push(new TextDecoder().decode(c.recvData(3, { peek: true })));
        reads.push(new TextDecoder().decode(c.recvData(-1, { peek: true })));
        reads.push(new TextDecoder().decode(c.recvData()));
      }
    });
    const port = mgr.listen("tcp://127.0.0.1:0").localAddr.port;
    const s = net.connect(port, "127.0.0.1", () => s.end("abcdef"));
    s.on("error", () => undefined);
    await waitFor(() => conn !== undefined && conn.closed, 5000, "the closed connection");
    expect(reads).toEqual(["abc", "abcdef", "abcdef"]);
    expect(conn!.recvData()).toEqual(new Uint8Array(0));
    expect(conn!.recvData(-1)).toEqual(new Uint8Array(0));
    expect(conn!.recvData(5, { peek: true })).toEqual(new Uint8Array(0));
    expect(() => conn!.recvData(-2)).toThrow(RangeError);
  });

  test("mqttPing/mqttPong/mqttDisconnect never throw once the MQTT peer is gone; a non-MQTT connection still throws ERR_NOT_MQTT", async () => {
    const calls: string[] = [];
    const tryAll = (c: Connection, when: string): void => {
      for (const [name, fn] of [["ping", () => c.mqttPing()], ["pong", () => c.mqttPong()], ["disconnect", () => c.mqttDisconnect()]] as const) {
        try {
          calls.push(`${when} ${name} ${String(fn())}`);
        } catch (err) {
          calls.push(`${when} ${name} threw ${(err as MongooseError).code ?? (err as Error).name}`);
        }
      }
    };
    let broker: Connection | undefined;
    let client: Connection | undefined;
    const mgr = await driven((c, ev, data) => {
      if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_CONNECT) {
        broker = c;
        c.mqttConnack(0);
      }
      if (ev === MG_EV_CLOSE && c === broker) tryAll(c, "broker at close");
    });
    const port = mgr.mqttListen("mqtt://127.0.0.1:0").localAddr.port;
    const opened: number[] = [];
    client = mgr.mqttConnect(`mqtt://127.0.0.1:${port}`, {
      handler: (c, ev, _data) => {
        if (ev === MG_EV_MQTT_OPEN) opened.push(1);
        if (ev === MG_EV_CLOSE) tryAll(c, "client at close");
      },
    });
    await waitFor(() => opened.length === 1 && broker !== undefined, 5000, "the MQTT session");
    broker!.close(); // the client's peer goes away
    await waitFor(() => client!.closed && broker!.closed, 5000, "both closed");
    tryAll(client!, "client closed");
    tryAll(broker!, "broker closed");
    for (const line of calls) expect(line).toMatch(/ (true|false)$/);
    expect(calls.filter((l) => l.includes("closed ")).every((l) => l.endsWith("false"))).toBe(true);
    expect(calls.length).toBe(12);
    // Not MQTT: a clear error, live or closed.
    const raw = mgr.connect(`tcp://127.0.0.1:${port}`);
    expect(() => raw.mqttPing()).toThrow(expect.objectContaining({ code: "ERR_NOT_MQTT" }));
    expect(() => raw.mqttDisconnect()).toThrow(expect.objectContaining({ code: "ERR_NOT_MQTT" }));
  });
});
