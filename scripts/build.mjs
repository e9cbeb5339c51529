// Bundles the TypeScript facade with esbuild (ESM + CJS for Node, ESM for
// browsers), emits .d.ts with tsc, and builds the examples. Run after
// emscripten.sh has produced dist/mongoose.wasm.
import { build } from "esbuild";
import { execSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync, existsSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);

const common = {
  bundle: true, sourcemap: true, target: "es2022", logLevel: "warning",
  // ts/node.ts reads import.meta.url only when built as ESM.
  logOverride: { "empty-import-meta": "silent" },
};
await Promise.all([
  build({ ...common, entryPoints: ["ts/node.ts"], outfile: "dist/index.mjs", format: "esm", platform: "node" }),
  build({ ...common, entryPoints: ["ts/node.ts"], outfile: "dist/index.cjs", format: "cjs", platform: "node" }),
  build({ ...common, entryPoints: ["ts/browser.ts"], outfile: "dist/browser.mjs", format: "esm", platform: "browser" }),
]);

execSync("npx tsc -p tsconfig.build.json", { stdio: "inherit" });

// Examples import "tsmongoose" (the package's own name), which Node resolves
// to dist/ through package.json "exports".
mkdirSync("build/examples", { recursive: true });
const examples = existsSync("examples")
  ? readdirSync("examples").filter((f) => f.endsWith(".ts")).map((f) => join("examples", f)) : [];
if (examples.length) {
  await build({
    ...common, entryPoints: examples, outdir: "build/examples", outExtension: { ".js": ".mjs" },
    format: "esm", platform: "node", external: ["tsmongoose"], sourcemap: false,
  });
}
writeFileSync("build/stamp", new Date().toISOString());
console.log(`build: dist/ bundles, types and ${examples.length} example(s) ready`);
