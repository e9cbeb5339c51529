// static-memory-child.cjs: the server of tests/http-static-memory.test.ts in
// its own process, so its memory is measured alone. Serves the directory in
// argv[2] with serveDir, and "/reply1m" with a fresh 1 MiB reply() body.
// IPC: sends { ready, port }; answers { cmd: "measure", id } with
// { id, rss, wasmMemory, coreHeap, conns, fds, requests }; { cmd: "stop" } exits.
"use strict";
const fs = require("node:fs");

const { pkg, core, run } = require("./core-child.cjs");
const { init, Manager, MG_EV_HTTP_MSG } = pkg;

async function main() {
  await init();
  const root = process.argv[2];
  let requests = 0;
  const mgr = new Manager((c, ev, hm) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    requests++;
    if (hm.uri === "/reply1m") c.reply(200, Buffer.alloc(1 << 20, 0x61));
    else c.serveDir(hm, root);
  });
  const listener = mgr.listen("http://127.0.0.1:0");
  mgr.setAutoDrive(true, { tickMs: 100 });
  process.on("message", (m) => {
    if (m.cmd === "measure") {
      process.send({
        id: m.id,
        rss: process.memoryUsage.rss(),
        wasmMemory: core().memory.buffer.byteLength,
        coreHeap: core().mgx_heap_used(),
        conns: mgr.connections.filter((c) => c.isAccepted).length,
        fds: fs.readdirSync("/proc/self/fd").length,
        requests,
      });
    } else if (m.cmd === "stop") {
      mgr.close();
      process.exit(0);
    }
  });
  process.send({ ready: true, port: listener.localAddr.port });
}

run(main);
