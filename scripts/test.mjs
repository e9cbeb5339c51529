// `npm test` after set-up: native C tests (ASan/UBSan), fuzz smoke runs,
// then every jest suite (which includes the browser suite). Prints and saves
// one line "N passed, N failed" summing all of them.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureRuntimes } from "./runtimes.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
mkdirSync("build", { recursive: true });

let passed = 0, failed = 0, skipped = 0;

// A step that prints its own "N passed, N failed" line last.
function counted(name, cmd, args) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  process.stdout.write(r.stdout ?? "");
  const m = [...(r.stdout ?? "").matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
  if (!m) { console.log(`${name}: no summary line (exit ${r.status}): counted as 1 failure`); failed++; return; }
  passed += +m[1]; failed += +m[2];
  if (r.status !== 0 && +m[2] === 0) { console.log(`${name}: exit ${r.status}`); failed++; }
}

counted("native C tests (ASan/UBSan)", "bash", ["wasm/test/run.sh"]);
if (existsSync("wasm/fuzz/run.sh")) counted("fuzz smoke", "bash", ["wasm/fuzz/run.sh", "--smoke"]);

// The transport, shutdown and cluster promises under every Node we support
// (scripts/runtimes.mjs installs the others once into a cache).
for (const { name, bin } of ensureRuntimes()) counted(`portability: ${name}`, bin, ["tests/portability/smoke.mjs"]);

console.log("\n=== jest ===");
const jestOut = "build/jest.json";
const extra = process.argv.slice(2);
const j = spawnSync("npx", ["jest", "--json", `--outputFile=${jestOut}`, ...extra], { stdio: "inherit" });
if (existsSync(jestOut)) {
  const r = JSON.parse(readFileSync(jestOut, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  skipped += r.numPendingTests + r.numTodoTests;
} else {
  failed++;
}
if (j.status !== 0 && failed === 0) failed++;

const line = `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");
writeFileSync("build/test-summary.txt", line + "\n");
console.log("\n" + line);
process.exit(failed ? 1 : 0);
