// mqtt-bridge.test.ts: MqttBridge between two real mosquitto brokers (Debian's
// /usr/sbin/mosquitto on free loopback ports): the local one stands for the
// edge, the remote one for the central broker. Outside clients are our own
// MQTT client and mosquitto_pub. Covers out / in / both with prefixes, the
// QoS cap, loop prevention (MQTT 3.1.1 echo guard and MQTT 5 No Local),
// reconnect with backoff across an upstream restart on the same port
// (QoS 1 messages published during the outage arrive), notifications and a
// clean close (DISCONNECT, no connection or timer left behind).
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqttBridge, MG_EV_CLOSE, MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MQTT_CMD_SUBACK } from "tsmongoose";
import type { Connection, MqttBridgeEvent, MqttBridgeOptions, MqttConnectOptions, MqttMessage } from "tsmongoose";
import { freePort, mqttTestBed, requireToolPath, runTool, startMosquitto, until, type Mosquitto } from "./helpers/mqtt-bridge-peers";

interface Got { topic: string; text: string; qos: number; retain: boolean }
interface Client { conn: Connection; open: boolean; subacks: number; msgs: Got[]; closed: boolean }

const bed = mqttTestBed({ stopsFirst: true });
const { stops, mosquitto } = bed;

/** An outside client (our own MQTT client) that records what it receives. */
async function client(url: string, filters: string[], opts: MqttConnectOptions = {}): Promise<Client> {
  const c: Client = { conn: undefined as unknown as Connection, open: false, subacks: 0, msgs: [], closed: false };
  c.conn = bed.mgr.mqttConnect(url, {
    ...opts,
    handler: (conn, ev, data) => {
      if (ev === MG_EV_MQTT_OPEN) {
        c.open = true;
        for (const f of filters) conn.mqttSub(f, { qos: 2 });
      } else if (ev === MG_EV_MQTT_CMD && (data as MqttMessage).cmd === MQTT_CMD_SUBACK) c.subacks++;
      else if (ev === MG_EV_MQTT_MSG) {
        const m = data as MqttMessage;
        c.msgs.push({ topic: m.topic, text: m.text, qos: m.qos, retain: m.retain });
      } else if (ev === MG_EV_CLOSE) c.closed = true;
    },
  });
  await until(() => c.subacks === filters.length || c.closed, "the client's SUBACKs");
  expect(c.closed).toBe(false);
  return c;
}

function bridge(opts: MqttBridgeOptions): { b: MqttBridge; events: MqttBridgeEvent[] } {
  const b = new MqttBridge(bed.mgr, opts);
  const events: MqttBridgeEvent[] = [];
  b.on((e) => events.push(e));
  stops.push(() => b.close());
  return { b, events };
}

/** Until the bridge has both sides up (and so its subscriptions were sent right after each CONNACK). */
async function connected(b: MqttBridge): Promise<void> {
  await until(() => b.status().state === "connected" && b.status().localConnected, "the bridge to connect both sides");
}

/** Publish with mosquitto_pub (an outside process). */
async function pub(m: Mosquitto, topic: string, text: string, qos = 1, extra: string[] = []): Promise<void> {
  const r = await runTool(requireToolPath("mosquitto_pub"), ["-h", "127.0.0.1", "-p", String(m.port), "-q", String(qos), "-t", topic, "-m", text, ...extra]);
  expect(r).toMatchObject({ code: 0 });
}

const texts = (c: Client): string[] => c.msgs.map((g) => g.text);

test("out: local topics matching the pattern reach the remote with the prefixes swapped, at min(rule QoS, message QoS)", async () => {
  const [edge, central] = await Promise.all([mosquitto(), mosquitto()]);
  const { b } = bridge({
    local: edge.url, remote: { url: central.url, clientId: "edge-1" },
    topics: [{ pattern: "sensors/#", direction: "out", qos: 1, localPrefix: "edge/", remotePrefix: "site1/" }],
  });
  await connected(b);
  const sub = await client(central.url, ["#"]);
  const local = await client(edge.url, ["#"]);
  await pub(edge, "edge/sensors/t1", "q2", 2);
  await pub(edge, "edge/sensors/a/b", "q0", 0);
  await pub(edge, "edge/other", "not-bridged", 1);
  await pub(edge, "sensors/t1", "no-prefix", 1);
  await pub(edge, "edge/sensors/end", "end", 1);
  await until(() => texts(sub).includes("end"), "the last message upstream");
  expect(sub.msgs).toEqual([
    { topic: "site1/sensors/t1", text: "q2", qos: 1, retain: false }, // capped at the rule's QoS 1
    { topic: "site1/sensors/a/b", text: "q0", qos: 0, retain: false },
    { topic: "site1/sensors/end", text: "end", qos: 1, retain: false },
  ]);
  await until(() => texts(local).includes("end"), "the local copy");
  expect(texts(local)).toEqual(["q2", "q0", "not-bridged", "no-prefix", "end"]); // nothing came back into the edge
  expect(b.status()).toMatchObject({ forwardedOut: 3, forwardedIn: 0, dropped: 0 });
});

