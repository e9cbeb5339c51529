// cases-v5-session.ts: client_test5.py's session cases: unsubscribe, session
// expiry (CONNECT and DISCONNECT Session Expiry Interval), publication
// (message) expiry while queued, and the will delay against session expiry.
// Paho's intervals are shortened; the waits that remain are the time the
// spec says must pass, never a guess at how long the broker takes.
import { check, Client, RawClient, sleep, until, type Ctx, type InteropCase } from "./harness";

const unsubscribe: InteropCase = {
  name: "unsubscribe",
  async run(ctx) {
    const b = await Client.connect(ctx, ctx.idB, { clean: true });
    for (const t of ctx.topics.slice(0, 3)) await b.subscribe(t, { qos: 2 });
    await b.mq.unsubscribeAsync(ctx.topics[0]);
    await b.sync();
    b.messages.length = 0;
    const a = await Client.connect(ctx, ctx.idA, { clean: true });
    await a.publish(ctx.topics[0], "topic 0 - unsubscribed", { qos: 1 });
    await a.publish(ctx.topics[1], "topic 1", { qos: 1 });
    await a.publish(ctx.topics[2], "topic 2", { qos: 1 });
    await b.waitMessages(2, "the two still subscribed topics");
    await b.sync();
    check(b.messages.length === 2, `expected 2 messages after unsubscribing one of 3 topics: ${JSON.stringify(b.messages)}`);
    await a.disconnect();
    await b.disconnect();
  },
};

/** CONNECT as ctx.idA with a Session Expiry Interval; returns the raw client and Session Present. */
async function connectA(ctx: Ctx, clean: boolean, expiry: number): Promise<{ raw: RawClient; present: boolean }> {
  const { raw, connack } = await RawClient.connect(ctx, { clientId: ctx.idA, clean, properties: { sessionExpiryInterval: expiry } });
  check((connack.reasonCode ?? 0) === 0, `CONNACK reason 0x${(connack.reasonCode ?? 0).toString(16)}: ${raw.describe()}`);
  return { raw, present: !!connack.sessionPresent };
}

async function subscribeAndLeave(ctx: Ctx, raw: RawClient, disconnectExpiry?: number): Promise<void> {
  raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: ctx.topics[0], qos: 2 }] });
  await raw.next((p) => p.cmd === "suback", "SUBACK");
  await leave(raw, disconnectExpiry);
}

async function leave(raw: RawClient, disconnectExpiry?: number): Promise<void> {
  raw.send({ cmd: "disconnect", reasonCode: 0, ...(disconnectExpiry !== undefined ? { properties: { sessionExpiryInterval: disconnectExpiry } } : {}) });
  raw.sock.end();
  await raw.waitClosed("the connection to close after DISCONNECT");
}

const sessionExpiry: InteropCase = {
  name: "session_expiry",
  async run(ctx) {
    // Expiry 0: the session ends with the connection.
    let c = await connectA(ctx, true, 0);
    check(!c.present, "Session Present on a clean start");
    await subscribeAndLeave(ctx, c.raw);
    c = await connectA(ctx, false, 0);
    check(!c.present, "a session with expiry 0 outlived its connection");
    await leave(c.raw);

    // Expiry 2 s (Paho: 5 s): kept right after, gone once 2 s have passed.
    c = await connectA(ctx, true, 2);
    await subscribeAndLeave(ctx, c.raw);
    c = await connectA(ctx, false, 2);
    check(c.present, "a session with expiry 2 s was gone at once");
    await leave(c.raw);
    await sleep(3200);
    c = await connectA(ctx, false, 2);
    check(!c.present, "a session with expiry 2 s was still there 3.2 s after the disconnect");
    await leave(c.raw, 0);

    // DISCONNECT can lengthen it (1 s -> 5 s) and end it (-> 0).
    c = await connectA(ctx, true, 1);
    await subscribeAndLeave(ctx, c.raw, 5);
    await sleep(1600);
    c = await connectA(ctx, false, 1);
    check(c.present, "DISCONNECT's Session Expiry Interval 5 was not honoured (the session expired after CONNECT's 1 s)");
    await leave(c.raw, 0);
    c = await connectA(ctx, false, 1);
    check(!c.present, "DISCONNECT's Session Expiry Interval 0 did not end the session");
    await leave(c.raw, 0);
  },
};

