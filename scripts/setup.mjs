// Self set-up for `npm start`, `npm test` and `npm run bench` on a fresh
// machine: installs npm dependencies when missing, (with --tools) every
// Debian tool the suites and the bench drive, in one serialised apt-get run
// before anything starts (scripts/tools.sh), and (with --build) builds dist/
// when it is missing or older than its sources.
import { execSync } from "node:child_process";
import { existsSync, statSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const run = (cmd) => execSync(cmd, { cwd: root, stdio: "inherit" });

if (!existsSync(join(root, "node_modules", ".bin", "esbuild"))) {
  console.log("setup: installing npm dependencies...");
  run(existsSync(join(root, "package-lock.json")) ? "npm ci --no-audit --no-fund" : "npm install --no-audit --no-fund");
}

if (args.has("--tools")) {
  try {
    run("bash scripts/tools.sh");
  } catch {
    console.error("setup: the Debian tools the suites need are missing (see above); nothing was run.");
    process.exit(1);
  }
}

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(join(root, p)).mtimeMs);
  }
  return t;
}

if (args.has("--build")) {
  const stamp = join(root, "build", "stamp");
  const srcTime = Math.max(...["wasm/src", "ts", "shim", "examples", "scripts"].map(newest),
    statSync(join(root, "emscripten.sh")).mtimeMs, statSync(join(root, "package.json")).mtimeMs);
  if (!existsSync(stamp) || !existsSync(join(root, "dist", "mongoose.wasm")) || statSync(stamp).mtimeMs < srcTime) {
    run("bash emscripten.sh");
    run("node scripts/build.mjs");
  }
}
