// mqtt-broker.test.ts: examples/mqtt-broker.ts run as its own process, with
// real clients against it: mqtt.js (npm `mqtt`) in 3.1.1 and 5, and Debian's
// mosquitto_pub / mosquitto_sub. Stopped with SIGTERM: it must deliver what
// it owes at QoS 1, close its clients cleanly (MQTT 5: DISCONNECT 0x8B) and exit 0.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import mqtt from "mqtt";
import { ensureTool, runTool, spawnTool, until } from "./helpers/mqtt-peers";

const ROOT = join(__dirname, "..");
const SCRIPT = join(ROOT, "build", "examples", "mqtt-broker.mjs");

interface Broker { child: ChildProcess; port: number; url: string; out(): string; exited: Promise<number | null> }
const children = new Set<ChildProcess>();
const mqttClients = new Set<mqtt.MqttClient>();

// mosquitto-clients comes from the set-up (scripts/tools.sh); missing, this fails at once.
beforeAll(() => { ensureTool("mosquitto_pub"); ensureTool("mosquitto_sub"); }, 300_000);

afterEach(async () => {
  for (const c of mqttClients) c.end(true);
  mqttClients.clear();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.clear();
});

function startBroker(): Promise<Broker> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run node scripts/build.mjs first`);
  const child = spawn(process.execPath, [SCRIPT], { cwd: ROOT, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start: ${out}`)), 10_000);
    const check = (): void => {
      const m = /MQTT broker running on mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m || !out.includes("Press Ctrl+C to stop")) return;
      clearTimeout(timer);
      const port = Number(m[1]);
      resolve({ child, port, url: `mqtt://127.0.0.1:${port}`, out: () => out, exited });
    };
    child.stdout!.on("data", check);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`broker exited early (${code}): ${out}`)); });
  });
}

