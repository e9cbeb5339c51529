// browser-upload.test.ts: Chromium loads the upload example's page, picks a
// file and submits the form; the file arrives on disk byte for byte (the
// page posts it as the body of /upload, streamed by httpStreamBody).
// Chromium comes from the set-up (scripts/tools.sh), as for the browser suite.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, chromiumUnavailableTest, findChromium } from "./browser/chromium";

const found = findChromium();
const script = join(__dirname, "..", "build", "examples", "upload.mjs");

if (!found.path) {
  chromiumUnavailableTest("upload page in Chromium", found);
} else {
  const executablePath = found.path;
  let child: ChildProcess | undefined;
  let tmp = "";
  beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), "tsm-upload-page-")); });
  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(tmp, { recursive: true, force: true });
  });

  test("the page posts a 3 MiB file; it is stored intact", async () => {
    if (!existsSync(script)) throw new Error(`${script} is missing: run node scripts/build.mjs first`);
    child = spawn(process.execPath, [script], { cwd: tmp, env: { ...process.env, PORT: "0", UPLOAD_DIR: join(tmp, "up") }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up:\n${out}`)), 10_000);
      child!.stdout!.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /Server running on http:\/\/[^\s]+:(\d+)/.exec(out);
        if (m && out.includes("Press Ctrl+C")) { clearTimeout(timer); resolve(Number(m[1])); }
      });
    });
    const data = Buffer.alloc(3 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
    const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.setInputFiles("#file", { name: "photo.bin", mimeType: "application/octet-stream", buffer: data });
      await page.click("button");
      await page.waitForFunction(() => document.getElementById("result")!.textContent !== "", null, { timeout: 20_000 });
      const result = JSON.parse((await page.textContent("#result"))!) as { name: string; bytes: number };
      expect(result).toMatchObject({ name: "photo.bin", bytes: data.length });
    } finally {
      await browser.close();
    }
    expect(readFileSync(join(tmp, "up", "photo.bin")).equals(data)).toBe(true);
    const exited = new Promise((r) => child!.on("exit", r));
    child.kill("SIGTERM");
    await exited;
  }, 60_000);
}
