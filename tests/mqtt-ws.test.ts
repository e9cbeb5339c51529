// mqtt-ws.test.ts: MQTT over WebSocket (wasm/src/mqtt_ws.c). Our listener
// (mgr.mqttListen("ws://...")) with a small in-test responder, against
// mqtt.js (3.1.1 and 5, QoS 0/1/2, big packets) and against the `ws`
// package as a raw client sending odd splits (a packet over several
// messages, several packets in one, fragmented messages, text, refusals);
// our client (mgr.mqttConnect("ws://...")) against aedes served over `ws`
// and against our own listener, also over wss://.
import { spawn } from "node:child_process";
import { join } from "node:path";
import mqtt from "mqtt";
import WebSocket, { WebSocketServer } from "ws";
import {
  Manager, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MQTT_CMD_CONNECT, MQTT_CMD_PINGRESP,
  MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_SUBACK,
} from "tsmongoose";
import type { Connection, MqttMessage, MqttConnectOptions } from "tsmongoose";
import { makeManager, backgroundPoll } from "./helpers/server";
import { until } from "./helpers/mqtt-peers";
import { mqttResponder } from "./helpers/mqtt-responder";
import { makeCerts, type Certs } from "./helpers/certs";

const ROOT = join(__dirname, "..");
let mgr: Manager;
let loop: { stop(): Promise<void> };
const cleanups: (() => unknown)[] = [];

beforeEach(async () => {
  mgr = await makeManager();
  loop = backgroundPoll(mgr, 5);
});

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
  if (!mgr.closed) mgr.close();
  await loop.stop();
});

/** Our listener on ws://127.0.0.1:<free port><path> with the responder; its URL. */
function listen(path = "/mqtt", seen: string[] = []): string {
  const l = mgr.mqttListen(`ws://127.0.0.1:0${path}`, { handler: mqttResponder(seen) });
  return `ws://127.0.0.1:${l.localAddr!.port}${path}`;
}

async function mqttjs(url: string, version: 4 | 5, opts: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  cleanups.push(() => c.endAsync(true));
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}

function collect(c: mqtt.MqttClient): { topic: string; payload: Buffer; qos: number }[] {
  const got: { topic: string; payload: Buffer; qos: number }[] = [];
  c.on("message", (topic, payload, packet) => got.push({ topic, payload, qos: packet.qos }));
  return got;
}

describe.each([4, 5] as const)("mqtt.js over ws:// to our listener, MQTT version %d", (version) => {
  test("subscribe, QoS 0/1/2 publishes delivered at their QoS, a 300 KB packet both ways", async () => {
    const url = listen();
    const sub = await mqttjs(url, version);
    const got = collect(sub);
    const granted = await sub.subscribeAsync({ "t/#": { qos: 2 } });
    expect(granted.map((g) => g.qos)).toEqual([2]);
    const pub = await mqttjs(url, version);
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`t/q${qos}`, `m${qos}`, { qos });
    const big = Buffer.alloc(300 * 1024, 7);
    big[0] = 1;
    await pub.publishAsync("t/big", big, { qos: 1 });
    await until(() => got.length === 4, "4 deliveries");
    expect(got.slice(0, 3).map((g) => [g.topic, g.payload.toString(), g.qos])).toEqual([["t/q0", "m0", 0], ["t/q1", "m1", 1], ["t/q2", "m2", 2]]);
    expect(got[3].topic).toBe("t/big");
    expect(Buffer.compare(got[3].payload, big)).toBe(0);
  });
});

test("MQTT 5 Maximum Packet Size of the client binds the server side: mqttPub throws RangeError", async () => {
  let server: Connection | undefined;
  const l = mgr.mqttListen("ws://127.0.0.1:0/", {
    handler: (conn, ev, data) => {
      if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_CONNECT) { conn.mqttConnack(0); server = conn; }
    },
  });
  const c = await mqttjs(`ws://127.0.0.1:${l.localAddr!.port}/`, 5, { properties: { maximumPacketSize: 64 } });
  const got = collect(c);
  await until(() => server !== undefined, "CONNECT");
  expect(() => server!.mqttPub("t", "x".repeat(100))).toThrow(RangeError);
  server!.mqttPub("t", "fits");
  await until(() => got.length === 1, "the small one");
  expect(got[0].payload.toString()).toBe("fits");
});