async function connect(url: string, version: 4 | 5, opts: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  const c = mqtt.connect(url, { protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  mqttClients.add(c);
  await new Promise<void>((resolve, reject) => {
    c.once("connect", () => resolve());
    c.once("error", reject);
  });
  return c;
}

interface Msg { topic: string; text: string; retain: boolean; qos: number }
function collect(c: mqtt.MqttClient): Msg[] {
  const got: Msg[] = [];
  c.on("message", (topic, payload, packet) => got.push({ topic, text: payload.toString(), retain: packet.retain, qos: packet.qos }));
  return got;
}

describe.each([4, 5] as const)("mqtt.js, MQTT version %d", (version) => {
  test("wildcard subscriptions, QoS 0/1, retained messages, unsubscribe, will, clean disconnect", async () => {
    const b = await startBroker();
    const sub = await connect(b.url, version);
    const got = collect(sub);
    const granted = await sub.subscribeAsync({ "s/+/x": { qos: 1 }, "deep/#": { qos: 0 } });
    expect(granted.map((g) => g.qos)).toEqual([1, 0]);
    const pub = await connect(b.url, version);
    await pub.publishAsync("s/a/x", "one", { qos: 1 });
    await pub.publishAsync("deep/er/still", "two", { qos: 1 });
    await pub.publishAsync("s/a/y", "nomatch", { qos: 0 });
    await pub.publishAsync("retained/t", "kept", { qos: 1, retain: true });
    await pub.publishAsync("s/b/x", "three", { qos: 0 });
    await until(() => got.length === 3, "three messages");
    expect(got).toEqual([
      { topic: "s/a/x", text: "one", retain: false, qos: 1 },
      { topic: "deep/er/still", text: "two", retain: false, qos: 0 },
      { topic: "s/b/x", text: "three", retain: false, qos: 0 },
    ]);
    // Retained: a later subscriber gets it with the retain flag.
    const late = await connect(b.url, version);
    const lateGot = collect(late);
    await late.subscribeAsync("retained/+", { qos: 1 });
    await until(() => lateGot.length === 1, "retained message");
    expect(lateGot[0]).toEqual({ topic: "retained/t", text: "kept", retain: true, qos: 1 });
    // Unsubscribe.
    await sub.unsubscribeAsync("s/+/x");
    await pub.publishAsync("s/c/x", "after-unsub", { qos: 1 });
    await pub.publishAsync("deep/marker", "marker", { qos: 1 });
    await until(() => got.some((g) => g.text === "marker"), "marker");
    expect(got.some((g) => g.text === "after-unsub")).toBe(false);
    // Wills: published when a client vanishes, not after a clean disconnect.
    await late.subscribeAsync("will/#", { qos: 1 });
    const polite = await connect(b.url, version, { will: { topic: "will/polite", payload: Buffer.from("bye"), qos: 1, retain: false } });
    const rude = await connect(b.url, version, { will: { topic: "will/rude", payload: Buffer.from("gone"), qos: 1, retain: false } });
    await polite.endAsync();
    rude.stream.destroy();
    await until(() => lateGot.length === 2, "will");
    await new Promise((r) => setTimeout(r, 200));
    expect(lateGot[1]).toMatchObject({ topic: "will/rude", text: "gone" });
    expect(lateGot.length).toBe(2);
  });

  test("SIGTERM: every accepted QoS 1 publish is delivered, clients are closed cleanly, exit 0", async () => {
    const b = await startBroker();
    const sub = await connect(b.url, version);
    const got = collect(sub);
    let disconnectReason: number | undefined;
    sub.on("disconnect", (packet) => { disconnectReason = packet.reasonCode; });
    const closed = new Promise<void>((r) => sub.once("close", () => r()));
    await sub.subscribeAsync("load/#", { qos: 1 });
    const pub = await connect(b.url, version);
    const acked: string[] = [];
    for (let i = 0; i < 200; i++) {
      const text = `m${i}`;
      pub.publish("load/x", text, { qos: 1 }, (err) => { if (!err) acked.push(text); });
    }
    await until(() => acked.length >= 20, "some PUBACKs");
    b.child.kill("SIGTERM");
    expect(await b.exited).toBe(0);
    await closed;
    // Whatever the broker acknowledged, it delivered before closing.
    const delivered = new Set(got.map((g) => g.text));
    expect(acked.filter((t) => !delivered.has(t))).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(20);
    if (version === 5) expect(disconnectReason).toBe(0x8b);
    else expect(disconnectReason).toBeUndefined();
    expect(b.out()).toMatch(/Delivered what was owed \(0 unacknowledged left\)/);
    expect(b.out()).toMatch(/Broker stopped: \d+ connection\(s\) drained, 0 forced/);
  });
});

describe.each([4, 5] as const)("QoS 2 end to end, MQTT version %d", (version) => {
  test("granted as asked, PUBREC/PUBREL/PUBCOMP both ways, each message delivered once at QoS 2", async () => {
    const b = await startBroker();
    const sub = await connect(b.url, version);
    const got = collect(sub);
    const granted = await sub.subscribeAsync({ "q2/#": { qos: 2 }, "q1/#": { qos: 1 } });
    expect(granted.map((g) => g.qos)).toEqual([2, 1]);
    const pub = await connect(b.url, version);
    // publishAsync resolves on PUBCOMP: the publisher's half of the flow.
    for (let i = 0; i < 20; i++) await pub.publishAsync("q2/x", `m${i}`, { qos: 2 });
    await pub.publishAsync("q1/x", "down to 1", { qos: 2 });
    // mqtt.js hands a QoS 2 message over only on the broker's PUBREL: the broker's half.
    await until(() => got.length === 21, "21 messages");
    // (mqtt.js emits the QoS 1 one at once, the QoS 2 ones at PUBREL: the two topics may interleave.)
    expect(got.filter((g) => g.topic === "q2/x")).toEqual(Array.from({ length: 20 }, (_, i) => ({ topic: "q2/x", text: `m${i}`, retain: false, qos: 2 })));
    expect(got.filter((g) => g.topic === "q1/x")).toEqual([{ topic: "q1/x", text: "down to 1", retain: false, qos: 1 }]);
    // Retained at QoS 2, for a later QoS 2 subscriber.
    await pub.publishAsync("q2/kept", "kept", { qos: 2, retain: true });
    const late = await connect(b.url, version);
    const lateGot = collect(late);
    await late.subscribeAsync("q2/kept", { qos: 2 });
    await until(() => lateGot.length === 1, "retained message");
    expect(lateGot[0]).toEqual({ topic: "q2/kept", text: "kept", retain: true, qos: 2 });
  });

  test("a QoS 2 PUBLISH sent again before PUBREL (DUP) is acknowledged but not delivered twice", async () => {
    const b = await startBroker();
    const sub = await connect(b.url, version);
    const got = collect(sub);
    await sub.subscribeAsync("dup/#", { qos: 2 });
    // mqtt.js never repeats a PUBLISH on a live connection: write the flow by hand.
    const v5 = version === 5;
    const hello = [0, 4, ...Buffer.from("MQTT"), version, 0x02, 0, 30, ...(v5 ? [0] : []), 0, 3, ...Buffer.from("dup")];
    const body = [0, 5, ...Buffer.from("dup/x"), 0, 9, ...(v5 ? [0] : []), ...Buffer.from("once")];
    const publish = (flags: number): number[] => [0x30 | flags, body.length, ...body];
    const s = net.connect(b.port, "127.0.0.1");
    let rx = Buffer.alloc(0);
    s.on("data", (d: Buffer) => { rx = Buffer.concat([rx, d]); });
    s.on("error", () => undefined);
    try {
      await new Promise<void>((r) => s.once("connect", () => r()));
      s.write(Buffer.from([0x10, hello.length, ...hello]));
      await until(() => rx.length >= (v5 ? 5 : 4), "CONNACK");
      rx = Buffer.alloc(0);
      s.write(Buffer.from([...publish(0x04), ...publish(0x0c)])); // QoS 2, then the same with DUP
      await until(() => rx.length >= 8, "two PUBRECs");
      expect([...rx]).toEqual([0x50, 2, 0, 9, 0x50, 2, 0, 9]);
      rx = Buffer.alloc(0);
      s.write(Buffer.from([0x62, 2, 0, 9])); // PUBREL
      await until(() => rx.length >= 4, "PUBCOMP");
      expect([...rx]).toEqual([0x70, 2, 0, 9]);
      // A marker through the same path proves everything before it arrived.
      await (await connect(b.url, version)).publishAsync("dup/marker", "marker", { qos: 2 });
      await until(() => got.some((g) => g.text === "marker"), "marker");
      expect(got.map((g) => g.text)).toEqual(["once", "marker"]);
    } finally {
      s.destroy();
    }
  });
});

test("client identifiers: 3.1.1 refuses an empty one without clean session (0x02); clean session, or MQTT 5, gets one", async () => {
  const b = await startBroker();
  // mqtt.js ("Missing clientId for unclean clients", in 3.1.1 and 5) and
  // mosquitto_pub/sub -c -i "" ("Invalid id") refuse to send it: the CONNECT is written by hand.
  /** Send a CONNECT with an empty client id and CleanSession/Clean Start 0; the bytes received once CONNACK is in (and whether the broker closed). */
  const emptyId = async (version: 4 | 5): Promise<{ rx: number[]; closed: boolean }> => {
    const s = net.connect(b.port, "127.0.0.1");
    let rx = Buffer.alloc(0), closed = false;
    s.on("data", (d: Buffer) => { rx = Buffer.concat([rx, d]); });
    s.on("error", () => undefined);
    s.on("close", () => { closed = true; });
    const body = [0, 4, ...Buffer.from("MQTT"), version, 0x00, 0, 30, ...(version === 5 ? [0] : []), 0, 0];
    s.on("connect", () => s.write(Buffer.from([0x10, body.length, ...body])));
    try {
      await until(() => rx.length >= 2 && rx.length >= 2 + rx[1], "CONNACK");
      if (version === 4) await until(() => closed, "the close");
      return { rx: [...rx], closed };
    } finally {
      s.destroy();
    }
  };
  const v4 = await emptyId(4);
  expect(v4).toEqual({ rx: [0x20, 2, 0, 0x02], closed: true }); // CONNACK: identifier rejected, then the close
  // MQTT 5 assigns an id, with or without Clean Start.
  const v5 = await emptyId(5);
  expect(v5.rx.slice(0, 4)).toEqual([0x20, v5.rx[1], 0, 0]);
  expect(Buffer.from(v5.rx).toString("latin1")).toMatch(/\x12\x00\x15auto-[0-9a-f]{16}/); // Assigned Client Identifier (random, 21 characters)
  // CleanSession=1 with an empty id is fine on 3.1.1 (the broker names the session itself).
  const c4 = await connect(b.url, 4, { clientId: "", clean: true });
  expect(c4.connected).toBe(true);
  let assigned: string | undefined;
  const c5 = mqtt.connect(b.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: "", clean: true });
  mqttClients.add(c5);
  await new Promise<void>((resolve, reject) => {
    c5.once("connect", (ack) => { assigned = ack.properties?.assignedClientIdentifier; resolve(); });
    c5.once("error", reject);
  });
  expect(assigned).toMatch(/^auto-[0-9a-f]{16}$/);
});

test("MQTT 5: a message larger than a subscriber's Maximum Packet Size is not sent to it; the rest flows", async () => {
  const b = await startBroker();
  const small = await connect(b.url, 5, { properties: { maximumPacketSize: 64 } });
  const smallGot = collect(small);
  let smallError: Error | undefined;
  small.on("error", (e) => { smallError = e; });
  await small.subscribeAsync("mps/#", { qos: 1 });
  const big = await connect(b.url, 5);
  const bigGot = collect(big);
  await big.subscribeAsync("mps/#", { qos: 1 });
  const pub = await connect(b.url, 5);
  const large = "L".repeat(100); // a 111-byte PUBLISH to the subscribers
  await pub.publishAsync("mps/a", large, { qos: 1 });
  await pub.publishAsync("mps/b", "fits", { qos: 1 });
  await until(() => smallGot.length === 1 && bigGot.length === 2, "deliveries");
  expect(smallGot.map((g) => g.text)).toEqual(["fits"]);
  expect(bigGot.map((g) => g.text)).toEqual([large, "fits"]);
  expect(smallError).toBeUndefined();
  expect(small.connected).toBe(true);
});

test("MQTT 5 topic aliases from mqtt.js are resolved by the broker", async () => {
  const b = await startBroker();
  const sub = await connect(b.url, 5);
  const got = collect(sub);
  await sub.subscribeAsync("alias/#", { qos: 1 });
  const pub = await connect(b.url, 5);
  await pub.publishAsync("alias/long/topic/name", "first", { qos: 1, properties: { topicAlias: 3 } });
  await pub.publishAsync("", "second", { qos: 1, properties: { topicAlias: 3 } });
  await until(() => got.length === 2, "two messages");
  expect(got.map((g) => [g.topic, g.text])).toEqual([["alias/long/topic/name", "first"], ["alias/long/topic/name", "second"]]);
});

describe.each([["mqttv311", "3.1.1"], ["5", "5"]])("mosquitto_pub / mosquitto_sub -V %s", (v) => {
  test("publish and subscribe through the broker, QoS 0 and 2, retained at QoS 2", async () => {
    ensureTool("mosquitto_pub");
    ensureTool("mosquitto_sub");
    const b = await startBroker();
    const common = ["-h", "127.0.0.1", "-p", String(b.port), "-V", v];
    // -d: mosquitto_sub says when its SUBACK arrived, so we publish after it
    // (stdbuf: its stdout is a pipe, which it would buffer until exit).
    const sub = spawnTool("stdbuf", ["-oL", "mosquitto_sub", ...common, "-d", "-t", "cli/#", "-q", "2", "-v", "-C", "2", "-W", "15"]);
    children.add(sub.child);
    await until(() => /received SUBACK/.test(sub.out()), "mosquitto_sub's SUBACK");
    // Retained: a later subscriber gets it.
    const r1 = await runTool("mosquitto_pub", [...common, "-t", "ret/x", "-m", "kept", "-q", "2", "-r"]);
    expect(r1.code).toBe(0);
    const got = await runTool("mosquitto_sub", [...common, "-t", "ret/+", "-q", "2", "-v", "-C", "1", "-W", "10"]);
    expect(got.stdout.trim()).toBe("ret/x kept");
    for (const [t, q] of [["cli/a", "0"], ["cli/b/c", "2"]]) {
      const r = await runTool("mosquitto_pub", [...common, "-t", t, "-m", `hello ${t}`, "-q", q]);
      expect(r.code).toBe(0);
    }
    expect(await sub.exited).toBe(0);
    expect(sub.out().split("\n").filter((l) => l.startsWith("cli/"))).toEqual(["cli/a hello cli/a", "cli/b/c hello cli/b/c"]);
    // QoS 2 granted as asked, and delivered at QoS 2 with the broker's PUBREL.
    expect(sub.out()).toMatch(/Subscribed \(mid: \d+\): 2/);
    expect(sub.out()).toMatch(/received PUBLISH \(d0, q2, r0, m\d+, 'cli\/b\/c'/);
    expect(sub.out()).toMatch(/received PUBREL/);
  });
});
