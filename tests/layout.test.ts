// The layout's dependency rules (docs/layout.md, .dependency-cruiser.cjs and
// .dependency-cruiser-runtime.cjs), run by dependency-cruiser over ts/ and
// shim/: they hold for the package, and each fires on the seeded violations
// of tests/fixtures/layout-violations (so none of them can pass vacuously).
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const root = join(__dirname, "..");
const bin = join(root, "node_modules", ".bin", "depcruise");
const fixture = join(root, "tests", "fixtures", "layout-violations");

// A cruise takes seconds, more on a loaded machine; nothing here waits on time.
jest.setTimeout(240_000);

interface Violation { rule: { name: string }; from: string; to: string }

/** Run dependency-cruiser in `cwd` and return its violations as "rule: from -> to". */
function cruise(cwd: string, config: string, paths: string[]): string[] {
  const r = spawnSync(bin, [...paths, "--config", join(root, config), "--output-type", "json"],
    { cwd, encoding: "utf8", timeout: 200_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  expect(out.summary.totalCruised).toBeGreaterThan(0);
  return out.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

describe("layout rules", () => {
  it("hold for ts/ and shim/: no run-time circle, hosts know no facade, the core loads without protocols", () => {
    expect(cruise(root, ".dependency-cruiser.cjs", ["ts", "shim"])).toEqual([]);
  });

  it("hold at run time: the browser entry reaches no node: module", () => {
    expect(cruise(root, ".dependency-cruiser-runtime.cjs", ["ts/browser.ts", "ts/node.ts"])).toEqual([]);
  });

  it("fire on seeded violations, and spare type-only circles and type-only imports of protocols", () => {
    expect(cruise(fixture, ".dependency-cruiser.cjs", ["ts", "shim"])).toEqual([
      "core-imports-only-core: ts/core/uses-util.ts -> ts/util/helper.ts",
      "core-loads-without-protocols: ts/core/uses-protocol.ts -> ts/ws/ws-thing.ts",
      "no-runtime-circle: ts/core/circle-a.ts -> ts/core/circle-b.ts",
      "shim-knows-no-facade: shim/host.ts -> ts/core/types-a.ts",
    ]);
  });

  it("fire at run time on a node: import the browser entry reaches, not on a type-only one", () => {
    expect(cruise(fixture, ".dependency-cruiser-runtime.cjs", ["ts/browser.ts"])).toEqual([
      "browser-entry-reaches-no-node: ts/browser.ts -> os", // through ts/core/platform.ts; its worker_threads import is type-only
    ]);
  });
});
