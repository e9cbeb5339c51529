// mqtt-bridge-broker.test.ts: the bridge with our in-process MqttBroker as
// its local side (broker.subscribe()/publish(), no socket in between) and a
// real mosquitto upstream; and the other way round, a mosquitto edge whose
// `connection` bridge has our MqttBroker as its upstream.
import { spawn } from "node:child_process";
import { userInfo } from "node:os";
import { join } from "node:path";
import { MqttBridge, MqttBroker, MG_EV_CLOSE, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MQTT_CMD_SUBACK } from "tsmongoose";
import type { Connection, MqttBridgeOptions, MqttMessage } from "tsmongoose";
import { makeCerts } from "./helpers/certs";
import { freePort, mqttTestBed, requireToolPath, runTool, until } from "./helpers/mqtt-bridge-peers";

interface Client { conn: Connection; subacks: number; msgs: { topic: string; text: string; qos: number }[]; closed: boolean }

const bed = mqttTestBed({ stopsFirst: true });
const { stops, mosquitto } = bed;

/** Our broker on a free loopback port. */
async function ourBroker(): Promise<{ broker: MqttBroker; url: string; port: number }> {
  const broker = new MqttBroker(bed.mgr);
  stops.push(() => broker.close());
  const { port } = await broker.listen("mqtt://127.0.0.1:0").listening();
  return { broker, url: `mqtt://127.0.0.1:${port}`, port };
}

async function client(url: string, filters: string[], version: 4 | 5 = 4): Promise<Client> {
  const c: Client = { conn: undefined as unknown as Connection, subacks: 0, msgs: [], closed: false };
  c.conn = bed.mgr.mqttConnect(url, {
    version,
    handler: (conn, ev, data) => {
      if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_SUBACK) c.subacks++;
      else if (ev === MG_EV_MQTT_MSG) {
        const m = data as MqttMessage;
        c.msgs.push({ topic: m.topic, text: m.text, qos: m.qos });
      } else if (ev === MG_EV_CLOSE) c.closed = true;
    },
  });
  let subscribed = false;
  await until(() => {
    if (!subscribed && c.conn.mqttVersion > 0 && !c.closed) {
      try {
        for (const f of filters) c.conn.mqttSub(f, { qos: 2 });
        subscribed = true;
      } catch {
        // not open yet
      }
    }
    return c.subacks === filters.length || c.closed;
  }, "the client's SUBACKs");
  expect(c.closed).toBe(false);
  return c;
}

async function pub(port: number, topic: string, text: string, qos = 1): Promise<void> {
  const r = await runTool(requireToolPath("mosquitto_pub"), ["-h", "127.0.0.1", "-p", String(port), "-q", String(qos), "-t", topic, "-m", text]);
  expect(r).toMatchObject({ code: 0 });
}

const texts = (c: Client): string[] => c.msgs.map((g) => g.text);

function bridge(opts: MqttBridgeOptions): MqttBridge {
  const b = new MqttBridge(bed.mgr, opts);
  stops.push(() => b.close());
  return b;
}

