// mqtt-broker-browser.test.ts: mqtt.js in a real browser (headless Chromium
// via playwright-core, node_modules/mqtt/dist/mqtt.min.js) against our
// MqttBroker in Node, served on ws:// (broker.listen("ws://...")), with a
// Node mqtt.js client on mqtt:// (TCP) at the other end: messages both ways
// at QoS 0/1/2, a retained message delivered on subscribe, a will published
// when the page holding its client is closed and none after a clean end,
// in MQTT 3.1.1 and 5.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { chromium, type Browser, type Page } from "playwright-core";
import { MG_EV_HTTP_MSG, MqttBroker } from "tsmongoose";
import type { HttpMessage } from "tsmongoose";
import { CHROMIUM_ARGS, chromiumUnavailableTest, findChromium } from "./browser/chromium";
import { startServer, stopAllServers, type TestServer } from "./helpers/server";
import { until } from "./helpers/mqtt-peers";

const MQTT_JS = readFileSync(join(__dirname, "..", "node_modules", "mqtt", "dist", "mqtt.min.js"), "utf8");

// The page keeps its mqtt.js clients by name; the test drives them one step at a time.
const PAGE = `<!doctype html><meta charset="utf-8"><title>mqtt.js against MqttBroker</title>
<script src="/mqtt.min.js"></script><script>
window.clients = {};
window.open = (name, url, opts) => new Promise((resolve, reject) => {
  const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  const rec = { c, got: [], errors: [] };
  clients[name] = rec;
  c.on("message", (topic, payload, packet) => rec.got.push([topic, new TextDecoder().decode(payload), packet.qos, packet.retain]));
  c.on("error", (e) => rec.errors.push(String(e)));
  c.once("connect", () => resolve(true));
  c.once("error", (e) => reject(new Error(String(e))));
});
window.sub = (name, filter, qos) => clients[name].c.subscribeAsync(filter, { qos }).then((g) => g.map((x) => x.qos));
window.pub = (name, topic, payload, qos) => clients[name].c.publishAsync(topic, payload, { qos }).then(() => true);
window.got = (name) => clients[name].got;
window.errors = (name) => clients[name].errors;
window.end = (name) => new Promise((resolve) => clients[name].c.end(false, {}, () => resolve(true)));
</script>`;

type Got = [topic: string, payload: string, qos: number, retain: boolean];
interface PageApi {
  open(name: string, url: string, opts: object): Promise<boolean>;
  sub(name: string, filter: string, qos: number): Promise<number[]>;
  pub(name: string, topic: string, payload: string, qos: number): Promise<boolean>;
  got(name: string): Got[];
  errors(name: string): string[];
  end(name: string): Promise<boolean>;
}
type Call = { [K in keyof PageApi]: [K, ...Parameters<PageApi[K]>] }[keyof PageApi];

/** Runs one page function with JSON arguments. */
function call<K extends keyof PageApi>(page: Page, fn: K, ...args: Parameters<PageApi[K]>): Promise<Awaited<ReturnType<PageApi[K]>>> {
  return page.evaluate(([f, ...a]) => {
    const api = window as unknown as Record<string, (...x: unknown[]) => unknown>;
    return api[f as string](...a);
  }, [fn, ...args] as unknown as Call) as Promise<Awaited<ReturnType<PageApi[K]>>>;
}

/** Waits (with a deadline) until the page's client `name` holds `n` messages, then returns them. */
async function pageGot(page: Page, name: string, n: number): Promise<Got[]> {
  await page.waitForFunction(([c, k]) => (window as unknown as { clients: Record<string, { got: unknown[] }> }).clients[c as string].got.length >= (k as number),
    [name, n] as const, { timeout: 10_000, polling: 20 });
  return call(page, "got", name);
}

