// undriven-warning.test.ts: issue #16 item 4: a Manager that listens but is
// never driven warns once (process.emitWarning) naming what to call, instead
// of leaving its clients hanging silently.
import { execFile } from "node:child_process";
import { join } from "node:path";

const ROOT = join(__dirname, "..");

function runChild(code: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--input-type=module", "-e", code], { cwd: ROOT, timeout: 20_000 }, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
}

const prelude = `import { init, Manager, MG_EV_HTTP_MSG } from ${JSON.stringify(join(ROOT, "dist", "index.mjs"))};
import * as net from "node:net";
await init();
const mgr = new Manager((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "x"); });
const port = mgr.listen("http://127.0.0.1:0").localAddr.port;
const s = net.connect(port, "127.0.0.1");
s.on("error", () => {});`;

test("accepted connections waiting undriven: one warning that names run()/poll()/AsyncManager", async () => {
  const out = await runChild(`${prelude}
setTimeout(() => { s.destroy(); mgr.close(); }, 2500);`);
  expect(out).toMatch(/TsMongooseWarning/);
  expect(out).toMatch(/mgr\.run\(\)/);
  expect(out).toMatch(/mgr\.poll\(100\)/);
  expect(out.match(/TsMongooseWarning/g)).toHaveLength(1);
}, 30_000);

test("a driven manager never warns", async () => {
  const out = await runChild(`${prelude}
const end = Date.now() + 2500;
while (Date.now() < end) await mgr.poll(50);
s.destroy(); mgr.close();`);
  expect(out).not.toMatch(/TsMongooseWarning/);
}, 30_000);
