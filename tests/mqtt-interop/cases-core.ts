// cases-core.ts: the ten cases Paho's interoperability suite runs in both
// MQTT 3.1.1 (client_test.py) and MQTT 5 (client_test5.py): basic, retained
// messages, will, zero-length client id, offline queueing, overlapping
// subscriptions, keep alive, redelivery on reconnect, subscribe failure and
// $ topics. Written for mqtt.js and a raw socket; Paho's sleeps are waits
// for the event with a deadline, its "nothing arrived" checks round trips.
import { check, Client, RawClient, until, type Ctx, type InteropCase } from "./harness";

const v5 = (ctx: Ctx): boolean => ctx.version === 5;
const USER_PROPS = { a: "2", c: "3" };

/** Both Paho's orders of the user properties a=2, c=3 are accepted. */
export function hasUserProps(props: Record<string, unknown>): boolean {
  const u = props.userProperties as Record<string, string> | undefined;
  return !!u && u.a === "2" && u.c === "3" && Object.keys(u).length === 2;
}

/** 1, 2 and 0 all present among the QoS of the messages. */
export function allQos(qos: number[]): boolean {
  return qos.includes(0) && qos.includes(1) && qos.includes(2);
}

const basic: InteropCase = {
  name: "basic",
  async run(ctx) {
    const first = await Client.connect(ctx, ctx.idA);
    await first.disconnect();
    const a = await Client.connect(ctx, ctx.idA);
    if (v5(ctx)) check((a.connack.reasonCode ?? 0) === 0, `CONNACK reason 0x${(a.connack.reasonCode ?? 0).toString(16)}, expected Success`);
    await a.subscribe(ctx.topics[0], { qos: 2 });
    await a.publish(ctx.topics[0], "qos 0", { qos: 0 });
    await a.publish(ctx.topics[0], "qos 1", { qos: 1 });
    await a.publish(ctx.topics[0], "qos 2", { qos: 2 });
    await a.waitMessages(3, "its own QoS 0, 1 and 2 publishes back");
    await a.sync();
    check(a.messages.length === 3, `expected 3 messages, got ${a.messages.length}`);
    await a.disconnect();

    // A second CONNECT on one connection is a protocol violation: the broker closes it.
    const { raw, connack } = await RawClient.connect(ctx, { clientId: ctx.idA });
    check((connack.returnCode ?? connack.reasonCode ?? 0) === 0, `first CONNECT refused: ${raw.describe()}`);
    raw.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: ctx.version, clean: true, keepalive: 60, clientId: ctx.idA });
    await raw.waitClosed(`the broker to close the connection after a second CONNECT; got ${raw.describe()}`);

    // A wrong protocol name ("hj"): no session is opened, the connection is closed.
    const bad = await RawClient.open(ctx);
    bad.send({ cmd: "connect", protocolId: "hj", protocolVersion: ctx.version, clean: true, keepalive: 60, clientId: ctx.idA });
    await bad.waitClosed(`the broker to close a CONNECT with protocol name "hj"; got ${bad.describe()}`);
    const ok = bad.packets.find((p) => p.cmd === "connack" && (p.returnCode ?? p.reasonCode ?? 0) === 0);
    check(!ok, `a CONNECT with protocol name "hj" was accepted: ${bad.describe()}`);
  },
};

