// arg-errors.test.ts: every public function, method and constructor, called
// with a wrong type or value, throws a TypeError/RangeError that carries
// Node's `code` (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE,
// ERR_INVALID_URL) and names the value. The table below must cover the whole
// surface: a newly exported function, or a new Manager/Connection/... method,
// fails the "covers" test until it gets an entry here.
import * as api from "tsmongoose";
import {
  AsyncManager, Manager, MemoryDatagrams, MemoryNetwork, PackedFs, Rpc, MG_EV_HTTP_MSG, MG_EV_MQTT_CMD, MG_EV_MQTT_OPEN, MQTT_CMD_CONNECT,
} from "tsmongoose";
import type { Connection, HttpMessage, MqttMessage } from "tsmongoose";
import { makeManager } from "./helpers/server";

const CODES: Record<string, string[]> = {
  TypeError: ["ERR_INVALID_ARG_TYPE", "ERR_INVALID_ARG_VALUE", "ERR_INVALID_URL"],
  RangeError: ["ERR_OUT_OF_RANGE", "ERR_INVALID_ARG_VALUE"],
};

/** Call `fn`; it must throw synchronously (or reject) with a coded argument error. */
async function expectArgError(label: string, fn: () => unknown): Promise<string> {
  let err: unknown;
  try {
    const r = fn();
    if (r instanceof Promise) await r;
  } catch (e) {
    err = e;
  }
  const e = err as { name?: string; code?: unknown; message?: string } | undefined;
  const got = e === undefined ? "no error" : `${e.name} ${String(e.code)}: ${e.message}`;
  const ok = e !== undefined && (e instanceof TypeError || e instanceof RangeError) &&
    CODES[e instanceof RangeError ? "RangeError" : "TypeError"].includes(String((err as { code?: unknown }).code));
  return ok ? "" : `${label}: ${got}`;
}

/** What the calls run against: an accepted HTTP connection inside its handler, an open MQTT client connection. */
type Ctx = { mgr: Manager; conn: Connection; mq: Connection; msg: HttpMessage; am: AsyncManager };
type Calls = (c: Ctx) => Array<() => unknown>;

const NOT_A_FN = "x" as never;
const NEG = -5 as never;
const STR = "x" as never;

