// browser.ts: the browser entry (package.json "browser" condition ->
// dist/browser.mjs). Registers the browser platform: the core is fetched from
// mongoose.wasm next to this bundle, and Managers without `opts.network` share
// one page-wide memory network. Nothing reachable from here may import node:*
// (tests/bundlers.test.ts checks the bundle).
import { setPlatform } from "./platform";
import { memoryNetwork, type MemoryNetwork } from "../shim/memory";

/** Page-wide default network: like loopback, every Manager of the page can reach every listener. */
let pageNetwork: MemoryNetwork | undefined;

/** Where the core is by default. The literal `new URL("./x", import.meta.url)` lets Vite and webpack emit it as an asset. */
function defaultWasmUrl(): URL {
  return new URL("./mongoose.wasm", import.meta.url);
}

async function fetchAndCompile(src: string | URL): Promise<WebAssembly.Module> {
  let res: Response;
  try {
    res = await fetch(src);
  } catch (err) {
    throw new Error(`tsmongoose: cannot fetch the WASM core from ${String(src)}: ${String(err)}; ` +
      "serve mongoose.wasm next to the bundle or call init({ wasm })", { cause: err });
  }
  if (!res.ok) {
    throw new Error(`tsmongoose: fetching the WASM core from ${String(src)} failed: HTTP ${res.status}; ` +
      "serve mongoose.wasm next to the bundle or call init({ wasm })");
  }
  // Streaming compilation needs the right MIME type; fall back to bytes otherwise.
  const type = res.headers.get("content-type") ?? "";
  if (typeof WebAssembly.compileStreaming === "function" && type.startsWith("application/wasm")) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

setPlatform({
  loadWasm: (src) => fetchAndCompile(src ?? defaultWasmUrl()),
  defaultNetwork: () => (pageNetwork ??= memoryNetwork()),
});

export * from "./index";
export { memoryNetwork, MemoryNetwork, MEMORY_WINDOW_BYTES } from "../shim/memory";
export type { MemoryNetworkOptions, MemoryNetworkError } from "../shim/memory";