const retained: InteropCase = {
  name: "retained_message",
  async run(ctx) {
    const props = v5(ctx) ? { properties: { userProperties: USER_PROPS } } : {};
    const a = await Client.connect(ctx, ctx.idA, { clean: true });
    await a.publish(ctx.topics[1], "qos 0", { qos: 0, retain: true, ...props });
    await a.publish(ctx.topics[2], "qos 1", { qos: 1, retain: true, ...props });
    await a.publish(ctx.topics[3], "qos 2", { qos: 2, retain: true, ...props });
    await a.sync(); // the QoS 0 one has no acknowledgement: a round trip says it was taken
    await a.subscribe(ctx.wild[5], { qos: 2 });
    await a.waitMessages(3, "the three retained messages on subscribe");
    await a.sync();
    check(a.messages.length === 3, `expected 3 retained messages, got ${a.messages.length}`);
    check(a.messages.every((m) => m.retain), `retained messages must arrive with RETAIN set: ${JSON.stringify(a.messages)}`);
    check(allQos(a.messages.map((m) => m.qos)), `retained QoS should be 0, 1 and 2: ${a.messages.map((m) => m.qos)}`);
    if (v5(ctx)) {
      for (const m of a.messages) check(hasUserProps(m.properties), `retained message on ${m.topic} lost its user properties: ${JSON.stringify(m.properties)}`);
    }
    await a.disconnect();

    // Empty retained messages clear them: a new subscriber gets nothing.
    const b = await Client.connect(ctx, ctx.idA, { clean: true });
    await b.publish(ctx.topics[1], "", { qos: 0, retain: true });
    await b.publish(ctx.topics[2], "", { qos: 1, retain: true });
    await b.publish(ctx.topics[3], "", { qos: 2, retain: true });
    await b.sync();
    await b.subscribe(ctx.wild[5], { qos: 2 });
    await b.sync();
    check(b.messages.length === 0, `retained messages were not cleared: ${JSON.stringify(b.messages)}`);
    await b.disconnect();
  },
};

const will: InteropCase = {
  name: "will_message",
  async run(ctx) {
    const b = await Client.connect(ctx, ctx.idB, { clean: false });
    await b.subscribe(ctx.topics[2], { qos: 2 });
    const willProps = v5(ctx) ? { properties: { willDelayInterval: 0, userProperties: USER_PROPS } } : {};
    const { raw: a, connack } = await RawClient.connect(ctx, {
      clientId: ctx.idA, keepalive: 2, will: { topic: ctx.topics[2], payload: Buffer.from("client not disconnected"), qos: 0, retain: false, ...willProps },
    });
    check((connack.returnCode ?? connack.reasonCode ?? 0) === 0, `CONNECT with a will refused: ${a.describe()}`);
    a.end(); // no DISCONNECT: the will must be published
    await b.waitMessages(1, "the will message", 8000);
    await b.sync();
    check(b.messages.length === 1, `expected exactly the will, got ${JSON.stringify(b.messages)}`);
    check(b.messages[0].payload === "client not disconnected", `will payload: ${b.messages[0].payload}`);
    if (v5(ctx)) check(hasUserProps(b.messages[0].properties), `the will lost its user properties: ${JSON.stringify(b.messages[0].properties)}`);
    await b.disconnect();
  },
};

const zeroLengthId: InteropCase = {
  name: "zero_length_clientid",
  async run(ctx) {
    // mqtt-packet refuses to build this CONNECT: the bytes by hand.
    // Fixed header, "MQTT", level, flags 0 (CleanSession 0), keep alive 60,
    // (MQTT 5: no properties), an empty client id.
    const body = [0, 4, 0x4d, 0x51, 0x54, 0x54, ctx.version, 0x00, 0, 60, ...(v5(ctx) ? [0] : []), 0, 0];
    const raw1 = await RawClient.open(ctx);
    raw1.sendBytes(Uint8Array.from([0x10, body.length, ...body]));
    const r1 = { raw: raw1, connack: await raw1.next((p) => p.cmd === "connack", "CONNACK for an empty client id with CleanSession 0") };
    const code1 = r1.connack.returnCode ?? r1.connack.reasonCode ?? 0;
    if (v5(ctx)) {
      check(code1 === 0, `MQTT 5: a zero-length id with Clean Start 0 gets an assigned id, not 0x${code1.toString(16)}`);
    } else {
      check(code1 === 2, `3.1.1: a zero-length id with CleanSession 0 must be refused with return code 2 (MQTT-3.1.3-8), got ${code1}`);
      await r1.raw.waitClosed("the broker to close the refused connection");
    }
    r1.raw.end();
    const r2 = await RawClient.connect(ctx, { clientId: "", clean: true });
    const code2 = r2.connack.returnCode ?? r2.connack.reasonCode ?? 0;
    check(code2 === 0, `a zero-length id with a clean session must be accepted, got ${code2}`);
    r2.raw.send({ cmd: "disconnect" });
    r2.raw.end();
  },
};