test("in: remote topics come into the local broker with the remote prefix stripped and the local one added", async () => {
  const [edge, central] = await Promise.all([mosquitto(), mosquitto()]);
  const { b } = bridge({
    local: edge.url, remote: { url: central.url },
    topics: [{ pattern: "cmd/+", direction: "in", qos: 0, remotePrefix: "site1/" }, { pattern: "#", direction: "in", qos: 1, localPrefix: "central/", remotePrefix: "broadcast/" }],
  });
  await connected(b);
  const sub = await client(edge.url, ["#"]);
  await pub(central, "site1/cmd/reboot", "reboot", 1);
  await pub(central, "site1/cmd/a/b", "too-deep", 1);
  await pub(central, "broadcast/x/y", "bc", 2);
  await pub(central, "broadcast", "parent", 1); // "#" also matches the parent level
  await until(() => texts(sub).includes("parent"), "the broadcast messages locally");
  expect(sub.msgs).toEqual([
    { topic: "cmd/reboot", text: "reboot", qos: 0, retain: false }, // capped at the rule's QoS 0
    { topic: "central/x/y", text: "bc", qos: 1, retain: false },
    { topic: "central/", text: "parent", qos: 1, retain: false }, // as mosquitto: prefix + what the pattern matched
  ]);
  expect(b.status()).toMatchObject({ forwardedIn: 3, forwardedOut: 0 });
});

describe.each([4, 5] as const)("both, MQTT %d to the remote and the local broker", (version) => {
  test("a message published once arrives once on each side, whichever side it starts from", async () => {
    const [edge, central] = await Promise.all([mosquitto(), mosquitto()]);
    const { b } = bridge({
      local: { url: edge.url, version }, remote: { url: central.url, version },
      topics: [{ pattern: "chat/#", direction: "both", qos: 1, localPrefix: "l/", remotePrefix: "r/" }],
    });
    await connected(b);
    const onEdge = await client(edge.url, ["l/chat/#"]);
    const onCentral = await client(central.url, ["r/chat/#"]);
    for (let i = 0; i < 5; i++) {
      await pub(edge, "l/chat/room", `from-edge-${i}`, 1);
      await pub(central, "r/chat/room", `from-central-${i}`, 1);
    }
    // Markers both ways after the messages: an echo of any of them would be in before these.
    await pub(edge, "l/chat/end", "end-edge", 1);
    await until(() => texts(onCentral).includes("end-edge"), "the edge marker upstream");
    await pub(central, "r/chat/end", "end-central", 1);
    await until(() => texts(onEdge).includes("end-central"), "the central marker at the edge");
    const expected = [...Array(5).keys()].flatMap((i) => [`from-edge-${i}`, `from-central-${i}`]).concat(["end-edge", "end-central"]).sort();
    expect(texts(onEdge).sort()).toEqual(expected);
    expect(texts(onCentral).sort()).toEqual(expected);
    expect(onEdge.msgs.every((g) => g.topic.startsWith("l/chat/"))).toBe(true);
    expect(onCentral.msgs.every((g) => g.topic.startsWith("r/chat/"))).toBe(true);
    const st = b.status();
    expect(st).toMatchObject({ forwardedOut: 6, forwardedIn: 6 });
    // 3.1.1 has no No Local: the brokers echo the bridge's publishes and the guard drops them; MQTT 5 brokers do not echo.
    expect(st.loopsDropped).toBe(version === 4 ? 12 : 0);
  });
});

