// mqtt-ws-browser.test.ts: mqtt.js in a real browser (headless Chromium via
// playwright-core, the bundle node_modules/mqtt/dist/mqtt.min.js) connects
// to our MQTT-over-WebSocket listener (mgr.mqttListen("ws://...")) in Node:
// MQTT 3.1.1 and 5, subscribe, QoS 0/1/2 publishes echoed back, a 200 KB
// payload, a clean end.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { MG_EV_HTTP_MSG } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";
import { CHROMIUM_ARGS, chromiumUnavailableTest, findChromium } from "./browser/chromium";
import { startServer, stopAllServers } from "./helpers/server";
import { mqttResponder } from "./helpers/mqtt-responder";

const MQTT_JS = readFileSync(join(__dirname, "..", "node_modules", "mqtt", "dist", "mqtt.min.js"), "utf8");

const PAGE = `<!doctype html><meta charset="utf-8"><title>mqtt over ws</title>
<script src="/mqtt.min.js"></script><script>
window.run = (url, version) => new Promise((resolve) => {
  const got = [], errors = [];
  const c = mqtt.connect(url, { protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5000 });
  c.on("error", (e) => errors.push(String(e)));
  c.on("message", (topic, payload, packet) => {
    got.push([topic, payload.length, payload[0], packet.qos]);
    if (got.length === 4) c.end(false, {}, () => resolve({ got, errors }));
  });
  c.on("connect", async () => {
    await c.subscribeAsync("b/#", { qos: 2 });
    for (const qos of [0, 1, 2]) await c.publishAsync("b/" + qos, new Uint8Array([qos + 10]), { qos });
    const big = new Uint8Array(200000).fill(9);
    await c.publishAsync("b/big", big, { qos: 1 });
  });
  setTimeout(() => resolve({ got, errors, timeout: true }), 15000);
});
</script>`;

const found = findChromium();
if (!found.path) {
  chromiumUnavailableTest("mqtt.js over WebSocket in Chromium", found);
} else {
  afterEach(() => stopAllServers());

  test("mqtt.js in Chromium talks MQTT 3.1.1 and 5 over ws:// to our listener", async () => {
    const srv = await startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const hm = data as HttpMessage;
      if (hm.uri === "/mqtt.min.js") c.reply(200, MQTT_JS, { "Content-Type": "text/javascript" });
      else c.reply(200, PAGE, { "Content-Type": "text/html; charset=utf-8" });
    });
    const seen: string[] = [];
    const l = srv.mgr.mqttListen("ws://127.0.0.1:0/mqtt", { handler: mqttResponder(seen) });
    const url = `ws://127.0.0.1:${l.localAddr!.port}/mqtt`;
    const browser = await chromium.launch({ executablePath: found.path, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`${srv.base}/`);
      for (const version of [4, 5]) {
        const r = await page.evaluate(([u, v]) => (window as unknown as { run(u: string, v: number): Promise<{ got: unknown[]; errors: string[]; timeout?: boolean }> }).run(u as string, v as number), [url, version]);
        expect(r.errors).toEqual([]);
        expect(r.timeout).toBeUndefined();
        expect(r.got).toEqual([["b/0", 1, 10, 0], ["b/1", 1, 11, 1], ["b/2", 1, 12, 2], ["b/big", 200000, 9, 1]]);
      }
      // CONNECT, SUBSCRIBE, 4 PUBLISH, PUBREL, DISCONNECT per version (PUBACK/PUBREC/PUBCOMP of our deliveries too).
      expect(seen.filter((s) => s.endsWith(" 1")).length).toBe(2);
    } finally {
      await browser.close();
    }
  }, 60_000);
}
