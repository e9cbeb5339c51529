// `npm run interop`: the MQTT interoperability suite (tests/mqtt-interop/,
// our TypeScript versions of Eclipse Paho's client_test.py and
// client_test5.py cases) against our broker and mosquitto side by side;
// prints a table per MQTT version and the score lines. Build first (the npm
// script does). Arguments: a broker URL (mqtt://host:port) to test only that
// broker; --case=NAME (repeatable) to run only some cases. Exit status 1
// when ours fails a case it must pass (with a URL: when any case fails).
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = mkdtempSync(join(tmpdir(), "tsmongoose-interop-cli-"));
try {
  const out = join(dir, "interop.cjs");
  await build({
    entryPoints: [join(root, "tests", "mqtt-interop", "cli.ts")], outfile: out, bundle: true,
    platform: "node", format: "cjs", target: "node20", external: ["mqtt", "mqtt-packet"], logLevel: "error",
    nodePaths: [join(root, "node_modules")],
  });
  // The bundle resolves mqtt from the checkout's node_modules and names the checkout for the brokers.
  const r = spawnSync(process.execPath, [out, ...process.argv.slice(2)], {
    stdio: "inherit", env: { ...process.env, TSMONGOOSE_ROOT: root, NODE_PATH: join(root, "node_modules") },
  });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
