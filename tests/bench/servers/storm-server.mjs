// The server of tests/bench/storm.mjs: GET /big answers one shared 1 MiB
// Buffer (what a cached download looks like), anything else "ok". argv[2]
// picks the server: "tsmongoose" (conn.reply, driven by run()) or
// "node-http" (res.end). Besides the common IPC (common.mjs) it answers
// { type: "sample" } with process.memoryUsage() taken as it is (no GC) and
// the core's linear memory size (0 for node:http).
import { serveIpc } from "./common.mjs";

const SHARED = Buffer.alloc(1 << 20, "0123456789abcdef");
const which = process.argv[2];
// argv[3] "fresh": a new 1 MiB body per request (a rendered answer), else the shared one.
const fresh = process.argv[3] === "fresh";
const body = () => (fresh ? Buffer.alloc(1 << 20, "0123456789abcdef") : SHARED);
let wasmMemory;

if (which === "tsmongoose") {
  // Keep a reference to the core's memory (the package exposes no size): the
  // instance is caught as it is created.
  const orig = WebAssembly.instantiate;
  WebAssembly.instantiate = async (...args) => {
    const r = await orig.apply(WebAssembly, args);
    const inst = r instanceof WebAssembly.Instance ? r : r.instance;
    if (typeof inst?.exports?.mgx_heap_used === "function") wasmMemory = inst.exports.memory; // not a feature probe
    return r;
  };
  const { init, Manager, MG_EV_HTTP_MSG } = await import("tsmongoose");
  await init();
  const mgr = new Manager((conn, ev, hm) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (hm.uri === "/big") conn.reply(200, body(), { "Content-Type": "application/octet-stream" });
    else conn.reply(200, "ok");
  });
  const listener = mgr.listen("http://127.0.0.1:0");
  void mgr.run({ signals: [] });
  serveWasm();
  serveIpc(listener.localAddr.port, async () => mgr.close(), wasmMemory ? "" : "(core memory not caught)");
} else {
  const { createServer } = await import("node:http"); // not loaded in the tsmongoose server
  const srv = createServer((req, res) => {
    req.resume();
    if (req.url === "/big") {
      const b = body();
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": b.length });
      res.end(b);
    } else res.end("ok");
  });
  srv.on("clientError", (_err, sock) => sock.destroy());
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  serveWasm();
  serveIpc(srv.address().port, async () => new Promise((r) => { srv.closeAllConnections(); srv.close(r); }));
}

function serveWasm() {
  process.on("message", (msg) => {
    if (msg?.type !== "sample" || !process.connected) return;
    const m = process.memoryUsage();
    process.send({ type: "sample", rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers,
      wasm: wasmMemory?.buffer.byteLength ?? 0 });
  });
}