test("reconnect with backoff: QoS 1 messages published while the upstream is down reach it once it is back on the same port", async () => {
  const edge = await mosquitto();
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-bridge-"));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o777); // mosquitto started as root writes its database as the user "mosquitto"
  const port = await freePort();
  // Persistence keeps the outside subscriber's session (and its queue) across the restart.
  const conf = `persistence true\npersistence_location ${dir}/\n`;
  let central = await startMosquitto(conf, { port, dir });
  stops.push(() => central.stop());
  const { b, events } = bridge({
    local: edge.url, remote: { url: central.url, clientId: "edge-r", cleanSession: false },
    topics: [{ pattern: "data/#", qos: 1, remotePrefix: "site/" }],
    reconnect: { minMs: 50, maxMs: 400 },
  });
  await connected(b);
  const subOpts = { clientId: "central-sub", cleanSession: false };
  let sub = await client(central.url, ["site/#"], subOpts);
  await pub(edge, "data/m0", "m0", 1);
  await until(() => texts(sub).includes("m0"), "m0 upstream");

  await central.stop();
  await until(() => b.status().state === "reconnecting", "the bridge to see the upstream gone");
  for (let i = 1; i <= 5; i++) await pub(edge, `data/m${i}`, `m${i}`, 1);
  await pub(edge, "data/q0", "lost-q0", 0); // QoS 0 is not kept while down (mosquitto does the same)
  await until(() => b.status().queued === 5 && b.status().dropped === 1, "5 messages queued in the bridge, the QoS 0 one dropped");
  // Several attempts failed meanwhile, spaced by the backoff.
  await until(() => events.filter((e) => e.type === "reconnecting" && e.side === "remote").length >= 3, "3 reconnect attempts");

  central = await startMosquitto(conf, { port, dir });
  await until(() => b.status().remoteConnects === 2, "the bridge to reconnect", 15_000);
  sub = await client(central.url, ["site/#"], subOpts);
  await until(() => ["m1", "m2", "m3", "m4", "m5"].every((t) => texts(sub).includes(t)), "m1..m5 upstream after the restart");
  expect(texts(sub)).not.toContain("lost-q0");
  expect(b.status()).toMatchObject({ queued: 0, state: "connected" });
  const delays = events.filter((e) => e.type === "reconnecting" && e.side === "remote").map((e) => e.delayMs!);
  expect(Math.max(...delays)).toBeLessThanOrEqual(400);
  expect(delays.every((d) => d >= 25)).toBe(true); // jitter takes at most half off the minimum
});