describe("the ws package as a raw MQTT-over-WebSocket client", () => {
  const CONNECT = Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 30, 0, 1, 0x63]);
  const SUBSCRIBE = Buffer.from([0x82, 8, 0, 1, 0, 3, 0x61, 0x2f, 0x62, 1]);
  const publish = (text: string): Buffer => Buffer.concat([Buffer.from([0x30, 5 + text.length, 0, 3, 0x61, 0x2f, 0x62]), Buffer.from(text)]);

  async function open(url: string, protocols: string[] = ["mqtt"]): Promise<{ ws: WebSocket; bytes(): Buffer; closed: Promise<number> }> {
    const ws = new WebSocket(url, protocols);
    cleanups.push(() => ws.terminate());
    const chunks: Buffer[] = [];
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.on("message", (d: Buffer, isBinary) => { expect(isBinary).toBe(true); chunks.push(d); });
    await new Promise<void>((resolve, reject) => { ws.once("open", () => resolve()); ws.once("error", reject); });
    expect(ws.protocol).toBe("mqtt");
    return { ws, bytes: () => Buffer.concat(chunks), closed };
  }

  test("CONNECT over three messages, then SUBSCRIBE + two PUBLISH in one message, a PUBLISH in a fragmented message", async () => {
    const seen: string[] = [];
    const { ws, bytes } = await open(listen("/mqtt", seen));
    ws.send(CONNECT.subarray(0, 1));
    ws.send(CONNECT.subarray(1, 9));
    ws.send(CONNECT.subarray(9));
    await until(() => bytes().length >= 4, "CONNACK");
    expect([...bytes().subarray(0, 4)]).toEqual([0x20, 2, 0, 0]);
    ws.send(Buffer.concat([SUBSCRIBE, publish("one"), publish("two")]));
    // A PUBLISH cut in three, sent as one message in three frames (FIN on the last).
    const p = publish("three");
    ws.send(p.subarray(0, 2), { binary: true, fin: false });
    ws.send(p.subarray(2, 6), { binary: true, fin: false });
    ws.send(p.subarray(6), { binary: true, fin: true });
    const want = Buffer.concat([Buffer.from([0x20, 2, 0, 0, 0x90, 3, 0, 1, 1]), publish("one"), publish("two"), publish("three")]);
    await until(() => bytes().length >= want.length, "SUBACK and three echoes");
    expect(bytes().equals(want)).toBe(true);
    expect(seen.map((s) => s.split(" ")[1])).toEqual(["1", "8", "3", "3", "3"]);
  });

  test("refusals: no subprotocol mqtt -> 400, another path -> 404; a text message -> close 1003", async () => {
    const url = listen("/mqtt");
    const status = (u: string, protocols: string[]): Promise<number> => new Promise((resolve, reject) => {
      const ws = new WebSocket(u, protocols);
      ws.on("error", () => {}); // the aborted request below
      ws.once("unexpected-response", (req, res) => { resolve(res.statusCode ?? 0); req.destroy(); });
      ws.once("open", () => reject(new Error("upgraded")));
    });
    expect(await status(url, [])).toBe(400);
    expect(await status(url, ["chat"])).toBe(400);
    expect(await status(url.replace("/mqtt", "/other"), ["mqtt"])).toBe(404);
    const { ws, closed } = await open(url);
    ws.send("not binary");
    expect(await closed).toBe(1003);
  });

  test("keep alive: a client silent for 1.5 x its keepalive (1 s) is closed", async () => {
    const { ws, bytes, closed } = await open(listen("/mqtt"));
    const started = Date.now();
    ws.send(CONNECT.map((b, i) => (i === 11 ? 1 : b))); // keepalive 1 s
    await until(() => bytes().length >= 4, "CONNACK");
    await closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  test("the server draining (mqttDisconnect) ends with a close frame 1000", async () => {
    let server: Connection | undefined;
    const l = mgr.mqttListen("ws://127.0.0.1:0", {
      handler: (conn, ev, data) => {
        if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_CONNECT) { conn.mqttConnack(0); server = conn; }
      },
    });
    // No path in the listener's URL: any path is served.
    const { ws, bytes, closed } = await open(`ws://127.0.0.1:${l.localAddr!.port}/any/where`);
    ws.send(CONNECT);
    await until(() => server !== undefined && bytes().length >= 4, "CONNACK");
    server!.mqttDisconnect();
    expect(await closed).toBe(1000);
  });
});

