// The browser suite: serves tests/browser/ and dist/ from a static server on
// 127.0.0.1, opens the page in headless Chromium (Debian's, driven by
// playwright-core; never a downloaded browser), waits for the in-page suite
// and turns each of its cases into a jest test. Saves a screenshot of the
// results table to artifacts/browser/suite.png.
//
// Chromium comes from the set-up (scripts/tools.sh, run by npm test before
// any suite); where it is missing, one test fails naming that step.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { startStaticServer, type StaticServer } from "./browser/static-server.cjs";
import { CHROMIUM_ARGS, chromiumUnavailableTest, findChromium } from "./browser/chromium";

const root = join(__dirname, "..");

/** The cases the page must report, in its order (tests/browser/suite.mjs). */
const CASES = [
  "init() loads mongoose.wasm next to the bundle",
  "default network is the page's memory network",
  "http request/response over mem://",
  "http://app:80 from another Manager",
  "keep-alive: two requests, one connection",
  "chunked request body",
  "chunked response via httpChunk",
  "drain: 1 MB response arrives complete",
  "backpressure: a reader that is not driven holds the writer back",
  "timers: one-shot fires once",
  "timers: repeat until cancelled inside its callback",
  "timers: cancel before due never fires",
  "poll loop: while (!stop) await mgr.poll(10)",
  "shutdown: in-flight request completes, then the manager closes",
  "fetch handler: a fetch app served over the memory network",
  "error on bad input: typed errors, 400 for a malformed request",
  "connect refused: MG_EV_ERROR then MG_EV_CLOSE",
  "closed connection: methods throw ConnectionClosedError",
  "udp:// datagrams over the memory network",
  "utilities from the core: JSON, base64, SHA-256, match, Rpc",
  "static files: a packed web root through serveDir",
  "websocket: server and client over the memory network (text, binary, ping, close)",
  "websocket: a message over maxWsMessageSize closes with 1009",
  "websocket: permessage-deflate is not offered in the browser, even when asked",
  "mqtt over websocket: mqttListen(ws://) and mqttConnect(ws://) in one tab",
  "mqtt broker in a tab: mqtt:// and ws:// clients exchange QoS 0/1/2 and retained messages",
  "mqtt broker in a tab: a persistent session gets its queued QoS 1 messages on reconnect",
];

interface PageCase { name: string; result: string; ms: number; detail: string }
interface PageResults { done: boolean; passed: number; failed: number; cases: PageCase[] }

const found = findChromium();

if (!found.path) {
  chromiumUnavailableTest("browser suite", found);
} else {
  const executablePath = found.path;
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  let results: PageResults | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    for (const f of ["dist/browser.mjs", "dist/mongoose.wasm"]) {
      // TSMONGOOSE_WASM (as for Node) may point at a core built elsewhere.
      if (f.endsWith(".wasm") && process.env.TSMONGOOSE_WASM) continue;
      if (!existsSync(join(root, f))) throw new Error(`${f} is missing: build first (npm run build)`);
    }
    server = await startStaticServer({
      mounts: { "/dist/": join(root, "dist"), "/tests/browser/": join(root, "tests/browser") },
      files: process.env.TSMONGOOSE_WASM ? { "/dist/mongoose.wasm": process.env.TSMONGOOSE_WASM } : {},
    });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("console", (msg) => { if (msg.type() === "error") pageErrors.push(msg.text()); });
    await page.goto(`${server.url}/tests/browser/index.html`);
    await page.waitForFunction(() => (window as unknown as { __results?: PageResults }).__results?.done === true,
      null, { timeout: 240_000, polling: 100 });
    results = await page.evaluate(() => (window as unknown as { __results: PageResults }).__results);
    mkdirSync(join(root, "artifacts/browser"), { recursive: true });
    await page.screenshot({ path: join(root, "artifacts/browser/suite.png"), fullPage: true });
    const summary = results.cases.map((c) => `  ${c.result.padEnd(4)} ${c.ms.toFixed(1).padStart(7)} ms  ${c.name}${c.detail ? `: ${c.detail}` : ""}`);
    console.log(`browser suite in ${await browser.version()}: ${results.passed} passed, ${results.failed} failed\n${summary.join("\n")}`);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test("the page ran exactly the expected cases, without uncaught errors", () => {
    expect(results?.cases.map((c) => c.name)).toEqual(CASES);
    expect(pageErrors).toEqual([]);
  });

  test.each(CASES)("in Chromium: %s", (name) => {
    const c = results?.cases.find((x) => x.name === name);
    if (!c) throw new Error(`the page did not report case ${JSON.stringify(name)}`);
    if (c.result !== "pass") throw new Error(`${c.result}: ${c.detail}`);
  });
}
