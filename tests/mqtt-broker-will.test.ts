// mqtt-broker-will.test.ts: MqttBroker wills against mqtt.js and raw MQTT 5
// bytes: sent when a connection ends without DISCONNECT, not on a clean
// DISCONNECT (0x00), sent on DISCONNECT 0x04; Will Delay Interval (cancelled
// when the session resumes, sent at session expiry if that comes first); the
// will's properties travel with it.
import { cleanBrokerTests, raw, startBroker } from "./helpers/broker";
import { jsConnect } from "./helpers/mqtt-js";
import { until } from "./helpers/mqtt-peers";
import { packet, prop, props } from "./helpers/mqtt-raw";

afterEach(cleanBrokerTests);

describe.each([4, 5] as const)("MQTT %d", (version) => {
  test("a will is sent when the connection drops, not after a clean DISCONNECT", async () => {
    const b = await startBroker();
    const watcher = await jsConnect(b.url, { protocolVersion: version });
    await watcher.c.subscribeAsync("will/#", { qos: 1 });
    const r = raw(b.port);
    await r.connect({ version, clientId: "w1", will: { topic: "will/w1", message: "gone", qos: 1 } });
    await r.close(); // no DISCONNECT
    await until(() => watcher.got.length === 1, "the will");
    expect(watcher.got[0]).toMatchObject({ topic: "will/w1", text: "gone", qos: 1 });
    const clean = await jsConnect(b.url, { protocolVersion: version, clientId: "w2", will: { topic: "will/w2", payload: Buffer.from("no"), qos: 0, retain: false } });
    await clean.c.endAsync();
    await until(() => b.broker.stats().clients === 1, "w2 to close");
    watcher.c.publish("will/marker", "m", { qos: 1 });
    await until(() => watcher.got.length === 2, "the marker");
    expect(watcher.got.map((g) => g.text)).toEqual(["gone", "m"]); // no will from w2
  });
});

describe("MQTT 5", () => {
  test("DISCONNECT 0x04 sends the will; its properties go with it", async () => {
    const b = await startBroker();
    const watcher = await jsConnect(b.url, { protocolVersion: 5 });
    await watcher.c.subscribeAsync("will/#", { qos: 1 });
    const r = raw(b.port);
    await r.connect({ version: 5, clientId: "w4", will: { topic: "will/w4", message: "asked", qos: 1, props: props(prop.str(0x03, "text/plain"), prop.byte(0x01, 1)) } });
    r.send(packet(0xe0, [0x04, 0])); // DISCONNECT, reason 0x04 "disconnect with will message"
    await until(() => watcher.got.length === 1, "the will");
    expect(watcher.got[0].text).toBe("asked");
    expect(watcher.got[0].properties).toMatchObject({ contentType: "text/plain", payloadFormatIndicator: true });
  });

  test("Will Delay Interval: cancelled when the session resumes in time, sent after it otherwise", async () => {
    const b = await startBroker();
    const watcher = await jsConnect(b.url, { protocolVersion: 5 });
    await watcher.c.subscribeAsync("will/#", { qos: 1 });
    const opts = { version: 5 as const, clientId: "wd", clean: false, props: props(prop.u32(0x11, 60)), will: { topic: "will/wd", message: "late", props: props(prop.u32(0x18, 1)) } };
    const r = raw(b.port);
    await r.connect(opts);
    await r.close();
    const r2 = raw(b.port); // back within the delay: no will
    expect((await r2.connect({ ...opts, will: undefined })).present).toBe(true);
    await new Promise((res) => setTimeout(res, 1500)); // the delay (1 s) runs out here: nothing may come
    expect(watcher.got).toEqual([]);
    const r3 = raw(b.port);
    await r3.connect(opts); // takes over r2, with a will again
    await r3.close();
    const t0 = Date.now();
    await until(() => watcher.got.length === 1, "the delayed will", 5000);
    expect(Date.now() - t0).toBeGreaterThan(700);
  });

  test("a will delay longer than the session is cut to the session's expiry", async () => {
    const b = await startBroker();
    const watcher = await jsConnect(b.url, { protocolVersion: 5 });
    await watcher.c.subscribeAsync("will/#", { qos: 1 });
    const r = raw(b.port);
    await r.connect({ version: 5, clientId: "we", clean: false, props: props(prop.u32(0x11, 1)), will: { topic: "will/we", message: "at expiry", props: props(prop.u32(0x18, 3600)) } });
    await r.close();
    await until(() => watcher.got.length === 1, "the will at session expiry", 5000);
    expect(b.broker.stats().sessions).toBe(1); // the watcher's only
  });
});
