// ws-browser.test.ts: a real browser as the WebSocket peer. Headless
// Chromium (Debian's, driven by playwright-core) loads a page from a Node
// server built on this package; the page opens
// `new WebSocket("ws://127.0.0.1:PORT/echo")` to that same server and
// exchanges text and binary messages (NULs included) with it; the server
// pushes a message of its own and finally closes with 4001.
import { chromium } from "playwright-core";
import { MG_EV_HTTP_MSG, MG_EV_WS_MSG, MG_EV_WS_OPEN, WEBSOCKET_OP_BINARY } from "tsmongoose";
import type { HttpMessage, WsMessage } from "tsmongoose";
import { CHROMIUM_ARGS, chromiumUnavailableTest, findChromium } from "./browser/chromium";
import { startServer, stopAllServers } from "./helpers/server";

const PAGE = `<!doctype html><meta charset="utf-8"><title>ws</title><script>
window.__ws = { log: [] };
const ws = new WebSocket("ws://" + location.host + "/echo");
ws.binaryType = "arraybuffer";
const got = [];
ws.onopen = () => {
  ws.send("héllo from Chromium \\u{1F600}");
  const bin = new Uint8Array(100000);
  for (let i = 0; i < bin.length; i++) bin[i] = i % 5 === 0 ? 0 : (i * 13) & 255;
  ws.send(bin);
  window.__ws.sentSum = bin.reduce((a, b) => (a + b) % 65521, 0);
};
ws.onmessage = (e) => {
  if (typeof e.data === "string") got.push(["text", e.data]);
  else { const b = new Uint8Array(e.data); got.push(["binary", b.length, b.reduce((a, x) => (a + x) % 65521, 0), b[0], b[5]]); }
};
ws.onclose = (e) => { window.__ws.done = { got, code: e.code, reason: e.reason, clean: e.wasClean }; };
ws.onerror = () => window.__ws.log.push("error");
</script>`;

const found = findChromium();
if (!found.path) {
  chromiumUnavailableTest("WebSocket with Chromium", found);
} else {
  afterEach(() => stopAllServers());

  test("Chromium's WebSocket talks to our server: text and binary both ways, server close 4001", async () => {
    const serverSaw: string[] = [];
    const srv = await startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) {
        const hm = data as HttpMessage;
        if (hm.uri === "/echo") c.wsUpgrade(hm);
        else c.reply(200, PAGE, { "Content-Type": "text/html; charset=utf-8" });
      } else if (ev === MG_EV_WS_OPEN) {
        serverSaw.push(`open ${(data as HttpMessage).header("Origin")}`);
      } else if (ev === MG_EV_WS_MSG) {
        const m = data as WsMessage;
        serverSaw.push(m.opcode === WEBSOCKET_OP_BINARY ? `binary ${m.data.length}` : `text ${m.text}`);
        c.wsSend(m.data, m.opcode);
        if (m.opcode === WEBSOCKET_OP_BINARY) {
          c.wsSend("server push");
          c.wsClose(4001, "done here");
        }
      }
    });
    const browser = await chromium.launch({ executablePath: found.path, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${srv.port}/`);
      await page.waitForFunction(() => (window as unknown as { __ws: { done?: unknown } }).__ws.done !== undefined, null, { timeout: 20_000 });
      const r = await page.evaluate(() => (window as unknown as { __ws: { done: { got: unknown[]; code: number; reason: string; clean: boolean }; sentSum: number; log: string[] } }).__ws);
      expect(r.log).toEqual([]);
      expect(r.done.got).toEqual([
        ["text", "héllo from Chromium \u{1F600}"],
        ["binary", 100000, r.sentSum, 0, 0],
        ["text", "server push"],
      ]);
      expect(r.done).toMatchObject({ code: 4001, reason: "done here", clean: true });
      expect(serverSaw).toEqual([`open http://127.0.0.1:${srv.port}`, "text héllo from Chromium \u{1F600}", "binary 100000"]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  const DEFLATE_PAGE = `<!doctype html><meta charset="utf-8"><title>ws deflate</title><script>
const ws = new WebSocket("ws://" + location.host + "/echo");
let big = "";
for (let i = 0; big.length < 50000; i++) big += "line " + (i % 97) + " of the log: héllo status=ok\\n";
ws.onopen = () => { window.__ext = ws.extensions; ws.send(big); ws.send(big + "again"); };
const got = [];
ws.onmessage = (e) => { got.push(e.data === big || e.data === big + "again"); if (got.length === 2) window.__done = { ext: window.__ext, got, n: big.length }; };
ws.onerror = () => { window.__done = { error: true }; };
</script>`;

  test("Chromium offers permessage-deflate; with deflate: true our server accepts it and both ways compress", async () => {
    const offers: string[] = [];
    const queued: number[] = [];
    const sizes: number[] = [];
    const srv = await startServer((c, ev, data) => {
      if (ev === MG_EV_HTTP_MSG) {
        const hm = data as HttpMessage;
        if (hm.uri === "/echo") {
          offers.push(hm.header("Sec-WebSocket-Extensions") ?? "");
          c.wsUpgrade(hm, undefined, { deflate: true });
        } else c.reply(200, DEFLATE_PAGE, { "Content-Type": "text/html; charset=utf-8" });
      } else if (ev === MG_EV_WS_MSG) {
        const m = data as WsMessage;
        sizes.push(m.data.length);
        queued.push(c.wsSend(m, m.opcode));
      }
    });
    const browser = await chromium.launch({ executablePath: found.path, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${srv.port}/`);
      await page.waitForFunction(() => (window as unknown as { __done?: unknown }).__done !== undefined, null, { timeout: 20_000 });
      const r = await page.evaluate(() => (window as unknown as { __done: { ext?: string; got?: boolean[]; error?: boolean } }).__done);
      expect(r).toEqual({ ext: "permessage-deflate", got: [true, true], n: expect.any(Number) });
      expect(offers[0]).toMatch(/permessage-deflate/);
      expect(sizes).toHaveLength(2);
      // Our echoes went out compressed (with context takeover, the second is tiny).
      expect(queued[0]).toBeLessThan(sizes[0] / 5);
      expect(queued[1]).toBeLessThan(queued[0]);
    } finally {
      await browser.close();
    }
  }, 60_000);
}