/** A Node mqtt.js client over TCP that records what it receives. */
async function nodeClient(url: string, version: 4 | 5, opts: mqtt.IClientOptions = {}): Promise<{ c: mqtt.MqttClient; got: Got[] }> {
  const c = mqtt.connect(url, { protocolVersion: version, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  const got: Got[] = [];
  c.on("message", (topic, payload, packet) => got.push([topic, payload.toString(), packet.qos, packet.retain]));
  clients.add(c);
  await new Promise<void>((resolve, reject) => { c.once("connect", () => resolve()); c.once("error", reject); });
  return { c, got };
}

const clients = new Set<mqtt.MqttClient>();
const found = findChromium();

if (!found.path) {
  chromiumUnavailableTest("mqtt.js in Chromium against MqttBroker", found);
} else {
  const executablePath = found.path;
  let browser: Browser | undefined;
  let srv: TestServer;
  let broker: MqttBroker;
  let wsUrl: string;
  let tcpUrl: string;

  beforeEach(async () => {
    srv = await startServer((c, ev, data) => {
      if (ev !== MG_EV_HTTP_MSG) return;
      const hm = data as HttpMessage;
      if (hm.uri === "/mqtt.min.js") c.reply(200, MQTT_JS, { "Content-Type": "text/javascript" });
      else c.reply(200, PAGE, { "Content-Type": "text/html; charset=utf-8" });
    });
    broker = new MqttBroker(srv.mgr);
    wsUrl = `ws://127.0.0.1:${broker.listen("ws://127.0.0.1:0/mqtt").localAddr!.port}/mqtt`;
    tcpUrl = `mqtt://127.0.0.1:${broker.listen("mqtt://127.0.0.1:0").localAddr!.port}`;
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  });

  afterEach(async () => {
    for (const c of clients) c.end(true);
    clients.clear();
    await browser?.close();
    browser = undefined;
    await broker?.close({ timeoutMs: 1000 });
    await stopAllServers();
  });

  test.each([4, 5] as const)("MQTT %i: browser and Node clients exchange QoS 0/1/2 through the broker; retained on subscribe", async (version) => {
    const page = await browser!.newPage();
    await page.goto(`${srv.base}/`);
    const node = await nodeClient(tcpUrl, version);
    // Retained before anyone in the browser subscribes.
    await node.c.publishAsync("cfg/site", "kept", { qos: 1, retain: true });
    await call(page, "open", "b", wsUrl, { protocolVersion: version, clientId: `browser-${version}` });
    expect(await call(page, "sub", "b", "cfg/#", 1)).toEqual([1]);
    expect(await pageGot(page, "b", 1)).toEqual([["cfg/site", "kept", 1, true]]);

    // Node (TCP) -> browser (WebSocket).
    expect(await call(page, "sub", "b", "down/#", 2)).toEqual([2]);
    for (const qos of [0, 1, 2] as const) await node.c.publishAsync(`down/${qos}`, `n${qos}`, { qos });
    expect(await pageGot(page, "b", 4)).toEqual([
      ["cfg/site", "kept", 1, true], ["down/0", "n0", 0, false], ["down/1", "n1", 1, false], ["down/2", "n2", 2, false],
    ]);

    // Browser (WebSocket) -> Node (TCP).
    await node.c.subscribeAsync("up/#", { qos: 2 });
    for (const qos of [0, 1, 2]) await call(page, "pub", "b", `up/${qos}`, `b${qos}`, qos);
    await until(() => node.got.length >= 3, "3 messages from the browser");
    expect(node.got).toEqual([["up/0", "b0", 0, false], ["up/1", "b1", 1, false], ["up/2", "b2", 2, false]]);

    expect(await call(page, "end", "b")).toBe(true);
    expect(await call(page, "errors", "b")).toEqual([]);
    expect(await call(page, "got", "b")).toHaveLength(4);
    expect(node.got).toHaveLength(3);
  }, 60_000);

  test.each([4, 5] as const)("MQTT %i: closing the page publishes its client's will; a clean end does not", async (version) => {
    const node = await nodeClient(tcpUrl, version);
    await node.c.subscribeAsync("will/#", { qos: 1 });
    const clean = await browser!.newPage();
    await clean.goto(`${srv.base}/`);
    const doomed = await browser!.newPage();
    await doomed.goto(`${srv.base}/`);
    const will = (name: string): object => ({ protocolVersion: version, will: { topic: `will/${name}`, payload: `${name} gone`, qos: 1, retain: false } });
    await call(clean, "open", "c", wsUrl, will("clean"));
    await call(doomed, "open", "d", wsUrl, will("doomed"));
    await until(() => broker.stats().clients === 3, "3 clients connected");
    // DISCONNECT 0x00: the broker drops the will.
    await call(clean, "end", "c");
    await until(() => broker.stats().clients === 2, "the clean client gone");
    // The page goes away without DISCONNECT: the broker publishes the will.
    await doomed.close();
    await until(() => node.got.length >= 1, "the will");
    expect(node.got).toEqual([["will/doomed", "doomed gone", 1, false]]);
    expect(broker.stats().clients).toBe(1);
  }, 60_000);
}
