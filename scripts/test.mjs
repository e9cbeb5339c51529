// `npm test` after set-up: native C tests (ASan/UBSan), fuzz smoke runs,
// then every jest suite (which includes the browser suite). Prints and saves
// one line "N passed, N failed" summing all of them.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureOtherRuntimes, ensureRuntimes } from "./runtimes.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
mkdirSync("build", { recursive: true });

let passed = 0, failed = 0, skipped = 0;
const failedSteps = []; // named again at the end, so a CI log says where to look

// A step that prints its own "N passed, N failed" line last.
function counted(name, cmd, args, cwd = root) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" });
  process.stdout.write(r.stdout ?? "");
  const before = failed;
  const m = [...(r.stdout ?? "").matchAll(/^(\d+) passed, (\d+) failed/gm)].pop();
  if (!m) {
    console.log(`${name}: no summary line (exit ${r.status}): counted as 1 failure`);
    failed++;
  } else {
    passed += +m[1]; failed += +m[2];
    if (r.status !== 0 && +m[2] === 0) { console.log(`${name}: exit ${r.status}`); failed++; }
  }
  if (failed > before) failedSteps.push(`${name}: ${(r.stdout ?? "").split("\n").filter((l) => /^FAIL|^not ok|FAIL:/.test(l)).join("; ") || "see its output"}`);
}

/**
 * A directory outside the repository where a script imports "tsmongoose" as
 * a user's would: node_modules/tsmongoose is this package (its exports,
 * dist/), with no tsconfig `paths` in the way (Bun honours them). The
 * portability smoke and the two scripts it starts are copied in.
 */
function userSandbox() {
  const dir = mkdtempSync(join(tmpdir(), "tsmongoose-runtime-"));
  writeFileSync(join(dir, "package.json"), '{ "type": "module", "private": true }\n');
  writeFileSync(join(dir, "tsconfig.json"), "{}\n");
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(root, join(dir, "node_modules", "tsmongoose"), "dir");
  for (const f of ["tests/portability/smoke.mjs", "tests/fixtures/run-server.mjs", "build/examples/cluster.mjs"]) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    copyFileSync(join(root, f), join(dir, f));
  }
  return dir;
}

counted("native C tests (ASan/UBSan)", "bash", ["wasm/test/run.sh"]);
if (existsSync("wasm/fuzz/run.sh")) counted("fuzz smoke", "bash", ["wasm/fuzz/run.sh", "--smoke"]);

// The transport, shutdown and cluster promises under every Node we support
// (scripts/runtimes.mjs installs the others once into a cache).
for (const { name, bin } of ensureRuntimes()) counted(`portability: ${name}`, bin, ["tests/portability/smoke.mjs"]);
// Bun and Deno (scripts/runtimes.mjs): the same smoke, from a user's project.
const others = ensureOtherRuntimes();
if (others.length > 0) {
  const sandbox = userSandbox();
  try {
    for (const { name, bin, args } of others) counted(`portability: ${name}`, bin, [...args, "tests/portability/smoke.mjs"], sandbox);
  } finally {
    rmSync(sandbox, { recursive: true, force: true });
  }
}

console.log("\n=== jest ===");
const jestOut = "build/jest.json";
const extra = process.argv.slice(2);
const j = spawnSync("npx", ["jest", "--json", `--outputFile=${jestOut}`, ...extra], { stdio: "inherit" });
if (existsSync(jestOut)) {
  const r = JSON.parse(readFileSync(jestOut, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  skipped += r.numPendingTests + r.numTodoTests;
  for (const suite of r.testResults ?? []) {
    const names = (suite.assertionResults ?? []).filter((a) => a.status === "failed").map((a) => a.fullName);
    if (names.length > 0 || suite.status === "failed") failedSteps.push(`jest ${suite.name.replace(root + "/", "")}: ${names.join("; ") || suite.message?.split("\n")[0] || "failed"}`);
  }
} else {
  failed++;
  failedSteps.push("jest: no results file");
}
if (j.status !== 0 && failed === 0) {
  failed++;
  failedSteps.push(`jest: exit ${j.status} with every test passed`);
}

if (failedSteps.length > 0) console.log(`\nFailures:\n${failedSteps.map((s) => `  - ${s}`).join("\n")}`);
const line = `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : "");
writeFileSync("build/test-summary.txt", line + "\n");
console.log("\n" + line);
process.exit(failed ? 1 : 0);
