// mqtt-cluster.test.ts: examples/mqtt-broker-cluster.ts, one MqttBroker per
// worker under runCluster() (2 workers sharing a port), joined by
// clusterBrokerBus() and clusterSessionStore(). With mqtt.js clients placed
// on both workers (each worker logs the clients it accepts): a subscriber on
// one worker gets QoS 0, 1 and 2 publishes from the other, a retained
// message is seen from either worker, and a persistent session made on one
// worker is resumed on the other with Session Present, its queued messages
// and its subscription; a live connection with the same id on the other
// worker is taken over.
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { killAll, start, until, type Proc } from "./helpers/fleet";

const ROOT = join(__dirname, "..");
const SCRIPT = join(ROOT, "build", "examples", "mqtt-broker-cluster.mjs");
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  killAll();
});

interface Fleet { proc: Proc; port: number; pids: string[] }

async function fleet(): Promise<Fleet> {
  const proc = start(SCRIPT, { PORT: "0", WORKERS: "2", LOG_CLIENTS: "1" }, ROOT);
  const found = await proc.waitFor(/worker (\d+) listening on mqtt:\/\/127\.0\.0\.1:(\d+)/, 2);
  expect(found[1][2]).toBe(found[0][2]);
  return { proc, port: Number(found[0][2]), pids: found.map((m) => m[1]) };
}

interface Placed { c: MqttClient; pid: string; sessionPresent: boolean; got: { topic: string; payload: string; qos: number; retain: boolean }[] }