// Top-level functions of the package (Node entry).
const FUNCTIONS: Record<string, Calls> = {
  base64Decode: () => [() => api.base64Decode(5 as never)],
  base64Encode: () => [() => api.base64Encode(5 as never)],
  clusterBrokerBus: () => [], // no arguments
  clusterBusAvailable: () => [], // no arguments
  clusterChannel: () => [() => api.clusterChannel(5 as never), () => api.clusterChannel("c", { maxPendingBytes: NEG })],
  clusterSessionStore: () => [], // no arguments
  clusterRelay: () => [() => api.clusterRelay(STR), () => api.clusterRelay({ maxPendingBytes: NEG }), () => api.clusterRelay({ mqttStore: STR })],
  crc32: () => [() => api.crc32(5 as never), () => api.crc32("a", NEG)],
  defaultTransport: () => [], // no arguments
  eventName: () => [() => api.eventName(STR)], // any number is named (MG_EV_UNKNOWN(n)), as the reference
  fetchHandler: () => [() => api.fetchHandler(NOT_A_FN), () => api.fetchHandler(() => new Response(""), { highWaterMark: NEG })],
  globMatch: () => [() => api.globMatch(5 as never, "a")],
  topicMatches: () => [() => api.topicMatches(5 as never, "a"), () => api.topicMatches("a", 5 as never)],
  validTopicName: () => [() => api.validTopicName(5 as never)],
  validTopicFilter: () => [() => api.validTopicFilter(5 as never)],
  hmacSha256: () => [() => api.hmacSha256(5 as never, "a")],
  httpParseMultipart: () => [() => api.httpParseMultipart(5 as never), () => api.httpParseMultipart(new Uint8Array(1), NEG)],
  httpVar: () => [() => api.httpVar("a=1", 5 as never)],
  init: () => [() => api.init({ wasm: 5 as never })],
  jsonGet: () => [() => api.jsonGet("{}", "a")],
  jsonGetBool: () => [() => api.jsonGetBool("{}", 5 as never)],
  jsonGetLong: () => [() => api.jsonGetLong("{}", 5 as never)],
  jsonGetNum: () => [() => api.jsonGetNum(5 as never, "$")],
  jsonGetStr: () => [() => api.jsonGetStr("{}", "a")],
  logGet: () => [], // no arguments
  logSet: () => [() => api.logSet(9), () => api.logSet(1, NOT_A_FN)],
  match: () => [() => api.match(5 as never, "a")],
  md5: () => [() => api.md5(5 as never)],
  memoryNetwork: () => [() => api.memoryNetwork(STR)],
  millis: () => [], // no arguments
  nodeNetwork: () => [() => api.nodeNetwork(STR), () => api.nodeNetwork({ transport: "carrier-pigeon" as never })],
  randomBytes: () => [() => api.randomBytes(NEG), () => api.randomBytes(STR)],
  randomStr: () => [() => api.randomStr(NEG)],
  runCluster: () => [() => api.runCluster(STR), () => api.runCluster({ workers: NEG })],
  staticCacheUsage: () => [], // no arguments
  serve: () => [() => api.serve(STR), () => api.serve({} as never), () => api.serve({ fetch: () => new Response(""), port: -1 })],
  sha1: () => [() => api.sha1(5 as never)],
  sha256: () => [() => api.sha256(5 as never)],
  urlDecode: () => [() => api.urlDecode(5 as never)],
  urlEncode: () => [() => api.urlEncode(5 as never)],
  urlHost: () => [() => api.urlHost(5 as never)],
  urlIsSsl: () => [() => api.urlIsSsl(5 as never)],
  urlPass: () => [() => api.urlPass(5 as never)],
  urlPort: () => [() => api.urlPort(5 as never)],
  urlUri: () => [() => api.urlUri(5 as never)],
  urlUser: () => [() => api.urlUser(5 as never)],
  wakeup: (c) => [() => api.wakeup(STR, 1), () => api.wakeup(c.mgr.wakeupHandle(), NEG)],
};

// Constructors a user calls (error classes and views the library makes are listed in NOT_CONSTRUCTED).
// A bridge whose brokers are not there: it keeps trying until the manager closes.
const BRIDGE_OPTS = { local: "mqtt://127.0.0.1:1", remote: { url: "mqtt://127.0.0.1:1" }, topics: [{ pattern: "a/#" }] };

const CONSTRUCTORS: Record<string, Calls> = {
  Manager: () => [() => new Manager(NOT_A_FN), () => new Manager(undefined, STR), () => new Manager(undefined, { limits: { maxBodySize: NEG } })],
  AsyncManager: () => [() => new AsyncManager(NOT_A_FN), () => new AsyncManager(undefined, { shutdownTimeout: NEG })],
  Rpc: () => [], // no arguments
  MqttSession: () => [], // no arguments
  MemorySessionStore: () => [], // no arguments
  TopicTree: () => [], // no arguments
  MqttBroker: ({ mgr }) => [() => new api.MqttBroker(STR), () => new api.MqttBroker(mgr, STR), () => new api.MqttBroker(mgr, { limits: { maxInflight: NEG } }),
    () => new api.MqttBroker(mgr, { authenticate: NOT_A_FN }), () => new api.MqttBroker(mgr, { store: {} as never })],
  MqttBridge: ({ mgr }) => [() => new api.MqttBridge(STR, BRIDGE_OPTS), () => new api.MqttBridge(mgr, STR),
    () => new api.MqttBridge(mgr, { ...BRIDGE_OPTS, topics: [{ pattern: "a", qos: 3 as never }] }), () => new api.MqttBridge(mgr, { ...BRIDGE_OPTS, reconnect: { minMs: NEG } })],
  MemoryNetwork: () => [() => new MemoryNetwork(STR)],
  MemoryDatagrams: () => [() => new MemoryDatagrams(() => undefined, STR)],
  PackedFs: () => [() => new PackedFs(STR), () => new PackedFs({ "/a": 5 as never })],
};
const NOT_CONSTRUCTED = [
  "Connection", "ConnectionError", "ConnectionClosedError", "FetchServer", "HeadersSentError", "HttpMessage", "InvalidUrlError",
  "ListenError", "ManagerClosedError", "MessageExpiredError", "MongooseError", "MqttMessage", "ReplyTooLargeError", "RpcReq",
  "Timer", "TlsNotConfiguredError", "WsMessage",
];