describe.each([4, 5] as const)("local = an in-process MqttBroker, remote = mosquitto over MQTT %d", (version) => {
  test("out, in and both with prefixes; each message arrives once on each side", async () => {
    const central = await mosquitto();
    const { broker, url, port } = await ourBroker();
    const b = bridge({
      local: broker, remote: { url: central.url, version }, notifications: true, name: "edge7",
      topics: [
        { pattern: "up/#", direction: "out", qos: 1, remotePrefix: "edge7/" },
        { pattern: "cmd/#", direction: "in", qos: 1, localPrefix: "central/", remotePrefix: "edge7/" },
        { pattern: "chat/#", direction: "both", qos: 1 },
      ],
    });
    await until(() => b.status().state === "connected", "the bridge to connect");
    const onEdge = await client(url, ["#", "$SYS/broker/connection/#"]);
    const onCentral = await client(central.url, ["#"]);
    await until(() => texts(onEdge).includes("1"), "the retained connection state");
    expect(onEdge.msgs[0]).toMatchObject({ topic: "$SYS/broker/connection/edge7/state" });

    await pub(port, "up/t", "up-1");              // a client of our broker
    broker.publish("up/u", "up-2", { qos: 1 });   // in process
    await pub(central.port, "edge7/cmd/go", "cmd-1");
    await pub(port, "chat/a", "chat-edge");
    await pub(central.port, "chat/a", "chat-central");
    await pub(port, "chat/end", "end-edge");
    await until(() => texts(onCentral).includes("end-edge"), "the edge marker upstream");
    await pub(central.port, "chat/end", "end-central");
    await until(() => texts(onEdge).includes("end-central"), "the central marker at the edge");

    const seen = (c: Client): string[] => c.msgs.map((g) => `${g.topic} ${g.text}`).sort();
    expect(seen(onCentral)).toEqual([
      "chat/a chat-central", "chat/a chat-edge", "chat/end end-central", "chat/end end-edge",
      "edge7/cmd/go cmd-1", "edge7/up/t up-1", "edge7/up/u up-2",
    ]);
    expect(seen(onEdge)).toEqual([
      "$SYS/broker/connection/edge7/state 1", "central/cmd/go cmd-1", "chat/a chat-central", "chat/a chat-edge",
      "chat/end end-central", "chat/end end-edge", "up/t up-1", "up/u up-2",
    ]);
    expect(b.status()).toMatchObject({ forwardedOut: 4, forwardedIn: 3 });
  });
});

test.each([
  ["try_private true"], // mosquitto's default: protocol level 0x84, the "bridge" bit
  ["bridge_protocol_version mqttv311", "try_private false"],
  ["bridge_protocol_version mqttv50"],
])("a mosquitto edge bridges to our MqttBroker as its upstream (mosquitto's `connection`, %s)", async (...protocol: string[]) => {
  const { url, port } = await ourBroker();
  const onCentral = await client(url, ["#"]);
  const edge = await mosquitto([
    "connection to-tsmongoose", `address 127.0.0.1:${port}`, "remote_clientid mosq-edge", "cleansession false",
    ...protocol, "notifications false",
    "topic sensors/# out 1 \"\" edge1/", "topic cmd/# in 1 \"\" edge1/",
  ].join("\n"));
  // mosquitto subscribes upstream right after its CONNACK and logs the SUBACK.
  await until(() => /Received SUBACK from local\.mosq-edge/.test(edge.log()), "the mosquitto bridge's SUBACK from our broker");
  const onEdge = await client(edge.url, ["#"]);
  await pub(port, "edge1/cmd/x", "go");
  await until(() => texts(onEdge).includes("go"), "our broker's message at the edge");
  expect(onEdge.msgs).toContainEqual({ topic: "cmd/x", text: "go", qos: 1 });
  await pub(edge.port, "sensors/t", "21.5");
  await until(() => texts(onCentral).includes("21.5"), "the edge's message at our broker");
  expect(onCentral.msgs).toContainEqual({ topic: "edge1/sensors/t", text: "21.5", qos: 1 });
});