test.each([false, true])("a QoS 1 message sent upstream and never acknowledged is sent again after the reconnect (cleanSession %s)", async (cleanSession) => {
  const edge = await mosquitto();
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-bridge-"));
  stops.push(async () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const conf = `persistence true\npersistence_location ${dir}/\n`;
  let central = await startMosquitto(conf, { port, dir });
  stops.push(() => central.stop());
  const { b } = bridge({
    local: edge.url, remote: { url: central.url, clientId: "edge-f", cleanSession },
    topics: [{ pattern: "f/#", qos: 1 }], reconnect: { minMs: 50, maxMs: 200 },
  });
  await connected(b);
  const subOpts = { clientId: "central-sub-f", cleanSession: false };
  let sub = await client(central.url, ["f/#"], subOpts);
  // Save the subscriber's session now (SIGUSR1): the broker is killed below, and a kill saves nothing.
  central.signal("SIGUSR1");
  // mosquitto writes mosquitto.db.new and renames it: the file is there once the save is complete.
  await until(() => existsSync(join(dir, "mosquitto.db")), "mosquitto to save its database");
  central.signal("SIGSTOP"); // frozen: the PUBLISH reaches its socket, no PUBACK comes back
  await pub(edge, "f/x", "unacked", 1);
  await until(() => b.status().inflight === 1, "the message in flight upstream");
  central.signal("SIGKILL");
  await central.stop();
  central = await startMosquitto(conf, { port, dir });
  await until(() => b.status().remoteConnects === 2 && b.status().inflight === 0, "the bridge to reconnect and have it acknowledged", 15_000);
  // A persistent session resends it with DUP (MqttSession); a clean one forgets it, so the bridge sends it again as new.
  expect(central.log()).toMatch(cleanSession ? /Received PUBLISH from edge-f \(d0, q1, r0, m\d+, 'f\/x'/ : /Received PUBLISH from edge-f \(d1, q1, r0, m\d+, 'f\/x'/);
  sub = await client(central.url, ["f/#"], subOpts);
  await until(() => texts(sub).includes("unacked"), "the resent message at the subscriber");
});

test("notifications: the remote connection state is published retained on the local side", async () => {
  const [edge, central] = await Promise.all([mosquitto(), mosquitto()]);
  const { b } = bridge({
    name: "edge1", local: edge.url, remote: { url: central.url }, notifications: "bridges/edge1/state",
    topics: [{ pattern: "x/#" }],
  });
  await connected(b);
  const watcher = await client(edge.url, ["bridges/#"]);
  await until(() => texts(watcher).includes("1"), 'the state "1"');
  expect(watcher.msgs[0]).toMatchObject({ topic: "bridges/edge1/state", retain: true });
  await central.stop();
  await until(() => texts(watcher).includes("0"), 'the state "0"');
});

test("close(): DISCONNECT on both sides, nothing left: no connection, no reconnect timer", async () => {
  const [edge, central] = await Promise.all([mosquitto(), mosquitto()]);
  const { b } = bridge({ local: edge.url, remote: { url: central.url, clientId: "closing-edge" }, topics: [{ pattern: "a/#", qos: 1 }] });
  await connected(b);
  await b.close();
  expect(b.status().state).toBe("closed");
  expect(bed.mgr.connections).toEqual([]);
  await until(() => /Client closing-edge disconnected\./.test(central.log()), "mosquitto to log the DISCONNECT");
  expect(central.log()).not.toMatch(/Client closing-edge closed its connection/);
  // Closing while the upstream is down cancels the pending reconnect.
  const down = new MqttBridge(bed.mgr, { local: edge.url, remote: { url: `mqtt://127.0.0.1:${await freePort()}` }, topics: [{ pattern: "a" }], reconnect: { minMs: 60_000 } });
  await until(() => down.status().state === "reconnecting", "a failed first attempt");
  await down.close();
  expect(bed.mgr.connections).toEqual([]);
  expect((bed.mgr as unknown as { _timers: Set<unknown> })._timers.size).toBe(0);
});

test("argument errors", () => {
  const ok = { local: "mqtt://127.0.0.1:1", remote: { url: "mqtt://127.0.0.1:1" }, topics: [{ pattern: "a/#" }] };
  const bad: [unknown, string][] = [
    [{ ...ok, topics: [] }, "ERR_INVALID_ARG_TYPE"],
    [{ ...ok, topics: [{ pattern: "a/#/b" }] }, "ERR_INVALID_ARG_VALUE"],
    [{ ...ok, topics: [{ pattern: "a", direction: "sideways" }] }, "ERR_INVALID_ARG_VALUE"],
    [{ ...ok, topics: [{ pattern: "a", qos: 3 }] }, "ERR_OUT_OF_RANGE"],
    [{ ...ok, topics: [{ pattern: "a", localPrefix: "x/+/" }] }, "ERR_INVALID_ARG_VALUE"],
    [{ ...ok, topics: [{ pattern: "", localPrefix: "x" }] }, "ERR_INVALID_ARG_VALUE"],
    [{ ...ok, remote: { url: "http://127.0.0.1:1" } }, "ERR_INVALID_ARG_VALUE"],
    [{ ...ok, remote: { url: ok.remote.url, version: 3 } }, "ERR_INVALID_ARG_VALUE"],
    [{ ...ok, local: 5 }, "ERR_INVALID_ARG_TYPE"],
    [{ ...ok, reconnect: { minMs: -1 } }, "ERR_OUT_OF_RANGE"],
    [{ ...ok, reconnect: { minMs: 500, maxMs: 100 } }, "ERR_OUT_OF_RANGE"],
    [{ ...ok, notifications: "a/#" }, "ERR_INVALID_ARG_VALUE"],
    [{ ...ok, name: "a/b" }, "ERR_INVALID_ARG_VALUE"],
  ];
  for (const [opts, code] of bad) {
    expect(() => new MqttBridge(bed.mgr, opts as MqttBridgeOptions)).toThrow(expect.objectContaining({ code }));
  }
  expect(() => new MqttBridge("mgr" as never, ok)).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }));
  expect(bed.mgr.connections).toEqual([]); // nothing started
});