const MANAGER: Record<string, Calls> = {
  listen: ({ mgr }) => [() => mgr.listen(5 as never), () => mgr.listen("http://127.0.0.1:0", STR),
    () => mgr.listen("https://127.0.0.1:0", { tls: {} }), () => mgr.listen("http://127.0.0.1:0", { handler: NOT_A_FN })],
  connect: ({ mgr }) => [() => mgr.connect(5 as never), () => mgr.connect("tcp://127.0.0.1:1", { timeoutMs: NEG }),
    () => mgr.connect("tcp://127.0.0.1:1", { resolveTimeoutMs: STR }), () => mgr.connect("tcp://127.0.0.1:1", { signal: STR })],
  mqttConnect: ({ mgr }) => [() => mgr.mqttConnect(5 as never), () => mgr.mqttConnect("mqtt://127.0.0.1:1", { version: 3 as never }),
    () => mgr.mqttConnect("mqtt://127.0.0.1:1", { keepalive: NEG })],
  mqttListen: ({ mgr }) => [() => mgr.mqttListen(5 as never), () => mgr.mqttListen("http://127.0.0.1:0")],
  wsConnect: ({ mgr }) => [() => mgr.wsConnect(5 as never), () => mgr.wsConnect("http://127.0.0.1:1/")],
  sntpConnect: ({ mgr }) => [() => mgr.sntpConnect(5 as never), () => mgr.sntpConnect("tcp://127.0.0.1:1")],
  poll: ({ mgr }) => [() => mgr.poll(NEG), () => mgr.poll(STR), () => mgr.poll(0, { signal: STR })],
  timerAdd: ({ mgr }) => [() => mgr.timerAdd(NEG, () => undefined), () => mgr.timerAdd(1, NOT_A_FN)],
  wakeup: ({ mgr }) => [() => mgr.wakeup(STR), () => mgr.wakeup(1, 5 as never)], // unknown ids return false
  run: ({ mgr }) => [() => mgr.run(STR), () => mgr.run({ signal: STR })],
  shutdown: ({ mgr }) => [() => mgr.shutdown(STR), () => mgr.shutdown({ timeoutMs: NEG })],
  onShutdown: ({ mgr }) => [() => mgr.onShutdown(NOT_A_FN)],
  wakeupHandle: () => [], // no arguments
  setTlsContext: ({ mgr }) => [() => mgr.setTlsContext(STR), () => mgr.setTlsContext({ cert: 5 as never, key: 5 as never })],
  close: () => [], // no arguments
  toString: () => [], // no arguments
};
const MANAGER_STATIC: Record<string, Calls> = {
  create: () => [() => Manager.create(NOT_A_FN)],
};