test("examples/mqtt-bridge.ts: an edge broker bridged to mosquitto, stopped by SIGTERM after a clean DISCONNECT", async () => {
  const central = await mosquitto();
  const onCentral = await client(central.url, ["site/#", "alerts/#"]);
  const child = spawn(process.execPath, [join(__dirname, "..", "build", "examples", "mqtt-bridge.mjs")], {
    env: { ...process.env, PORT: "0", UPSTREAM: central.url, EDGE_ID: "e9" }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  stops.push(async () => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); await exited; });
  await until(() => /bridge remote connected/.test(out) || child.exitCode !== null, "the example's bridge to connect", 15_000);
  const port = Number(/running on mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  expect(port).toBeGreaterThan(0);
  const onEdge = await client(`mqtt://127.0.0.1:${port}`, ["cmd/#", "$SYS/broker/connection/#"]);
  await until(() => texts(onEdge).includes("1"), "the retained bridge state at the edge");
  await pub(port, "sensors/t", "20.1");
  await until(() => texts(onCentral).includes("20.1"), "the edge sensor upstream");
  expect(onCentral.msgs).toContainEqual({ topic: "site/e9/sensors/t", text: "20.1", qos: 1 });
  await pub(central.port, "site/e9/cmd/led", "on");
  await until(() => texts(onEdge).includes("on"), "the central command at the edge");
  expect(onEdge.msgs).toContainEqual({ topic: "cmd/led", text: "on", qos: 1 });
  child.kill("SIGTERM");
  expect(await exited).toBe(0);
  expect(out).toMatch(/Bridge closed: 1 message\(s\) up, 1 down, 0 unacknowledged/);
  await until(() => /Client bridge-e9 disconnected\./.test(central.log()), "mosquitto to log the bridge's DISCONNECT");
});

test("flow control: a burst of QoS 1 forwards stays within the upstream's Receive Maximum and the bridge's window", async () => {
  const central = await mosquitto("max_inflight_messages 5");
  const { broker } = await ourBroker();
  const b = bridge({ local: broker, remote: { url: central.url, version: 5 }, topics: [{ pattern: "burst/#", qos: 1 }] });
  await until(() => b.status().state === "connected", "the bridge to connect");
  const onCentral = await client(central.url, ["burst/#"]);
  for (let i = 0; i < 200; i++) broker.publish(`burst/${i}`, `m${i}`, { qos: 1 });
  expect(b.status().inflight).toBeLessThanOrEqual(5);
  await until(() => onCentral.msgs.length === 200, "200 messages upstream");
  expect(new Set(texts(onCentral)).size).toBe(200);
  expect(b.status()).toMatchObject({ remoteConnects: 1, dropped: 0, queued: 0 });
});

test("mqtts:// upstream: verified against the given CA; an unknown CA never connects", async () => {
  const certs = makeCerts();
  stops.push(async () => certs.cleanup());
  const tlsPort = await freePort();
  // `user`: as root, mosquitto would drop to its own user before reading the key in our private temp dir.
  const central = await mosquitto(`user ${userInfo().username}\nlistener ${tlsPort} 127.0.0.1\n` +
    `certfile ${certs.server.certFile}\nkeyfile ${certs.server.keyFile}\n`);
  const { broker } = await ourBroker();
  const onCentral = await client(central.url, ["#"]);
  const rogue = bridge({
    name: "rogue", local: broker, remote: { url: `mqtts://localhost:${tlsPort}`, tls: { ca: certs.otherCa.cert } },
    topics: [{ pattern: "t/#", qos: 1 }], reconnect: { minMs: 50, maxMs: 100 },
  });
  const b = bridge({
    local: broker, remote: { url: `mqtts://localhost:${tlsPort}`, tls: { ca: certs.ca.cert }, version: 5 },
    topics: [{ pattern: "t/#", qos: 1 }],
  });
  await until(() => b.status().state === "connected", "the verified bridge to connect");
  broker.publish("t/x", "over TLS", { qos: 1 });
  await until(() => texts(onCentral).includes("over TLS"), "the message upstream over TLS");
  expect(texts(onCentral)).toEqual(["over TLS"]); // once: the rogue bridge never got through
  await until(() => rogue.status().lastError !== "" && rogue.status().state === "reconnecting", "the rogue bridge's refusal");
  expect(rogue.status()).toMatchObject({ remoteConnects: 0, forwardedOut: 1 });
  expect(rogue.status().lastError).toMatch(/certif|verif|TLS/i);
});

test("close() right after a burst: every message the bridge took reaches the upstream before its DISCONNECT", async () => {
  const central = await mosquitto("max_inflight_messages 5");
  const { broker } = await ourBroker();
  const b = new MqttBridge(bed.mgr, { local: broker, remote: { url: central.url, version: 5, clientId: "burst-close" }, topics: [{ pattern: "burst/#", qos: 1 }] });
  stops.push(() => b.close());
  await until(() => b.status().state === "connected", "the bridge to connect");
  const onCentral = await client(central.url, ["burst/#"]);
  for (let i = 0; i < 200; i++) broker.publish(`burst/${i}`, `m${i}`, { qos: 1 });
  expect(b.status().queued).toBeGreaterThan(100); // the window holds most of them back
  await b.close();
  expect(b.status()).toMatchObject({ forwardedOut: 200, queued: 0, inflight: 0, dropped: 0 });
  await until(() => onCentral.msgs.length === 200, "200 messages upstream");
  await until(() => /Client burst-close disconnected\./.test(central.log()), "the bridge's DISCONNECT");
});
