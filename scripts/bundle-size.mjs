// bundle-size.mjs: what a page that only serves HTTP carries, measured
// (docs/layout.md quotes no figure by hand; run this instead). Bundles a
// tiny page three ways with esbuild (minified, ES2022, browser; the wasm core
// is a separate file and not counted) and prints bytes and gzip bytes:
//   the package's browser entry (ts/browser.ts, what dist/browser.mjs is built from), which
//   registers every protocol; the core plus HTTP from the sources; the core
//   alone (raw bytes).
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const page = (imports) => `${imports}
const mgr = new Manager((c, ev) => { if (ev === MG_EV_HTTP_MSG) c.reply(200, "hi"); }, { network: memoryNetwork() });
mgr.listen("http://app:80");`;
const fromSources = (register) => `import "./ts/core/registry";${register}
import { Manager } from "./ts/core/manager";
import { MG_EV_HTTP_MSG } from "./ts/core/constants";
import { memoryNetwork } from "./shim/memory";`;

const cases = [
  ["the package's browser entry (ts/browser.ts)", `import { Manager, MG_EV_HTTP_MSG, memoryNetwork } from "./ts/browser";`],
  ["core + http/register.ts + memory network", fromSources(`\nimport "./ts/http/register";`)],
  ["core + memory network (raw bytes only)", fromSources("")],
];

console.log("| page that serves HTTP over the memory network | minified | gzip |\n| --- | --- | --- |");
for (const [name, imports] of cases) {
  const r = await build({
    stdin: { contents: page(imports), resolveDir: root, loader: "ts" },
    bundle: true, minify: true, format: "esm", target: "es2022", platform: "browser",
    write: false, logLevel: "error", external: ["*.wasm", "./mongoose-wasm-inline.mjs"],
  });
  const bytes = r.outputFiles[0].contents;
  console.log(`| ${name} | ${bytes.length.toLocaleString("en")} B | ${gzipSync(bytes).length.toLocaleString("en")} B |`);
}
