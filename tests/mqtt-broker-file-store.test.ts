// mqtt-broker-file-store.test.ts: examples/mqtt-broker-file-store.ts run as its
// own process: sessions, queued messages and retained messages survive a
// restart, and no QoS 1 message the broker acknowledged (PUBACK) is lost
// across SIGTERM and restart while a publisher keeps it busy.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { until } from "./helpers/mqtt-peers";

const ROOT = join(__dirname, "..");
const SCRIPT = join(ROOT, "build", "examples", "mqtt-broker-file-store.mjs");
const children = new Set<ChildProcess>();
const clients = new Set<mqtt.MqttClient>();
let dir = "";

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "tsmongoose-store-")); });
afterEach(() => {
  for (const c of clients) c.end(true);
  clients.clear();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; out(): string }> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run node scripts/build.mjs first`);
  const child = spawn(process.execPath, [SCRIPT], { cwd: ROOT, env: { ...process.env, PORT: "0", DATA_DIR: dir }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await until(() => /Press Ctrl\+C/.test(out) || child.exitCode !== null, "the broker to start");
  const m = /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out);
  if (!m) throw new Error(`broker did not start: ${out}`);
  return { child, url: `mqtt://127.0.0.1:${m[1]}`, exited, out: () => out };
}

/** `p`, or a rejection naming `what` after `ms`. */
function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, j) => { t = setTimeout(() => j(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); })])
    .finally(() => clearTimeout(t));
}

async function connect(url: string, opts: mqtt.IClientOptions = {}): Promise<{ c: mqtt.MqttClient; present: boolean }> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.add(c);
  c.on("error", () => undefined); // the broker going away mid-publish is part of the test
  const present = await new Promise<boolean>((resolve, reject) => {
    c.once("connect", (ack) => resolve(ack.sessionPresent));
    c.once("error", reject);
  });
  return { c, present };
}

test.each([4, 5] as const)("MQTT %d: sessions, queued and retained messages survive SIGTERM + restart; no acknowledged QoS 1 message is lost under load", async (version) => {
  const v5 = version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {};
  let b = await start();
  const received = new Set<string>();
  const onMsg = (_t: string, p: Buffer): void => { received.add(p.toString()); };
  const sub = await connect(b.url, { protocolVersion: version, clientId: "keeper", clean: false, ...v5 });
  sub.c.on("message", onMsg);
  await sub.c.subscribeAsync({ "load/#": { qos: 1 } });
  const pub = await connect(b.url, { protocolVersion: version });
  await pub.c.publishAsync("kept/topic", "retained across restarts", { qos: 1, retain: true });
  // A publisher at QoS 1, ten in flight at a time; only PUBACKed ones count.
  const acked = new Set<string>();
  let n = 0, stop = false;
  const worker = async (): Promise<void> => {
    while (!stop && n < 600) {
      const text = `m${n++}`;
      try {
        await pub.c.publishAsync(`load/${text}`, text, { qos: 1 });
        acked.add(text);
      } catch {
        return; // the broker went away before acknowledging it
      }
    }
  };
  const workers = Array.from({ length: 10 }, worker);
  await until(() => acked.size >= 100, "100 acknowledged publishes");
  sub.c.end(true); // the subscriber goes away: the rest queues in its session
  await until(() => acked.size >= 250, "250 acknowledged publishes");
  b.child.kill("SIGTERM");
  expect(await deadline(b.exited, 15_000, `the broker to exit: ${b.out()}`)).toBe(0);
  stop = true;
  pub.c.end(true); // fails what it still waited for
  await deadline(Promise.all(workers), 5000, "the publisher to stop");
  expect(b.out()).toMatch(/sessions saved/);

  b = await start();
  const back = mqtt.connect(b.url, { protocolVersion: version, clientId: "keeper", clean: false, reconnectPeriod: 0, ...v5 });
  clients.add(back);
  back.on("message", onMsg);
  const present = await new Promise<boolean>((resolve, reject) => { back.once("connect", (a) => resolve(a.sessionPresent)); back.once("error", reject); });
  expect(present).toBe(true);
  await until(() => [...acked].every((t) => received.has(t)), `every acknowledged message (${acked.size})`, 15_000);
  // The subscription itself survived too.
  const pub2 = await connect(b.url, { protocolVersion: version });
  await pub2.c.publishAsync("load/after", "after", { qos: 1 });
  await until(() => received.has("after"), "a message on the restored subscription");
  // And the retained message.
  const late = await connect(b.url, { protocolVersion: version });
  const got: string[] = [];
  late.c.on("message", (_t, p, packet) => { if (packet.retain) got.push(p.toString()); });
  await late.c.subscribeAsync("kept/#");
  await until(() => got.length === 1, "the retained message");
  expect(got).toEqual(["retained across restarts"]);
  b.child.kill("SIGTERM");
  expect(await deadline(b.exited, 15_000, "the broker to exit")).toBe(0);
}, 60_000);
