// tls-protocols.test.ts: wss:// and mqtts:// (issue 11, item 6) against real
// peers. WebSocket: the `ws` package as client of our https:// listener, and
// our wsConnect("wss://...") to a `ws` server on node:https. MQTT: mqtt.js
// over mqtts:// to examples/mqtt-broker (TLS_CERT/TLS_KEY), and our
// mqttConnect("mqtts://...") to Debian's mosquitto with a TLS listener.
// Verification is on by default for both clients. Certificates: helpers/suite.certs.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import WebSocket, { WebSocketServer } from "ws";
import {
  MG_EV_CLOSE, MG_EV_ERROR, MG_EV_HTTP_MSG, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MQTT_CMD_SUBACK, MG_EV_TLS_HS, MG_EV_WS_CTL,
  MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_BINARY, WEBSOCKET_OP_TEXT,
  type Connection, type HttpMessage, type Manager, type MqttMessage, type WsMessage,
} from "tsmongoose";
import { freePort, startMosquitto, until, waitForPort } from "./helpers/mqtt-peers";
import { waitFor } from "./helpers/server";
import { tlsSuite } from "./helpers/tls";

const suite = tlsSuite();
const { cleanups } = suite;

const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >> 9)) & 0xff);

describe("wss://", () => {
  test("the ws package against our https:// listener: TLS handshake, upgrade, text and binary echoes, close", async () => {
    const seen = { tls: [] as boolean[], msgs: 0, closeCodes: [] as (number | undefined)[], closed: 0 };
    const mgr = await suite.polled((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) c.wsUpgrade(data as HttpMessage);
      else if (ev === MG_EV_WS_OPEN) seen.tls.push(c.isTls);
      else if (ev === MG_EV_WS_MSG) {
        seen.msgs++;
        const m = data as WsMessage;
        c.wsSend(m.data, m.opcode);
      } else if (ev === MG_EV_WS_CTL) seen.closeCodes.push((data as WsMessage).closeCode);
      else if (ev === MG_EV_CLOSE && c.isAccepted) seen.closed++;
    });
    const port = mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key } }).localAddr.port;
    const ws = new WebSocket(`wss://localhost:${port}/echo`, { ca: suite.certs.ca.cert });
    const got: { data: Buffer; binary: boolean }[] = [];
    ws.on("message", (data, binary) => got.push({ data: data as Buffer, binary }));
    await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
    const big = pattern(200_000); // several TLS records each way
    ws.send("héllo over TLS");
    ws.send(big);
    await waitFor(() => got.length === 2, 5000, "two echoes");
    expect(got[0]).toEqual({ data: Buffer.from("héllo over TLS"), binary: false });
    expect(got[1].binary).toBe(true);
    expect(Buffer.compare(got[1].data, Buffer.from(big))).toBe(0);
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    ws.close(1000, "done");
    expect(await closed).toBe(1000);
    await waitFor(() => seen.closed === 1, 5000, "server side closed");
    expect(seen).toMatchObject({ tls: [true], msgs: 2, closeCodes: [1000] });
  });

  test("our wsConnect to a ws server on node:https: verified against the CA, echoes, close handshake", async () => {
    const server = https.createServer({ cert: suite.certs.server.cert, key: suite.certs.server.key });
    const wss = new WebSocketServer({ server });
    wss.on("connection", (sock, req) => {
      sock.on("message", (data, binary) => sock.send(binary ? data : `${req.url}: ${String(data)}`));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => { wss.close(); server.close(() => resolve()); server.closeAllConnections(); }));
    const port = (server.address() as AddressInfo).port;

    const events: string[] = [];
    const msgs: { op: number; data: Uint8Array; text?: string }[] = [];
    const ctl: (number | undefined)[] = [];
    const mgr = await suite.polled();
    const conn = mgr.wsConnect(`wss://localhost:${port}/room?x=1`, {
      tls: { ca: suite.certs.ca.cert },
      handler: (c, ev, data) => {
        if (ev === MG_EV_TLS_HS) events.push("tls");
        else if (ev === MG_EV_WS_OPEN) events.push(`open ${(data as HttpMessage).uri}`);
        else if (ev === MG_EV_WS_MSG) {
          const m = data as WsMessage;
          msgs.push({ op: m.opcode, data: m.data.slice(), text: m.opcode === WEBSOCKET_OP_TEXT ? m.text : undefined });
        } else if (ev === MG_EV_WS_CTL) ctl.push((data as WsMessage).closeCode);
        else if (ev === MG_EV_ERROR) events.push(`error ${String(data)}`);
        else if (ev === MG_EV_CLOSE) events.push("close");
      },
    });
    await waitFor(() => events.some((e) => e.startsWith("open")), 5000, "MG_EV_WS_OPEN");
    expect(events).toEqual(["tls", "open 101"]);
    expect(conn.isTls).toBe(true);
    expect(conn.isWebsocket).toBe(true);
    const big = pattern(100_000);
    conn.wsSend("ping from tsmongoose");
    conn.wsSend(big, WEBSOCKET_OP_BINARY);
    await waitFor(() => msgs.length === 2, 5000, "two echoes");
    expect(msgs[0].text).toBe("/room?x=1: ping from tsmongoose");
    expect(msgs[1].op).toBe(WEBSOCKET_OP_BINARY);
    expect(Buffer.compare(Buffer.from(msgs[1].data), Buffer.from(big))).toBe(0);
    conn.wsClose(1000, "bye");
    await waitFor(() => events.includes("close"), 5000, "MG_EV_CLOSE");
    expect(ctl).toEqual([1000]);
    expect(events.filter((e) => e.startsWith("error"))).toEqual([]);
  });

  test("wss:// verifies by default: an unknown CA or a wrong host name is one MG_EV_ERROR, never MG_EV_WS_OPEN", async () => {
    const mgr = await suite.polled((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "no upgrade here"); });
    const port = mgr.listen("https://127.0.0.1:0", { tls: { cert: suite.certs.server.cert, key: suite.certs.server.key } }).localAddr.port;
    const attempt = async (url: string, tls?: { ca: string; name?: string }) => {
      const ev: string[] = [];
      const errors: string[] = [];
      const client = await suite.polled();
      client.wsConnect(url, {
        tls,
        handler: (_c, e, data) => {
          if (e === MG_EV_ERROR) errors.push(String(data));
          if (e === MG_EV_WS_OPEN) ev.push("open");
          if (e === MG_EV_CLOSE) ev.push("close");
        },
      });
      await waitFor(() => ev.includes("close"), 5000, `close of ${url}`);
      expect(ev).toEqual(["close"]);
      expect(errors).toHaveLength(1);
      return errors[0];
    };
    expect(await attempt(`wss://localhost:${port}/`)).toMatch(/certificate|self.signed|issuer/i); // Node's root store only
    expect(await attempt(`wss://localhost:${port}/`, { ca: suite.certs.ca.cert, name: "wrong.example" })).toMatch(/wrong\.example|altnames|host/i);
  });
});