const offline: InteropCase = {
  name: "offline_message_queueing",
  async run(ctx) {
    const keep = v5(ctx) ? { clean: true, properties: { sessionExpiryInterval: 99999 } } : { clean: false };
    const a = await Client.connect(ctx, ctx.idA, keep);
    await a.subscribe(ctx.wild[5], { qos: 2 });
    await a.disconnect();

    const b = await Client.connect(ctx, ctx.idB, { clean: true });
    await b.publish(ctx.topics[1], "qos 0", { qos: 0 });
    await b.publish(ctx.topics[2], "qos 1", { qos: 1 });
    await b.publish(ctx.topics[3], "qos 2", { qos: 2 });
    await b.sync();
    await b.disconnect();

    const a2 = await Client.connect(ctx, ctx.idA, { clean: false, ...(v5(ctx) ? { properties: { sessionExpiryInterval: 99999 } } : {}) });
    check(a2.connack.sessionPresent, "Session Present must be 1 when the session was kept");
    await a2.waitMessages(2, "the QoS 1 and 2 messages queued while offline");
    await a2.sync();
    check([2, 3].includes(a2.messages.length), `expected 2 or 3 queued messages, got ${JSON.stringify(a2.messages)}`);
    ctx.note(`QoS 0 ${a2.messages.length === 3 ? "is" : "is not"} queued for offline clients`);
    await a2.disconnect({ sessionExpiryInterval: 0 });
  },
};

const overlapping: InteropCase = {
  name: "overlapping_subscriptions",
  async run(ctx) {
    const a = await Client.connect(ctx, ctx.idA);
    await a.mq.subscribeAsync({ [ctx.wild[6]]: { qos: 2 }, [ctx.wild[0]]: { qos: 1 } });
    await a.publish(ctx.topics[3], "overlapping topic filters", { qos: 2 });
    await a.waitMessages(1, "the message matching two filters");
    await a.sync();
    const qos = a.messages.map((m) => m.qos).sort();
    check(a.messages.length === 1 || a.messages.length === 2, `expected 1 or 2 messages, got ${a.messages.length}`);
    if (a.messages.length === 1) check(qos[0] === 2, `one message for overlapping filters must have the highest QoS (2), got ${qos[0]}`);
    else check(qos[0] === 1 && qos[1] === 2, `one message per filter must carry QoS 1 and 2, got ${qos}`);
    ctx.note(`overlapping filters: ${a.messages.length === 1 ? "one message at the highest QoS" : "one message per filter"}`);
    await a.disconnect();
  },
};

const keepalive: InteropCase = {
  name: "keepalive",
  async run(ctx) {
    // Paho: keep alive 5 s and a 15 s sleep; 1 s keeps the case short (the broker must act after 1.5 s).
    const b = await Client.connect(ctx, ctx.idB, { clean: true, keepalive: 0 });
    await b.subscribe(ctx.topics[4], { qos: 2 });
    const { raw: a } = await RawClient.connect(ctx, {
      clientId: ctx.idA, keepalive: 1, will: { topic: ctx.topics[4], payload: Buffer.from("keepalive expiry"), qos: 0, retain: false },
    });
    const start = Date.now();
    await b.waitMessages(1, "the will of a client silent past 1.5 x its keep alive", 10_000);
    check(Date.now() - start >= 1000, `the will came ${Date.now() - start} ms after CONNECT, before the keep alive ran out`);
    await a.waitClosed("the broker to close the silent client", 3000);
    await b.disconnect();
  },
};