const CONNECTION: Record<string, Calls> = {
  setHandler: ({ conn }) => [() => conn.setHandler(NOT_A_FN)],
  listening: ({ conn }) => [() => conn.listening()], // not a listener
  send: ({ conn }) => [() => conn.send(5 as never)],
  reply: ({ conn }) => [() => conn.reply(NEG), () => conn.reply(200, 5 as never), () => conn.reply(200, "", 5 as never)],
  replyJson: ({ conn }) => [() => conn.replyJson(1n), () => conn.replyJson(1, NEG)],
  httpStart: ({ conn }) => [() => conn.httpStart(NEG)],
  httpChunk: ({ conn }) => [() => conn.httpChunk(5 as never)],
  httpSse: ({ conn }) => [() => conn.httpSse(5 as never, "d"), () => conn.httpSse("e", 5 as never)],
  sntpRequest: () => [], // no arguments
  serveDir: ({ conn, msg }) => [() => conn.serveDir(STR, "/"), () => conn.serveDir(msg, 5 as never),
    () => conn.serveDir(msg, "/", { cache: true as never }), () => conn.serveDir(msg, "/", { cache: { maxBytes: NEG } })],
  serveFile: ({ conn, msg }) => [() => conn.serveFile(STR, "/a"), () => conn.serveFile(msg, "")],
  httpStreamBody: ({ conn }) => [() => conn.httpStreamBody(NOT_A_FN)],
  httpBasicAuth: ({ conn }) => [() => conn.httpBasicAuth(5 as never, "p"), () => conn.httpBasicAuth("a:b", "p")],
  resolve: ({ conn }) => [() => conn.resolve(5 as never), () => conn.resolve("tcp://localhost:1", { timeoutMs: NEG })],
  resolveCancel: () => [], // no arguments
  drain: () => [], // no arguments
  close: () => [], // no arguments
  error: ({ conn }) => [() => conn.error(5 as never)],
  recvData: ({ conn }) => [() => conn.recvData(-2), () => conn.recvData(STR)],
  sendData: ({ conn }) => [() => conn.sendData(-2)],
  mqttPub: ({ mq }) => [() => mq.mqttPub("a/+/b", "m"), () => mq.mqttPub(5 as never, "m"), () => mq.mqttPub("a", 5 as never),
    () => mq.mqttPub("a", "m", { qos: 3 as never })],
  mqttSub: ({ mq }) => [() => mq.mqttSub(5 as never), () => mq.mqttSub("a", { qos: NEG })],
  mqttUnsub: ({ mq }) => [() => mq.mqttUnsub(5 as never)],
  mqttPing: () => [], // no arguments
  mqttPong: () => [], // no arguments
  mqttDisconnect: ({ mq }) => [() => mq.mqttDisconnect(STR)],
  mqttConnack: ({ mq }) => [() => mq.mqttConnack(NEG)],
  mqttSuback: ({ mq }) => [() => mq.mqttSuback(NEG, [0]), () => mq.mqttSuback(1, STR)],
  mqttUnsuback: ({ mq }) => [() => mq.mqttUnsuback(NEG)],
  mqttPuback: ({ mq }) => [() => mq.mqttPuback(NEG)],
  mqttPubrec: ({ mq }) => [() => mq.mqttPubrec(NEG)],
  mqttPubrel: ({ mq }) => [() => mq.mqttPubrel(NEG)],
  mqttPubcomp: ({ mq }) => [() => mq.mqttPubcomp(STR)],
  wsUpgrade: ({ conn }) => [() => conn.wsUpgrade(STR)],
  wsSend: ({ conn }) => [() => conn.wsSend(5 as never), () => conn.wsSend("a", 99), () => conn.wsSend("a".repeat(200), 9)],
  wsClose: ({ conn }) => [() => conn.wsClose(5), () => conn.wsClose(1000, 5 as never)],
  tlsInit: ({ conn }) => [() => conn.tlsInit(STR), () => conn.tlsInit({ name: 5 as never })],
  tlsFree: () => [], // no arguments
  toString: () => [], // no arguments
};

const ASYNC_MANAGER: Record<string, Calls> = {
  listen: ({ am }) => [() => am.listen(5 as never)],
  mqttListen: ({ am }) => [() => am.mqttListen(5 as never)],
  connect: ({ am }) => [() => am.connect("tcp://127.0.0.1:1", { timeoutMs: NEG })],
  wsConnect: ({ am }) => [() => am.wsConnect("tcp://127.0.0.1:1")],
  mqttConnect: ({ am }) => [() => am.mqttConnect("mqtt://127.0.0.1:1", { version: 3 as never })],
  sntpConnect: ({ am }) => [() => am.sntpConnect(5 as never)],
  timerAdd: ({ am }) => [() => am.timerAdd(NEG, () => undefined)],
  wakeup: ({ am }) => [() => am.wakeup(STR)],
  wakeupHandle: () => [], // no arguments
  ready: () => [], // no arguments
  close: () => [], // no arguments
};

