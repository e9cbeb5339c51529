// cases-v5-limits.ts: client_test5.py's cases on negotiated limits, at the
// packet level on a raw socket: topic aliases from the client (0 is invalid,
// aliases end with the connection) and from the server (used when the client
// allows them, never otherwise), Maximum Packet Size both ways, Server Keep
// Alive, and Receive Maximum both ways (flow control).
import * as mp from "mqtt-packet";
import { check, Client, RawClient, type Ctx, type InteropCase } from "./harness";

type Raw = RawClient;
const reason = (p: object): string => `0x${Number((p as { reasonCode?: number }).reasonCode ?? 0).toString(16)}`;

async function subscribeRaw(raw: Raw, filter: string, qos: 0 | 1 | 2 = 2): Promise<void> {
  raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: filter, qos }] });
  const suback = await raw.next((p) => p.cmd === "suback", "SUBACK");
  check((suback.granted as number[])[0] < 0x80, `SUBACK refused ${filter}: ${raw.describe()}`);
}

let nextId = 100;
function publishRaw(raw: Raw, topic: string, payload: string | Buffer, qos: 0 | 1 | 2, properties?: Record<string, unknown>): void {
  raw.send({ cmd: "publish", topic, payload: Buffer.from(payload), qos, retain: false, dup: false, ...(qos ? { messageId: nextId++ } : {}), ...(properties ? { properties } : {}) });
  if (nextId > 60000) nextId = 100;
}

/** A DISCONNECT from the server with a failure reason, then the close. */
async function expectDisconnect(raw: Raw, what: string, code?: number): Promise<void> {
  const d = await raw.next((p) => p.cmd === "disconnect", `DISCONNECT: ${what}`);
  check((d.reasonCode ?? 0) >= 0x80, `${what}: DISCONNECT reason ${reason(d)} is not a failure`);
  if (code !== undefined) check(d.reasonCode === code, `${what}: DISCONNECT reason ${reason(d)}, expected 0x${code.toString(16)}`);
  await raw.waitClosed(`the close after DISCONNECT (${what})`);
}

const clientTopicAlias: InteropCase = {
  name: "client_topic_alias",
  async run(ctx) {
    let { raw } = await RawClient.connect(ctx, { clientId: ctx.idA, clean: true });
    publishRaw(raw, ctx.topics[0], "topic alias 0", 1, { topicAlias: 0 });
    await expectDisconnect(raw, "a PUBLISH with Topic Alias 0 (MQTT-3.3.2-8)");

    const c = await RawClient.connect(ctx, { clientId: ctx.idA, clean: true, properties: { topicAliasMaximum: 0, sessionExpiryInterval: 99999 } });
    raw = c.raw;
    raw.autoAck = true;
    const serverMax = (c.connack.properties?.topicAliasMaximum as number | undefined) ?? 0;
    if (serverMax === 0) {
      ctx.note("the broker takes no topic aliases (Topic Alias Maximum 0)");
      raw.send({ cmd: "disconnect", properties: { sessionExpiryInterval: 0 } });
      return;
    }
    await subscribeRaw(raw, ctx.topics[0]);
    publishRaw(raw, ctx.topics[0], "topic alias 1", 1, { topicAlias: 1 });
    await raw.next((p) => p.cmd === "publish", "the message that set alias 1");
    publishRaw(raw, "", "topic alias 2", 1, { topicAlias: 1 });
    const p2 = await raw.next((p) => p.cmd === "publish", "the message sent with alias 1 only");
    check(p2.topic === ctx.topics[0], `the aliased message came back on "${p2.topic}"`);
    raw.send({ cmd: "disconnect" });
    raw.sock.end();
    await raw.waitClosed("the close after DISCONNECT");

    // Aliases belong to one connection (MQTT-3.3.2-7): the session is kept, the alias is not.
    raw = (await RawClient.connect(ctx, { clientId: ctx.idA, clean: false, properties: { sessionExpiryInterval: 99999 } })).raw;
    raw.autoAck = true;
    publishRaw(raw, ctx.topics[0], "topic alias 3", 1);
    await raw.next((p) => p.cmd === "publish", "a plain publish on the kept subscription");
    publishRaw(raw, "", "topic alias 4", 1, { topicAlias: 1 });
    await expectDisconnect(raw, "an alias from the previous connection");
  },
};

/** Connect with `props`, subscribe topics[0], publish QoS 0, 1, 2 and return the three PUBLISH packets received. */
async function threeBack(ctx: Ctx, props: Record<string, unknown>): Promise<Record<string, any>[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { raw } = await RawClient.connect(ctx, { clientId: ctx.idA, clean: true, properties: props });
  raw.autoAck = true;
  await subscribeRaw(raw, ctx.topics[0]);
  for (const qos of [0, 1, 2] as const) publishRaw(raw, ctx.topics[0], "topic alias 1", qos);
  for (let i = 0; i < 3; i++) await raw.next((p) => p.cmd === "publish", `message ${i + 1} of 3 back`);
  await raw.ping();
  const got = raw.publishes();
  check(got.length === 3, `expected 3 messages: ${raw.describe()}`);
  raw.send({ cmd: "disconnect" });
  raw.end();
  return got;
}