const publicationExpiry: InteropCase = {
  name: "publication_expiry",
  async run(ctx) {
    const b = await Client.connect(ctx, ctx.idB, { clean: true, properties: { sessionExpiryInterval: 99999 } });
    await b.subscribe(ctx.topics[0], { qos: 2 });
    await b.disconnect({ sessionExpiryInterval: 999999999 });
    const a = await Client.connect(ctx, ctx.idA, { clean: true });
    await a.publish(ctx.topics[0], "qos 1 - expire", { qos: 1, properties: { messageExpiryInterval: 1 } });
    await a.publish(ctx.topics[0], "qos 2 - expire", { qos: 2, properties: { messageExpiryInterval: 1 } });
    await a.publish(ctx.topics[0], "qos 1 - don't expire", { qos: 1, properties: { messageExpiryInterval: 6 } });
    await a.publish(ctx.topics[0], "qos 2 - don't expire", { qos: 2, properties: { messageExpiryInterval: 6 } });
    await sleep(2100); // Paho: 3 s; the first two expire after 1 s
    const b2 = await Client.connect(ctx, ctx.idB, { clean: false, properties: { sessionExpiryInterval: 99999 } });
    await b2.waitMessages(2, "the two unexpired queued messages");
    await b2.sync();
    check(b2.messages.length === 2, `expected only the 2 unexpired messages: ${JSON.stringify(b2.messages.map((m) => m.payload))}`);
    for (const m of b2.messages) {
      const left = m.properties.messageExpiryInterval as number | undefined;
      check(left !== undefined && left < 6, `a queued message must carry its remaining expiry (< 6 s), got ${left}`);
    }
    await b2.disconnect({ sessionExpiryInterval: 0 });
    await a.disconnect();
  },
};

const willDelay: InteropCase = {
  name: "will_delay",
  async run(ctx) {
    // [will delay, session expiry, earliest ms, latest ms]: the will goes at the sooner of the two.
    const rounds: [number, number, number, number][] = [[2, 4, 1500, 6000], [5, 0, 0, 3500], [5, 2, 1500, 4500]];
    for (const [delay, expiry, earliest, latest] of rounds) {
      const b = await Client.connect(ctx, ctx.idB, { clean: true });
      await b.subscribe(ctx.topics[0], { qos: 2 });
      const { raw: a, connack } = await RawClient.connect(ctx, {
        clientId: ctx.idA, clean: true, properties: { sessionExpiryInterval: expiry },
        will: { topic: ctx.topics[0], payload: Buffer.from("test_will_delay will message"), qos: 0, retain: false, properties: { willDelayInterval: delay } },
      });
      check((connack.reasonCode ?? 0) === 0 && !connack.sessionPresent, `CONNECT with a will delay: ${a.describe()}`);
      a.end();
      const start = Date.now();
      await until(() => b.messages.length > 0, `the will (delay ${delay} s, session expiry ${expiry} s)`, latest);
      const took = Date.now() - start;
      check(took >= earliest, `the will (delay ${delay} s, session expiry ${expiry} s) came after ${took} ms, before ${earliest} ms`);
      check(b.messages[0].topic === ctx.topics[0] && b.messages[0].payload === "test_will_delay will message", `will: ${JSON.stringify(b.messages[0])}`);
      await b.disconnect();
    }
  },
};

export const v5SessionCases: InteropCase[] = [unsubscribe, sessionExpiry, publicationExpiry, willDelay];