/** Our client, with a log of what it saw. */
interface Client { conn: Connection; opened: number; errors: string[]; cmds: number[]; msgs: { topic: string; text: string; qos: number }[]; closed: boolean }
function client(url: string, opts: MqttConnectOptions = {}): Client {
  const c: Client = { conn: undefined as unknown as Connection, opened: 0, errors: [], cmds: [], msgs: [], closed: false };
  c.conn = mgr.mqttConnect(url, {
    ...opts,
    handler: (_conn, ev, data) => {
      if (ev === MG_EV_MQTT_OPEN) c.opened++;
      else if (ev === MG_EV_ERROR) c.errors.push(String(data));
      else if (ev === MG_EV_CLOSE) c.closed = true;
      else if (ev === MG_EV_MQTT_CMD) c.cmds.push((data as MqttMessage).cmd);
      else if (ev === MG_EV_MQTT_MSG) {
        const m = data as MqttMessage;
        c.msgs.push({ topic: m.topic, text: m.text, qos: m.qos });
      }
    },
  });
  return c;
}

async function exercise(url: string, version: 4 | 5, opts: MqttConnectOptions = {}): Promise<void> {
  const c = client(url, { version, keepalive: 1, ...opts });
  await until(() => c.opened === 1 || c.closed, "MQTT_OPEN");
  expect(c.errors).toEqual([]);
  c.conn.mqttSub("x/#", { qos: 2 });
  await until(() => c.cmds.includes(MQTT_CMD_SUBACK), "SUBACK");
  for (const qos of [0, 1, 2] as const) c.conn.mqttPub(`x/${qos}`, `v${qos}`, { qos });
  const big = "b".repeat(100_000);
  c.conn.mqttPub("x/big", big, { qos: 1 });
  await until(() => c.msgs.length === 4, "4 messages back");
  // A broker may interleave QoS levels (aedes does): order is per QoS.
  expect(c.msgs.slice(0, 3).sort((a, b) => a.qos - b.qos)).toEqual([{ topic: "x/0", text: "v0", qos: 0 }, { topic: "x/1", text: "v1", qos: 1 }, { topic: "x/2", text: "v2", qos: 2 }]);
  expect(c.msgs[3].text).toBe(big);
  await until(() => c.cmds.includes(MQTT_CMD_PUBACK) && c.cmds.includes(MQTT_CMD_PUBCOMP), "PUBACK and PUBCOMP");
  // Keepalive 1 s: a PINGREQ goes out in its frame, the PINGRESP comes back.
  await until(() => c.cmds.includes(MQTT_CMD_PINGRESP), "PINGRESP", 5000);
  c.conn.mqttDisconnect();
  await until(() => c.closed, "close");
  expect(c.errors).toEqual([]);
}

