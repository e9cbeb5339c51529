// cases-v5-props.ts: client_test5.py's cases on what travels with a message
// and with a subscription: user properties, payload format and content type,
// subscription options (No Local, Retain As Published, Retain Handling),
// subscription identifiers, request/response, an assigned client id, and
// shared subscriptions.
import { allQos, hasUserProps } from "./cases-core";
import { check, Client, RawClient, until, type Ctx, type InteropCase } from "./harness";

/** Subscribe topics[0], publish QoS 0, 1 and 2 with `properties`, return the three messages. */
async function threeWith(ctx: Ctx, properties: Record<string, unknown>): Promise<Client> {
  const a = await Client.connect(ctx, ctx.idA, { clean: true });
  await a.subscribe(ctx.topics[0], { qos: 2 });
  for (const qos of [0, 1, 2] as const) await a.publish(ctx.topics[0], "", { qos, properties });
  await a.waitMessages(3, "its three publishes back");
  await a.sync();
  check(a.messages.length === 3, `expected 3 messages, got ${a.messages.length}`);
  check(allQos(a.messages.map((m) => m.qos)), `QoS should be 0, 1 and 2: ${a.messages.map((m) => m.qos)}`);
  await a.disconnect();
  return a;
}

const userProperties: InteropCase = {
  name: "user_properties",
  async run(ctx) {
    const a = await threeWith(ctx, { userProperties: { a: "2", c: "3" } });
    for (const m of a.messages) check(hasUserProps(m.properties), `user properties lost: ${JSON.stringify(m.properties)}`);
  },
};

const payloadFormat: InteropCase = {
  name: "payload_format",
  async run(ctx) {
    const a = await threeWith(ctx, { payloadFormatIndicator: true, contentType: "My name" });
    for (const m of a.messages) {
      check(m.properties.contentType === "My name", `content type: ${JSON.stringify(m.properties)}`);
      check(m.properties.payloadFormatIndicator === true, `payload format indicator: ${JSON.stringify(m.properties)}`);
    }
  },
};

const subscribeOptions: InteropCase = {
  name: "subscribe_options",
  async run(ctx) {
    // No Local: a's own publish does not come back to it; b gets it.
    let a = await Client.connect(ctx, ctx.idA, { clean: true });
    const b = await Client.connect(ctx, ctx.idB, { clean: true });
    await a.subscribe(ctx.topics[0], { qos: 2, nl: true });
    await b.subscribe(ctx.topics[0], { qos: 2, nl: true });
    await a.publish(ctx.topics[0], "noLocal test", { qos: 1 });
    await b.waitMessages(1, "a's message at b");
    await a.sync();
    await b.sync();
    check(a.messages.length === 0, `No Local: a got its own message back (MQTT-3.8.3-3): ${JSON.stringify(a.messages)}`);
    check(b.messages.length === 1, `No Local: b should get exactly 1 message: ${JSON.stringify(b.messages)}`);
    await a.disconnect();
    await b.disconnect();

    // Retain As Published: the RETAIN flag is kept as sent.
    a = await Client.connect(ctx, ctx.idA, { clean: true });
    await a.subscribe(ctx.topics[0], { qos: 2, rap: true });
    await a.publish(ctx.topics[0], "retain as published false", { qos: 1, retain: false });
    await a.publish(ctx.topics[0], "retain as published true", { qos: 1, retain: true });
    await a.waitMessages(2, "both publishes back");
    await a.sync();
    check(a.messages.length === 2, `expected 2 messages: ${JSON.stringify(a.messages)}`);
    check(!a.messages[0].retain && a.messages[1].retain, `Retain As Published: flags ${a.messages.map((m) => m.retain)}, expected false, true`);
    await a.publish(ctx.topics[0], "", { qos: 1, retain: true });
    await a.disconnect();

    // Retain Handling 1: retained messages only on a new subscription.
    a = await Client.connect(ctx, ctx.idA, { clean: true });
    await a.publish(ctx.topics[1], "qos 0", { qos: 0, retain: true });
    await a.publish(ctx.topics[2], "qos 1", { qos: 1, retain: true });
    await a.publish(ctx.topics[3], "qos 2", { qos: 2, retain: true });
    await a.sync();
    const expectRetained = async (rh: 0 | 1 | 2, n: number, what: string): Promise<void> => {
      a.messages.length = 0;
      await a.subscribe(ctx.wild[5], { qos: 2, rh });
      if (n) await a.waitMessages(n, what);
      await a.sync();
      check(a.messages.length === n, `${what}: expected ${n} retained messages, got ${a.messages.length}`);
      if (n) check(allQos(a.messages.map((m) => m.qos)), `${what}: QoS should be 0, 1 and 2: ${a.messages.map((m) => m.qos)}`);
    };
    await expectRetained(1, 3, "Retain Handling 1, new subscription");
    await expectRetained(1, 0, "Retain Handling 1, existing subscription");
    await a.disconnect();
    // Retain Handling 2: never.
    a = await Client.connect(ctx, ctx.idA, { clean: true });
    await expectRetained(2, 0, "Retain Handling 2, new subscription");
    await expectRetained(2, 0, "Retain Handling 2, existing subscription");
    await a.disconnect();
    // Retain Handling 0: always.
    a = await Client.connect(ctx, ctx.idA, { clean: true });
    await expectRetained(0, 3, "Retain Handling 0, new subscription");
    await expectRetained(0, 3, "Retain Handling 0, existing subscription");
    for (const t of ctx.topics.slice(1, 4)) await a.publish(t, "", { qos: 1, retain: true });
    await a.disconnect();
  },
};