let seq = 0;
/** Connect `clientId` (a fresh one by default); resolves with the worker that accepted it. */
async function place(f: Fleet, opts: mqtt.IClientOptions = {}): Promise<Placed> {
  const clientId = opts.clientId ?? `c${process.pid}-${++seq}`;
  const before = f.proc.out().split(`client ${clientId}\n`).length - 1;
  const c = mqtt.connect(`mqtt://127.0.0.1:${f.port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...opts, clientId });
  clients.push(c);
  const got: Placed["got"] = [];
  c.on("message", (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain }));
  const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
    c.once("connect", resolve);
    c.once("error", reject);
  });
  const all = await f.proc.waitFor(new RegExp(`worker (\\d+) client ${clientId}\\n`), before + 1);
  return { c, pid: all[all.length - 1][1], sessionPresent: connack.sessionPresent, got };
}

/** SIGTERM to the primary: the fleet stops gracefully and the primary exits 0 (the output is in the failure). */
async function stop(f: Fleet): Promise<void> {
  f.proc.child.kill("SIGTERM");
  const exit = await f.proc.exited;
  expect({ ...exit, out: exit.code === 0 ? "" : f.proc.out() }).toEqual({ code: 0, signal: null, out: "" });
}

/** Connect fresh clients until one lands on a worker other than `not`. */
async function placeOther(f: Fleet, not: string, opts: mqtt.IClientOptions = {}): Promise<Placed> {
  for (let i = 0; i < 12; i++) {
    const p = await place(f, opts);
    if (p.pid !== not) return p;
    p.c.end(true);
  }
  throw new Error(`no client landed off worker ${not}`);
}

test("a subscriber on one worker gets QoS 0, 1 and 2 publishes from the other; retained messages are seen from both", async () => {
  const f = await fleet();
  const sub = await place(f);
  await sub.c.subscribeAsync({ "t/#": { qos: 2 }, "r/#": { qos: 1 } });
  const pub = await placeOther(f, sub.pid);
  await pub.c.publishAsync("t/zero", "q0", { qos: 0 });
  await pub.c.publishAsync("t/one", "q1", { qos: 1 });
  await pub.c.publishAsync("t/two", "q2", { qos: 2 });
  await pub.c.publishAsync("r/kept", "retained", { qos: 1, retain: true });
  await until(() => sub.got.length === 4, 10_000, "the cross-worker deliveries");
  // In topic order: a QoS 2 message is handed to the application at PUBREL, so a later QoS 1 one may come first.
  expect([...sub.got].sort((x, y) => x.topic.localeCompare(y.topic))).toEqual([
    { topic: "r/kept", payload: "retained", qos: 1, retain: false },
    { topic: "t/one", payload: "q1", qos: 1, retain: false },
    { topic: "t/two", payload: "q2", qos: 2, retain: false },
    { topic: "t/zero", payload: "q0", qos: 0, retain: false },
  ]);
  // Late subscribers on both workers get the retained message.
  const late = [await placeOther(f, pub.pid), await placeOther(f, sub.pid)];
  expect(new Set(late.map((l) => l.pid))).toEqual(new Set(f.pids));
  for (const l of late) await l.c.subscribeAsync("r/#", { qos: 1 });
  await until(() => late.every((l) => l.got.length === 1), 10_000, "retained messages on both workers");
  for (const l of late) expect(l.got).toEqual([{ topic: "r/kept", payload: "retained", qos: 1, retain: true }]);
  await stop(f);
}, 60_000);

test("a worker started later (a respawn after a crash) has the retained messages, from the primary's store", async () => {
  const f = await fleet();
  const pub = await place(f);
  await pub.c.publishAsync("r/before", "kept across the crash", { qos: 1, retain: true });
  const victim = f.pids.find((p) => p !== pub.pid)!;
  process.kill(Number(victim), "SIGKILL");
  const listening = await f.proc.waitFor(/worker (\d+) listening on mqtt:/, 3);
  const fresh = listening[2][1];
  let late: Placed | undefined;
  for (let i = 0; i < 12 && !late; i++) {
    const p = await place(f);
    if (p.pid === fresh) late = p;
    else p.c.end(true);
  }
  expect(late).toBeDefined();
  await late!.c.subscribeAsync("r/#", { qos: 1 });
  await until(() => late!.got.length === 1, 10_000, "the retained message on the respawned worker");
  expect(late!.got).toEqual([{ topic: "r/before", payload: "kept across the crash", qos: 1, retain: true }]);
  await stop(f);
}, 60_000);

const PERSISTENT: [string, mqtt.IClientOptions][] = [
  ["MQTT 3.1.1, CleanSession 0", { protocolVersion: 4, clean: false }],
  ["MQTT 5, Clean Start 0 + Session Expiry", { protocolVersion: 5, clean: false, properties: { sessionExpiryInterval: 300 } }],
];
test.each(PERSISTENT)("%s: a session made on one worker resumes on the other: Session Present, queued messages, subscription", async (_, session) => {
  const f = await fleet();
  const id = `sess${process.pid}v${session.protocolVersion}`;
  const first = await place(f, { ...session, clientId: id });
  expect(first.sessionPresent).toBe(false);
  await first.c.subscribeAsync("s/#", { qos: 1 });
  await first.c.endAsync();
  const pub = await place(f);
  // Publish while the client is away, then reconnect until it lands on the other worker.
  let landed: Placed | undefined;
  for (let k = 0; k < 12 && !landed; k++) {
    await pub.c.publishAsync(`s/${k}`, `queued ${k}`, { qos: 1 });
    const again = await place(f, { ...session, clientId: id });
    expect(again.sessionPresent).toBe(true);
    await until(() => again.got.some((m) => m.topic === `s/${k}`), 10_000, `queued message s/${k} (worker ${again.pid})`);
    if (again.pid !== first.pid) landed = again;
    else await again.c.endAsync();
  }
  expect(landed).toBeDefined();
  // Its subscription came along: a live publish reaches it on its new worker.
  await pub.c.publishAsync("s/live", "live", { qos: 1 });
  await until(() => landed!.got.some((m) => m.topic === "s/live"), 10_000, "the live message");
  // A second connection with the id on the first worker takes the session over from the second.
  const closed = new Promise<void>((resolve) => landed!.c.once("close", () => resolve()));
  const thief = await placeOther(f, landed!.pid, { ...session, clientId: id });
  expect(thief.sessionPresent).toBe(true);
  await closed;
  await stop(f);
}, 60_000);