const redelivery: InteropCase = {
  name: "redelivery_on_reconnect",
  async run(ctx) {
    const keep = v5(ctx) ? { clean: false, properties: { sessionExpiryInterval: 99999 } } : { clean: false };
    const { raw: b } = await RawClient.connect(ctx, { clientId: ctx.idB, ...keep });
    b.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: ctx.wild[6], qos: 2 }] });
    await b.next((p) => p.cmd === "suback", "SUBACK");
    b.send({ cmd: "publish", topic: ctx.topics[1], payload: Buffer.alloc(0), qos: 1, messageId: 2, retain: false, dup: false });
    b.send({ cmd: "publish", topic: ctx.topics[3], payload: Buffer.alloc(0), qos: 2, messageId: 3, retain: false, dup: false });
    await b.next((p) => p.cmd === "pubrec" && p.messageId === 3, "PUBREC for its QoS 2 publish");
    b.send({ cmd: "pubrel", messageId: 3 });
    await b.next((p) => p.cmd === "pubcomp" && p.messageId === 3, "PUBCOMP");
    // The broker forwards both to b itself; b never acknowledges them.
    const seen = (): number => b.packets.filter((p) => p.cmd === "publish").length;
    await b.ping();
    let waited = 0;
    while (seen() < 2 && waited++ < 50) await b.ping();
    check(seen() === 2, `expected the two forwards before disconnecting, got ${b.describe()}`);
    b.send({ cmd: "disconnect" });
    b.sock.end();
    await b.waitClosed("the connection to close after DISCONNECT");

    const { raw: b2, connack } = await RawClient.connect(ctx, { clientId: ctx.idB, ...keep });
    check(connack.sessionPresent, `Session Present must be 1 on reconnect: ${b2.describe()}`);
    const p1 = await b2.next((p) => p.cmd === "publish", "the first unacknowledged PUBLISH resent (MQTT-4.4.0-1)");
    const p2 = await b2.next((p) => p.cmd === "publish", "the second unacknowledged PUBLISH resent (MQTT-4.4.0-1)");
    check([p1.qos, p2.qos].sort().join() === "1,2", `resent QoS ${p1.qos}, ${p2.qos}; expected 1 and 2`);
    check(p1.dup && p2.dup, "a resent PUBLISH must have DUP set (MQTT-3.3.1-1)");
    for (const p of [p1, p2]) b2.send(p.qos === 1 ? { cmd: "puback", messageId: p.messageId } : { cmd: "pubrec", messageId: p.messageId });
    if (p1.qos === 2 || p2.qos === 2) {
      const rel = await b2.next((p) => p.cmd === "pubrel", "PUBREL");
      b2.send({ cmd: "pubcomp", messageId: rel.messageId });
    }
    await b2.ping();
    check(b2.packets.filter((p) => p.cmd === "publish").length === 2, `expected exactly two resends: ${b2.describe()}`);
    b2.send({ cmd: "disconnect", ...(v5(ctx) ? { properties: { sessionExpiryInterval: 0 } } : {}) });
    b2.end();
  },
};

const subscribeFailure: InteropCase = {
  name: "subscribe_failure",
  async run(ctx) {
    const { raw: a } = await RawClient.connect(ctx, { clientId: ctx.idA });
    a.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: ctx.nosubscribe, qos: 2 }] });
    const suback = await a.next((p) => p.cmd === "suback", "SUBACK");
    const code = (suback.granted as number[])[0];
    check(code === 0x80, `SUBACK for a refused filter must be 0x80, got 0x${Number(code).toString(16)}`);
    a.send({ cmd: "disconnect" });
    a.end();
  },
};

const dollarTopics: InteropCase = {
  name: "dollar_topics",
  async run(ctx) {
    // Paho subscribes "+/+" and publishes "$TopicA/B"; under a prefix that
    // would match nothing anyway, so the filters start with the wildcard
    // and a control message without the "$" must arrive.
    const rest = ctx.prefix.split("/").slice(1).join("/");
    const b = await Client.connect(ctx, ctx.idB, { clean: true, keepalive: 0 });
    await b.mq.subscribeAsync({ [`+/${rest}TopicA/B`]: { qos: 2 }, [`+/${rest}#`]: { qos: 2 } });
    await b.sync();
    await b.publish(`$${ctx.prefix}TopicA/B`, "", { qos: 1 });
    await b.publish(`${ctx.prefix}TopicA/B`, "control", { qos: 1 });
    await until(() => b.messages.some((m) => m.payload === "control"), "the control message");
    await b.sync();
    const dollar = b.messages.filter((m) => m.topic.startsWith("$"));
    check(dollar.length === 0, `a filter starting with a wildcard matched a $ topic (MQTT-4.7.2-1): ${JSON.stringify(dollar)}`);
    await b.disconnect();
  },
};

/** The ten cases, in Paho's order. */
export const coreCases: InteropCase[] = [
  basic, retained, offline, will, overlapping, keepalive, redelivery, zeroLengthId, subscribeFailure, dollarTopics,
];
