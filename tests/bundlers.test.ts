// A user's bundle: a tiny page that does `import { Manager, init } from
// "tsmongoose"` is bundled with esbuild (platform "browser", so the package's
// "browser" export condition picks dist/browser.mjs) from a temp project whose
// node_modules/tsmongoose links to this repo. Checks the bundles carry no
// node: imports, then runs the page in Chromium with each way of giving
// init() the core: the default (mongoose.wasm beside the bundle), and, from a
// folder with no mongoose.wasm, a URL string, a URL object, a Response, an
// ArrayBuffer, a Uint8Array and a compiled WebAssembly.Module; and the plain
// esbuild output with no wasm file at all and no configuration, where init()
// takes the core embedded in the package.
import { build, type Metafile } from "esbuild";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { startStaticServer, type StaticServer } from "./browser/static-server.cjs";
import { CHROMIUM_ARGS, chromiumUnavailableTest, findChromium } from "./browser/chromium";

const root = join(__dirname, "..");
const wasmFile = process.env.TSMONGOOSE_WASM ?? join(root, "dist", "mongoose.wasm");

/** The user's page: one HTTP exchange between two Managers on a memory network. */
const APP = `
import { Manager, init, memoryNetwork, MG_EV_CONNECT, MG_EV_HTTP_MSG } from "tsmongoose";

const asset = "/assets/core.wasm";
const sources = {
  default: async () => undefined,
  url: async () => asset,
  URL: async () => new URL(asset, location.href),
  response: async () => fetch(asset),
  buffer: async () => (await fetch(asset)).arrayBuffer(),
  bytes: async () => new Uint8Array(await (await fetch(asset)).arrayBuffer()),
  module: async () => WebAssembly.compile(await (await fetch(asset)).arrayBuffer()),
};

async function main() {
  const mode = new URLSearchParams(location.search).get("wasm") || "default";
  const wasm = await sources[mode]();
  await init(wasm === undefined ? undefined : { wasm });
  const network = memoryNetwork();
  const server = new Manager((c, ev, hm) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "bundled " + hm.uri); }, { network });
  server.listen("http://app:80");
  const client = new Manager(undefined, { network });
  let body;
  client.connect("http://app:80", {
    handler: (c, ev, hm) => {
      if (ev === MG_EV_CONNECT) c.send("GET /" + mode + " HTTP/1.1\\r\\nHost: app\\r\\n\\r\\n");
      if (ev === MG_EV_HTTP_MSG) body = hm.bodyText;
    },
  });
  const end = performance.now() + 5000;
  while (body === undefined && performance.now() < end) await Promise.all([server.poll(5), client.poll(5)]);
  server.close();
  client.close();
  return body;
}

main().then(
  (body) => { window.__bundle = { done: true, ok: body !== undefined, detail: String(body) }; },
  (err) => { window.__bundle = { done: true, ok: false, detail: String(err && err.message || err) }; },
);
`;

const HTML = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
<body><script type="module" src="./app.mjs"></script></body></html>`;

const NODE_IMPORT = /(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](?:node:|(?:fs|path|net|os|url|child_process|crypto|dns|tls|dgram|http|https|stream|util|worker_threads)(?:\/[\w/]*)?["'])/;

let work: string;
let meta: Metafile;
let bundleText: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tsmongoose-bundle-"));
  mkdirSync(join(work, "node_modules"));
  symlinkSync(root, join(work, "node_modules", "tsmongoose"), "dir");
  writeFileSync(join(work, "app.mjs"), APP);
  const r = await build({
    absWorkingDir: work, entryPoints: ["app.mjs"], bundle: true, format: "esm", platform: "browser",
    target: "es2022", outfile: join(work, "public", "app.mjs"), metafile: true, logLevel: "silent",
  });
  meta = r.metafile;
  bundleText = readFileSync(join(work, "public", "app.mjs"), "utf8");
  writeFileSync(join(work, "public", "index.html"), HTML);
  // mongoose.wasm beside the bundle (Vite and webpack emit it themselves from
  // the new URL(..., import.meta.url) reference; esbuild does not).
  copyFileSync(wasmFile, join(work, "public", "mongoose.wasm"));
  mkdirSync(join(work, "public", "assets"));
  copyFileSync(wasmFile, join(work, "public", "assets", "core.wasm"));
  // The same bundle with no mongoose.wasm beside it: esbuild's output as is.
  mkdirSync(join(work, "public", "nowasm"));
  copyFileSync(join(work, "public", "app.mjs"), join(work, "public", "nowasm", "app.mjs"));
  writeFileSync(join(work, "public", "nowasm", "index.html"), HTML);
}, 60_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test("dist/browser.mjs has no node: imports and keeps the new URL(..., import.meta.url) asset reference", () => {
  const text = readFileSync(join(root, "dist", "browser.mjs"), "utf8");
  expect(text).not.toMatch(NODE_IMPORT);
  expect(text).not.toMatch(/["']node:/);
  expect(text).toContain('new URL("./mongoose.wasm", import.meta.url)');
});

test('esbuild resolves "tsmongoose" to the browser build and the bundle has no node: imports', () => {
  const inputs = Object.keys(meta.inputs).map((p) => relative(root, join(work, p)).replace(/\\/g, "/"));
  expect(inputs).toContain("dist/browser.mjs");
  expect(inputs.filter((p) => /dist\/index\.(mjs|cjs)$/.test(p))).toEqual([]);
  expect(bundleText).not.toMatch(NODE_IMPORT);
  expect(bundleText).not.toMatch(/["']node:/);
});

const found = findChromium();
const MODES = ["default", "url", "URL", "response", "buffer", "bytes", "module"];

if (!found.path) {
  chromiumUnavailableTest("bundled page", found);
} else {
  const executablePath = found.path;
  let server: StaticServer | undefined;
  let browser: Browser | undefined;

  /** Opens `path` and returns what the page's app reported. */
  async function runPage(path: string): Promise<{ ok: boolean; detail: string; errors: string[] }> {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    try {
      await page.goto(`${server!.url}${path}`);
      await page.waitForFunction(() => (window as unknown as { __bundle?: { done: boolean } }).__bundle?.done === true,
        null, { timeout: 20_000 });
      const r = await page.evaluate(() => (window as unknown as { __bundle: { ok: boolean; detail: string } }).__bundle);
      return { ...r, errors };
    } finally {
      await page.close();
    }
  }

  beforeAll(async () => {
    server = await startStaticServer({ mounts: { "/": join(work, "public") } });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  test.each(MODES)("the bundled page runs in Chromium with init() given: %s", async (mode) => {
    // Explicit sources run from /nowasm/, where the default location has no file: only the source given can work.
    const r = await runPage(`${mode === "default" ? "" : "/nowasm"}/index.html?wasm=${mode}`);
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ ok: true, detail: `bundled /${mode}` });
  });

  test("esbuild output as is (no mongoose.wasm beside it, no configuration): init() uses the embedded core", async () => {
    const r = await runPage("/nowasm/index.html");
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ ok: true, detail: "bundled /default" });
    expect(bundleText).toContain("mongoose-wasm-inline"); // the embedded copy travelled with the bundle
  });
}
