// `npm run harness`: serves the browser test page on 127.0.0.1 and prints its
// URL. Open it in any browser to watch the suite run against dist/browser.mjs
// (build first: `npm run harness` does). Ctrl+C stops the server.
// Options: --port N (default 8787; 0 picks a free one), or PORT=N.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { startStaticServer } = createRequire(import.meta.url)(join(root, "tests/browser/static-server.cjs"));

const argPort = process.argv.indexOf("--port");
const port = Number(argPort > 0 ? process.argv[argPort + 1] : process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`harness: bad port ${process.argv[argPort + 1] ?? process.env.PORT}`);
  process.exit(2);
}
for (const f of ["dist/browser.mjs", "dist/mongoose.wasm"]) {
  if (!existsSync(join(root, f))) {
    console.error(`harness: ${f} is missing; build first (npm run build)`);
    process.exit(1);
  }
}

const page = "/tests/browser/index.html";
const server = await startStaticServer({
  mounts: { "/dist/": join(root, "dist"), "/tests/browser/": join(root, "tests/browser") },
  index: page,
  port,
});
console.log(`harness: browser test page at ${server.url}${page}`);
console.log("harness: open it in a browser; Ctrl+C stops the server");
const stop = async () => { await server.close(); process.exit(0); };
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
