// static-site.test.ts: examples/static-site.ts as a user runs it (built to
// build/examples/static-site.mjs, its own Node process on PORT=0), loaded by
// headless Chromium: the page, its style sheet and its script come from
// serveDir (app.js as app.js.gz, since Chromium accepts gzip), the script's
// API call works, a reload revalidates with 304s; curl checks a few paths;
// SIGINT stops it cleanly.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, chromiumUnavailableTest, findChromium } from "./browser/chromium";
import { curl, parseCurlI, ensureCurl } from "./helpers/curl";

const ROOT = join(__dirname, "..");
const SCRIPT = join(ROOT, "build", "examples", "static-site.mjs");

let child: ChildProcess | undefined;
let out = "";
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function start(): Promise<number> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: build first (npm run build)`);
  out = "";
  child = spawn(process.execPath, [SCRIPT], { cwd: ROOT, env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port within 10 s:\n${out}`)), 10_000);
    const check = (): void => {
      const m = /Server running on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m || !out.includes("Press Ctrl+C to stop")) return;
      clearTimeout(timer);
      resolve(Number(m[1]));
    };
    child!.stdout!.on("data", check);
    child!.once("exit", (code) => { clearTimeout(timer); reject(new Error(`exited early (${code}):\n${out}`)); });
  });
}

function stop(): Promise<number | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => child!.kill("SIGKILL"), 10_000);
    child!.removeAllListeners("exit");
    child!.once("exit", (code) => { clearTimeout(t); resolve(code); });
    child!.kill("SIGINT");
  });
}

test("curl: the page, gzip for app.js, 400 for a path leaving the root, the API", async () => {
  ensureCurl();
  const port = await start();
  const base = `http://127.0.0.1:${port}`;
  const page = parseCurlI((await curl(["-s", "-i", `${base}/`])).stdout);
  expect(page.final.status).toBe(200);
  expect(page.final.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(page.final.headers["cache-control"]).toBe("no-cache");
  expect(page.body.toString()).toContain("<h1>tsmongoose static site</h1>");
  const js = parseCurlI((await curl(["-s", "-i", "--compressed", `${base}/app.js`])).stdout);
  expect(js.final.headers["content-encoding"]).toBe("gzip");
  expect(js.body.toString()).toContain("/api/stats");
  const up = parseCurlI((await curl(["-s", "-i", "--path-as-is", `${base}/../package.json`])).stdout);
  expect(up.final.status).toBe(400);
  const api = JSON.parse((await curl(["-s", `${base}/api/stats`])).stdout.toString()) as { connections: number };
  expect(api.connections).toBeGreaterThanOrEqual(2);
  expect(await stop()).toBe(0);
  expect(out).toContain("Server stopped cleanly (SIGINT)");
}, 60_000);

const found = findChromium();
if (!found.path) {
  chromiumUnavailableTest("static site in Chromium", found);
} else {
  test("Chromium loads the served page: style applied, script ran, app.js gzipped, reload revalidates (304)", async () => {
    const port = await start();
    const browser = await chromium.launch({ executablePath: found.path, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const seen: { url: string; status: number; encoding?: string }[] = [];
      page.on("response", (r) => seen.push({ url: new URL(r.url()).pathname, status: r.status(), encoding: r.headers()["content-encoding"] }));
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => document.body.dataset.ready === "yes", null, { timeout: 15_000 });
      expect(await page.title()).toBe("tsmongoose static site");
      expect(await page.evaluate(() => getComputedStyle(document.querySelector("h1")!).color)).toBe("rgb(0, 102, 153)");
      expect(await page.textContent("#stats")).toMatch(/connection\(s\), up \d+ s/);
      expect(seen.find((s) => s.url === "/app.js")).toMatchObject({ status: 200, encoding: "gzip" });
      expect(seen.find((s) => s.url === "/style.css")?.status).toBe(200);
      seen.length = 0;
      await page.reload();
      await page.waitForFunction(() => document.body.dataset.ready === "yes", null, { timeout: 15_000 });
      // Cache-Control: no-cache makes Chromium revalidate each file: the validators answer 304.
      const css = seen.find((s) => s.url === "/style.css");
      expect(css?.status).toBe(304);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
    expect(await stop()).toBe(0);
  }, 90_000);
}