const assignedClientId: InteropCase = {
  name: "assigned_clientid",
  async run(ctx) {
    const { raw, connack } = await RawClient.connect(ctx, { clientId: "", clean: true });
    const id = connack.properties?.assignedClientIdentifier as string | undefined;
    check((connack.reasonCode ?? 0) === 0, `CONNACK reason 0x${(connack.reasonCode ?? 0).toString(16)}`);
    check(typeof id === "string" && id.length > 0, `CONNACK must carry an Assigned Client Identifier: ${JSON.stringify(connack.properties)}`);
    raw.send({ cmd: "disconnect" });
    raw.end();
  },
};

const ids = (m: { properties: Record<string, unknown> }): number[] => {
  const s = m.properties.subscriptionIdentifier as number | number[] | undefined;
  return s === undefined ? [] : Array.isArray(s) ? s : [s];
};

const subscribeIdentifiers: InteropCase = {
  name: "subscribe_identifiers",
  async run(ctx) {
    const a = await Client.connect(ctx, ctx.idA, { clean: true });
    await a.subscribe(ctx.topics[0], { qos: 2, properties: { subscriptionIdentifier: 456789 } });
    const b = await Client.connect(ctx, ctx.idB, { clean: true });
    await b.subscribe(ctx.topics[0], { qos: 2, properties: { subscriptionIdentifier: 2 } });
    await b.subscribe(`${ctx.topics[0]}/#`, { qos: 2, properties: { subscriptionIdentifier: 3 } });
    await b.publish(ctx.topics[0], "sub identifier test", { qos: 1 });
    await a.waitMessages(1, "the message at a");
    await b.waitMessages(1, "the message at b");
    await a.sync();
    await b.sync();
    check(a.messages.length === 1, `a: expected 1 message: ${JSON.stringify(a.messages)}`);
    check(ids(a.messages[0]).join() === "456789", `a: subscription identifier ${ids(a.messages[0])}, expected 456789`);
    check(b.messages.length === 1, `b: expected 1 message for its two matching filters: ${JSON.stringify(b.messages)}`);
    check(ids(b.messages[0]).sort().join() === "2,3", `b: subscription identifiers ${ids(b.messages[0])}, expected 2 and 3`);
    await a.disconnect();
    await b.disconnect();
  },
};

const requestResponse: InteropCase = {
  name: "request_response",
  async run(ctx) {
    const a = await Client.connect(ctx, ctx.idA, { clean: true });
    const b = await Client.connect(ctx, ctx.idB, { clean: true });
    await a.subscribe(ctx.topics[0], { qos: 2, nl: true });
    await b.subscribe(ctx.topics[0], { qos: 2, nl: true });
    await a.publish(ctx.topics[0], "request", { qos: 1, properties: { responseTopic: ctx.topics[0], correlationData: Buffer.from("334") } });
    await b.waitMessages(1, "the request at the responder");
    const req = b.messages[0].properties;
    check(req.responseTopic === ctx.topics[0], `Response Topic: ${JSON.stringify(req)}`);
    check(Buffer.from(req.correlationData as Uint8Array ?? []).toString() === "334", `Correlation Data: ${JSON.stringify(req)}`);
    await b.publish(req.responseTopic as string, "response", { qos: 1, properties: { correlationData: req.correlationData as Buffer } });
    await a.waitMessages(1, "the response at the requester");
    await a.sync();
    check(a.messages.length === 1 && a.messages[0].payload === "response", `requester: ${JSON.stringify(a.messages)}`);
    await a.disconnect();
    await b.disconnect();
  },
};

const sharedSubscriptions: InteropCase = {
  name: "shared_subscriptions",
  async run(ctx) {
    const shared = `$share/sharename/${ctx.prefix}x`;
    const a = await Client.connect(ctx, ctx.idA, { clean: true });
    check((a.connack.reasonCode ?? 0) === 0 && !a.connack.sessionPresent, "CONNACK for a");
    const ga = await a.mq.subscribeAsync({ [shared]: { qos: 2 }, [ctx.topics[0]]: { qos: 2 } });
    const b = await Client.connect(ctx, ctx.idB, { clean: true });
    const gb = await b.mq.subscribeAsync({ [shared]: { qos: 2 }, [ctx.topics[0]]: { qos: 2 } });
    for (const g of [...ga, ...gb]) check(g.qos < 0x80, `SUBACK refused ${g.topic}: 0x${g.qos.toString(16)}`);
    await b.publish(ctx.topics[0], "message 0", { qos: 0 });
    await a.waitMessages(1, "the non-shared message at a");
    await b.waitMessages(1, "the non-shared message at b");
    a.messages.length = 0;
    b.messages.length = 0;
    await b.publish(`${ctx.prefix}x`, "message 0", { qos: 0 });
    await until(() => a.messages.length + b.messages.length >= 1, "the shared message at a or b");
    await a.sync();
    await b.sync();
    check(a.messages.length + b.messages.length === 1, `a shared subscription must deliver once: a ${a.messages.length}, b ${b.messages.length}`);
    await a.disconnect();
    await b.disconnect();
  },
};

export const v5PropertyCases: InteropCase[] = [
  userProperties, payloadFormat, subscribeOptions, assignedClientId, subscribeIdentifiers, requestResponse, sharedSubscriptions,
];