const HTTP_MESSAGE: Record<string, Calls> = {
  header: ({ msg }) => [() => msg.header(5 as never)],
  headers: () => [], // no arguments
  queryVar: ({ msg }) => [() => msg.queryVar(5 as never)],
  headerVar: ({ msg }) => [() => msg.headerVar("Host", 5 as never)],
  creds: () => [], // no arguments
  status: () => [], // no arguments
  toString: () => [], // no arguments
};

const broker = (mgr: Manager): InstanceType<typeof api.MqttBroker> => new api.MqttBroker(mgr);
const MQTT_BROKER: Record<string, Calls> = {
  listen: ({ mgr }) => [() => broker(mgr).listen(5 as never), () => broker(mgr).listen("http://127.0.0.1:0")],
  publish: ({ mgr }) => [() => broker(mgr).publish(5 as never, "x"), () => broker(mgr).publish("a/+", "x"), () => broker(mgr).publish("a", "x", { qos: 3 as never })],
  subscribe: ({ mgr }) => [() => broker(mgr).subscribe("a/#/b", () => undefined), () => broker(mgr).subscribe("a", NOT_A_FN)],
  stats: () => [], // no arguments
  close: ({ mgr }) => [() => broker(mgr).close({ timeoutMs: NEG })],
};
const MQTT_BRIDGE: Record<string, Calls> = {
  on: ({ mgr }) => [() => new api.MqttBridge(mgr, BRIDGE_OPTS).on(NOT_A_FN)],
  status: () => [], // no arguments
  close: () => [], // no arguments
};
const TOPIC_TREE: Record<string, Calls> = {
  add: () => [() => new api.TopicTree().add(5 as never, 1)],
  delete: () => [() => new api.TopicTree().delete(5 as never, 1)],
  match: () => [() => new api.TopicTree().match(5 as never, () => undefined), () => new api.TopicTree().match("a", NOT_A_FN)],
};

const RPC: Record<string, Calls> = {
  add: () => [() => new Rpc().add(5 as never, () => undefined), () => new Rpc().add("m", NOT_A_FN)],
  process: () => [() => new Rpc().process(5 as never)],
};

/** Public methods of a prototype: functions, not getters, not `_internal` ones. */
function methods(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter((n) => {
    const d = Object.getOwnPropertyDescriptor(proto, n)!;
    return n !== "constructor" && !n.startsWith("_") && typeof d.value === "function";
  }).sort();
}

const isClass = (f: unknown): boolean => typeof f === "function" && /^class\b/.test(Function.prototype.toString.call(f));