const serverTopicAlias: InteropCase = {
  name: "server_topic_alias",
  async run(ctx) {
    const got = await threeBack(ctx, { topicAliasMaximum: 1 });
    const alias = got[0].properties?.topicAlias as number | undefined;
    check(alias !== undefined && alias > 0, `the broker did not set a topic alias though the client allows 1: ${JSON.stringify(got[0].properties ?? {})}`);
    check(got[0].topic === ctx.topics[0], `the message setting the alias must carry the topic, got "${got[0].topic}"`);
    for (const p of got.slice(1)) {
      check(p.properties?.topicAlias === alias, `later messages must use alias ${alias}: ${JSON.stringify(p.properties ?? {})}`);
      check(p.topic === "", `later messages must carry an empty topic, got "${p.topic}"`);
    }
    for (const props of [{}, { topicAliasMaximum: 0 }]) {
      const plain = await threeBack(ctx, props);
      for (const p of plain) check(p.properties?.topicAlias === undefined, `a topic alias sent to a client that allows none (MQTT-3.3.2-9): ${JSON.stringify(p.properties)}`);
    }
  },
};

const maximumPacketSize: InteropCase = {
  name: "maximum_packet_size",
  async run(ctx) {
    // The broker's own limit, when it announces one below 64 KiB.
    let c = await RawClient.connect(ctx, { clientId: ctx.idA, clean: true });
    const serverMax = (c.connack.properties?.maximumPacketSize as number | undefined) ?? 2 ** 28 - 1;
    if (serverMax < 65535) {
      publishRaw(c.raw, ctx.topics[0], Buffer.alloc(serverMax, "."), 0);
      await expectDisconnect(c.raw, `a packet over the broker's Maximum Packet Size ${serverMax}`, 0x95);
    } else {
      c.raw.send({ cmd: "disconnect" });
      c.raw.end();
    }
    // The client's limit: 64 bytes. A 32-byte payload arrives, a 64-byte one is dropped (MQTT-3.1.2-25).
    c = await RawClient.connect(ctx, { clientId: ctx.idA, clean: true, properties: { maximumPacketSize: 64 } });
    const raw = c.raw;
    raw.autoAck = true;
    await subscribeRaw(raw, ctx.topics[0]);
    publishRaw(raw, ctx.topics[0], Buffer.alloc(32, "."), 0);
    await raw.next((p) => p.cmd === "publish", "the 32-byte message");
    publishRaw(raw, ctx.topics[0], Buffer.alloc(64, "."), 1);
    await raw.next((p) => p.cmd === "puback", "PUBACK for the 64-byte message");
    await raw.ping();
    check(!raw.closed, "the broker closed the connection instead of dropping the message");
    check(raw.publishes().length === 1, `a packet over the client's Maximum Packet Size 64 was sent: ${raw.describe()}`);
    raw.send({ cmd: "disconnect" });
    raw.end();
  },
};

const serverKeepAlive: InteropCase = {
  name: "server_keep_alive",
  async run(ctx) {
    const a = await Client.connect(ctx, ctx.idA, { clean: true, keepalive: 120 });
    const ska = a.connack.properties?.serverKeepAlive;
    check(ska === 60, `CONNACK Server Keep Alive ${ska}, expected 60 for a client asking 120 (broker keep alive limit 60)`);
    await a.disconnect();
  },
};

const flowControl1: InteropCase = {
  name: "flow_control1",
  async run(ctx) {
    // Receive Maximum 2: the broker keeps at most two QoS 1/2 sends unacknowledged (MQTT-3.3.4-9).
    const { raw } = await RawClient.connect(ctx, { clientId: ctx.idA, clean: true, properties: { receiveMaximum: 2, sessionExpiryInterval: 0 } });
    await subscribeRaw(raw, ctx.topics[0]);
    for (let i = 1; i <= 3; i++) publishRaw(raw, ctx.topics[0], `message ${i}`, 1);
    const acks = (): number => raw.packets.filter((p) => p.cmd === "puback").length;
    const first = await raw.next((p) => p.cmd === "publish", "the first forward");
    const second = await raw.next((p) => p.cmd === "publish", "the second forward");
    check(first.qos === 1 && second.qos === 1, `forwards at QoS ${first.qos}, ${second.qos}; expected 1`);
    for (let i = 0; i < 50 && acks() < 3; i++) await raw.ping();
    check(acks() === 3, `expected PUBACKs for the 3 publishes: ${raw.describe()}`);
    await raw.ping();
    check(raw.publishes().length === 2, `a third QoS 1 send while 2 are unacknowledged exceeds Receive Maximum 2: ${raw.describe()}`);
    raw.send({ cmd: "puback", messageId: first.messageId });
    const third = await raw.next((p) => p.cmd === "publish", "the third forward once one was acknowledged");
    raw.send({ cmd: "puback", messageId: second.messageId });
    raw.send({ cmd: "puback", messageId: third.messageId });
    await raw.ping();
    raw.send({ cmd: "disconnect" });
    raw.end();
  },
};

const flowControl2: InteropCase = {
  name: "flow_control2",
  async run(ctx) {
    // Send one QoS 2 publish more than the broker's Receive Maximum, never PUBREL: DISCONNECT 0x93.
    const { raw, connack } = await RawClient.connect(ctx, { clientId: ctx.idA, clean: true });
    const serverMax = (connack.properties?.receiveMaximum as number | undefined) ?? 65535;
    const count = Math.min(serverMax + 1, 65535); // ids run out at 65535: a broker announcing 65535 cannot be overrun
    const chunks: Buffer[] = [];
    for (let id = 1; id <= count; id++) {
      chunks.push(mp.generate({ cmd: "publish", topic: ctx.topics[0], payload: Buffer.from(`message ${id}`), qos: 2, messageId: id, retain: false, dup: false }, { protocolVersion: 5 }));
    }
    raw.sock.write(Buffer.concat(chunks));
    await expectDisconnect(raw, `publish ${count} QoS 2 over Receive Maximum ${serverMax}`, 0x93);
  },
};

export const v5LimitCases: InteropCase[] = [clientTopicAlias, serverTopicAlias, maximumPacketSize, serverKeepAlive, flowControl1, flowControl2];