describe("our client over ws://", () => {
  test.each([4, 5] as const)("against our own listener, version %d: QoS 0/1/2, a 100 KB packet, keepalive", async (version) => {
    await exercise(listen("/mqtt"), version);
  });

  test("against aedes served over the ws package (createWebSocketStream)", async () => {
    const child = spawn(process.execPath, [join(ROOT, "tests", "fixtures", "aedes-ws-broker.mjs")], { env: { ...process.env, PORT: "0" }, stdio: ["pipe", "pipe", "pipe"] });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    cleanups.push(async () => { child.kill("SIGTERM"); await exited; });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    await until(() => /aedes ws listening on \d+/.test(out), `aedes (${out})`);
    const port = Number(/aedes ws listening on (\d+)/.exec(out)![1]);
    await exercise(`ws://127.0.0.1:${port}/mqtt`, 4);
  });

  test("a server that does not answer with subprotocol mqtt: MG_EV_ERROR, closed", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => false });
    cleanups.push(() => new Promise((r) => wss.close(r)));
    await new Promise((r) => wss.once("listening", r));
    const c = client(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`);
    await until(() => c.closed, "close");
    expect(c.errors).toEqual(["mqtt: the WebSocket server did not accept subprotocol mqtt"]);
    expect(c.opened).toBe(0);
  });
});

test("graceful shutdown of the client's manager: DISCONNECT goes out (no WebSocket close 1001 before it), then the close", async () => {
  const log: string[] = [];
  const l = mgr.mqttListen("ws://127.0.0.1:0/mqtt", {
    handler: (conn, ev, data) => {
      if (ev === MG_EV_MQTT_CMD) {
        const m = data as MqttMessage;
        log.push(`cmd ${m.cmd}`);
        if (m.cmd === MQTT_CMD_CONNECT) conn.mqttConnack(0);
      } else if (ev === MG_EV_ERROR) log.push(`error ${String(data)}`);
      else if (ev === MG_EV_CLOSE && !conn.isListening) log.push("close");
    },
  });
  const mgr2 = await makeManager();
  const loop2 = backgroundPoll(mgr2, 5);
  cleanups.push(async () => { await loop2.stop(); if (!mgr2.closed) mgr2.close(); });
  let opened = false;
  const conn = mgr2.mqttConnect(`ws://127.0.0.1:${l.localAddr!.port}/mqtt`, {
    will: { topic: "gone", message: "x" },
    handler: (_c, ev, _d) => { if (ev === MG_EV_MQTT_OPEN) opened = true; },
  });
  await until(() => opened, "MQTT_OPEN");
  expect(conn.isWebsocket).toBe(true);
  const report = await mgr2.shutdown({ timeoutMs: 5000 });
  expect(report.forced).toEqual([]);
  await until(() => log.includes("close"), "the broker side closed");
  expect(log).toEqual(["cmd 1", "cmd 14", "close"]);
});

test("examples/mqtt-broker with WS_PORT: a WebSocket client and a TCP client share the broker", async () => {
  const child = spawn(process.execPath, [join(ROOT, "build", "examples", "mqtt-broker.mjs")], { cwd: ROOT, env: { ...process.env, PORT: "0", WS_PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  cleanups.push(async () => { if (child.exitCode === null) child.kill("SIGKILL"); await exited; });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  await until(() => out.includes("Press Ctrl+C to stop"), `the example broker (${out})`);
  const tcp = `mqtt://127.0.0.1:${/running on mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]}`;
  const ws = /running on (ws:\/\/127\.0\.0\.1:\d+\/mqtt)/.exec(out)![1];
  const sub = await mqttjs(ws, 5);
  const got = collect(sub);
  await sub.subscribeAsync("ex/#", { qos: 1 });
  const pub = await mqttjs(tcp, 4);
  await pub.publishAsync("ex/1", "over tcp", { qos: 1 });
  await until(() => got.length === 1, "delivery over ws");
  expect([got[0].topic, got[0].payload.toString(), got[0].qos]).toEqual(["ex/1", "over tcp", 1]);
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
});

describe("wss://", () => {
  let certs: Certs;
  beforeAll(() => { certs = makeCerts(); });
  afterAll(() => certs?.cleanup());

  test("our client to our listener over TLS, and mqtt.js too", async () => {
    const l = mgr.mqttListen("wss://127.0.0.1:0/mqtt", { handler: mqttResponder(), tls: { cert: certs.server.cert, key: certs.server.key } });
    const url = `wss://127.0.0.1:${l.localAddr!.port}/mqtt`;
    await exercise(url, 5, { tls: { ca: certs.ca.cert } });
    const m = await mqttjs(url, 5, { ca: certs.ca.cert });
    const got = collect(m);
    await m.subscribeAsync("s", { qos: 1 });
    await m.publishAsync("s", "secure", { qos: 1 });
    await until(() => got.length === 1, "delivery");
    expect(got[0].payload.toString()).toBe("secure");
  });
});