describe("mqtts://", () => {
  const ROOT = join(__dirname, "..");
  const SCRIPT = join(ROOT, "build", "examples", "mqtt-broker.mjs");

  /** examples/mqtt-broker with TLS_CERT/TLS_KEY: its mqtts:// port. */
  async function startTlsBroker(): Promise<{ port: number; child: ChildProcess; out(): string; exited: Promise<number | null> }> {
    if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run node scripts/build.mjs first`);
    const env = { ...process.env, PORT: "0", TLS_PORT: "0", TLS_CERT: suite.certs.server.certFile, TLS_KEY: suite.certs.server.keyFile };
    const child = spawn(process.execPath, [SCRIPT], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    await until(() => /mqtts:\/\/127\.0\.0\.1:\d+/.test(out) && out.includes("Press Ctrl+C to stop") || child.exitCode !== null, "broker start");
    const m = /MQTT broker running on mqtts:\/\/127\.0\.0\.1:(\d+)/.exec(out);
    if (!m) throw new Error(`no mqtts listener: ${out}`);
    return { port: Number(m[1]), child, out: () => out, exited };
  }

  test.each([4, 5] as const)("mqtt.js (MQTT version %d) over mqtts:// to the broker example: QoS 0 and 1, then a clean SIGTERM", async (version) => {
    const b = await startTlsBroker();
    const clients: mqtt.MqttClient[] = [];
    cleanups.push(() => { for (const c of clients) c.end(true); });
    const connect = async (): Promise<mqtt.MqttClient> => {
      const c = mqtt.connect(`mqtts://localhost:${b.port}`, { protocolVersion: version, ca: suite.certs.ca.cert, reconnectPeriod: 0, connectTimeout: 5000 });
      clients.push(c);
      await new Promise<void>((resolve, reject) => { c.once("connect", () => resolve()); c.once("error", reject); });
      return c;
    };
    const sub = await connect();
    const got: { topic: string; payload: Buffer; qos: number }[] = [];
    sub.on("message", (topic, payload, packet) => got.push({ topic, payload, qos: packet.qos }));
    expect((await sub.subscribeAsync({ "sensors/+/t": { qos: 1 } })).map((g) => g.qos)).toEqual([1]);
    const pub = await connect();
    await pub.publishAsync("sensors/a/t", "21.5", { qos: 1 });
    await pub.publishAsync("sensors/b/t", Buffer.from(pattern(50_000)), { qos: 0 });
    await until(() => got.length === 2, "two messages over TLS");
    expect(got[0]).toEqual({ topic: "sensors/a/t", payload: Buffer.from("21.5"), qos: 1 });
    expect(got[1].topic).toBe("sensors/b/t");
    expect(Buffer.compare(got[1].payload, Buffer.from(pattern(50_000)))).toBe(0);
    // A plain MQTT client on the TLS port is refused; the others are unaffected.
    const plain = mqtt.connect(`mqtt://127.0.0.1:${b.port}`, { protocolVersion: version, reconnectPeriod: 0, connectTimeout: 3000 });
    clients.push(plain);
    await new Promise<void>((resolve) => { plain.once("close", () => resolve()); plain.once("error", () => resolve()); });
    expect(plain.connected).toBe(false);
    await pub.publishAsync("sensors/c/t", "still here", { qos: 1 });
    await until(() => got.length === 3, "third message");
    const subClosed = new Promise<void>((resolve) => sub.once("close", () => resolve()));
    b.child.kill("SIGTERM");
    await subClosed;
    expect(await b.exited).toBe(0);
    expect(b.out()).toContain("Broker stopped");
  });

  test("our mqttConnect over mqtts:// to mosquitto with a TLS listener: verified, subscribe and QoS 1 round trip", async () => {
    const tlsPort = await freePort();
    // `user`: as root, mosquitto would drop to its own user before reading the key in our private temp dir.
    const m = await startMosquitto(`user ${userInfo().username}\nlistener ${tlsPort} 127.0.0.1\n` +
      `certfile ${suite.certs.server.certFile}\nkeyfile ${suite.certs.server.keyFile}\n`);
    cleanups.push(() => m.stop());
    await waitForPort(tlsPort);
    const events: string[] = [];
    const msgs: string[] = [];
    const mgr = await suite.polled();
    const conn = mgr.mqttConnect(`mqtts://localhost:${tlsPort}`, {
      version: 5,
      tls: { ca: suite.certs.ca.cert },
      handler: (_c, ev, data) => {
        if (ev === MG_EV_TLS_HS) events.push("tls");
        else if (ev === MG_EV_MQTT_OPEN) events.push(`open ${String(data)}`);
        else if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_SUBACK) events.push("suback");
        else if (ev === MG_EV_MQTT_MSG) msgs.push(`${(data as MqttMessage).topic}=${(data as MqttMessage).text}`);
        else if (ev === MG_EV_ERROR) events.push(`error ${String(data)}`);
        else if (ev === MG_EV_CLOSE) events.push("close");
      },
    });
    await waitFor(() => events.some((e) => e.startsWith("open") || e === "close"), 5000, "MG_EV_MQTT_OPEN");
    expect(events).toEqual(["tls", "open 0"]);
    expect(conn.isTls).toBe(true);
    conn.mqttSub("t/#", { qos: 1 });
    await until(() => events.includes("suback"), "SUBACK");
    conn.mqttPub("t/x", "over TLS", { qos: 1 });
    await until(() => msgs.includes("t/x=over TLS"), "QoS 1 round trip");
    conn.mqttDisconnect();
    await waitFor(() => events.includes("close"), 5000, "close");
    expect(events.filter((e) => e.startsWith("error"))).toEqual([]);
    expect(m.log()).toMatch(/New client connected/);
  });
});