describe("argument errors carry Node codes across the public API", () => {
  test("the table covers every exported function and class and every public method", () => {
    const exported = Object.entries(api as Record<string, unknown>).filter(([, v]) => typeof v === "function");
    expect(exported.filter(([, v]) => !isClass(v)).map(([k]) => k).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    expect(exported.filter(([, v]) => isClass(v)).map(([k]) => k).sort())
      .toEqual([...Object.keys(CONSTRUCTORS), ...NOT_CONSTRUCTED].sort());
    expect(methods(api.Manager.prototype)).toEqual(Object.keys(MANAGER).sort());
    expect(Object.getOwnPropertyNames(api.Manager).filter((n) => typeof (api.Manager as never)[n] === "function").sort())
      .toEqual(Object.keys(MANAGER_STATIC).sort());
    expect(methods(api.Connection.prototype)).toEqual(Object.keys(CONNECTION).sort());
    expect(methods(api.AsyncManager.prototype)).toEqual(Object.keys(ASYNC_MANAGER).sort());
    expect(methods(api.HttpMessage.prototype)).toEqual(Object.keys(HTTP_MESSAGE).sort());
    expect(methods(api.Rpc.prototype)).toEqual(Object.keys(RPC).sort());
    expect(methods(api.MqttBroker.prototype)).toEqual(Object.keys(MQTT_BROKER).sort());
    expect(methods(api.TopicTree.prototype)).toEqual(Object.keys(TOPIC_TREE).sort());
    expect(methods(api.MqttBridge.prototype)).toEqual(Object.keys(MQTT_BRIDGE).sort());
  });

  test("every call with a wrong argument throws a TypeError/RangeError with a Node code", async () => {
    let msg: HttpMessage | undefined;
    let conn: Connection | undefined;
    let mqttOpen = false;
    const failures: string[] = [];
    let ctx: Ctx | undefined;
    let finished = false;
    // The table runs inside the handler of a real request so that message
    // views are valid and the connection is an accepted HTTP one.
    const mgr = await makeManager((c, ev, data) => {
      if (ev === MG_EV_MQTT_OPEN) mqttOpen = true;
      if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_CONNECT) c.mqttConnack(0); // the broker side accepts
      if (ev !== MG_EV_HTTP_MSG || ctx !== undefined) return;
      conn = c;
      msg = data as HttpMessage;
      ctx = { mgr, conn, mq, msg, am };
      const tables: Array<[string, Record<string, Calls>]> = [
        ["", FUNCTIONS], ["new ", CONSTRUCTORS], ["mgr.", MANAGER], ["Manager.", MANAGER_STATIC], ["conn.", CONNECTION],
        ["am.", ASYNC_MANAGER], ["msg.", HTTP_MESSAGE], ["rpc.", RPC], ["broker.", MQTT_BROKER], ["tree.", TOPIC_TREE], ["bridge.", MQTT_BRIDGE],
      ];
      const pending: Promise<string>[] = [];
      for (const [prefix, table] of tables) {
        for (const [name, calls] of Object.entries(table)) {
          calls(ctx).forEach((fn, i) => pending.push(expectArgError(`${prefix}${name} #${i + 1}`, fn)));
        }
      }
      void Promise.all(pending).then((r) => {
        failures.push(...r.filter((x) => x !== ""));
        c.reply(200, "done");
        finished = true;
      });
    }, { enableWakeup: true });
    const am = new AsyncManager();
    const listener = mgr.listen("http://127.0.0.1:0");
    const broker = mgr.mqttListen("mqtt://127.0.0.1:0");
    let mq!: Connection;
    try {
      const { port } = await listener.listening();
      mq = mgr.mqttConnect(`mqtt://127.0.0.1:${(await broker.listening()).port}`);
      const opened = Date.now() + 10_000;
      while (!mqttOpen && Date.now() < opened) await mgr.poll(5);
      expect(mqttOpen).toBe(true);
      const res = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
      const end = Date.now() + 10_000;
      while (!finished && Date.now() < end) await mgr.poll(5);
      expect(finished).toBe(true);
      expect(failures).toEqual([]);
      await mgr.poll(5);
      void res.catch(() => undefined);
      expect(conn).toBeDefined();
      expect(msg).toBeDefined();
    } finally {
      am.close();
      mgr.close();
    }
  });

  test("messages name the argument and the value, as Node's do", async () => {
    const mgr = await makeManager();
    try {
      expect(() => mgr.connect("tcp://127.0.0.1:1", { timeoutMs: -5 }))
        .toThrow(expect.objectContaining({ code: "ERR_OUT_OF_RANGE", message: expect.stringMatching(/"timeoutMs" option .*>= 0.*Received -5/) }));
      expect(() => mgr.wsConnect("http://127.0.0.1:1/"))
        .toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE", message: expect.stringContaining('Received "http://127.0.0.1:1/"') }));
      expect(() => api.httpParseMultipart(5 as never))
        .toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE", message: expect.stringContaining("Received 5") }));
    } finally {
      mgr.close();
    }
  });
});
