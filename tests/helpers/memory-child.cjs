// memory-child.cjs: the server side of tests/memory.test.ts, run in its own
// process (`node --expose-gc`) so its memory is not mixed with jest's or the
// load generator's. Uses the built package (dist/index.cjs).
//
// Protocol (IPC, child_process.fork): the child sends { ready, port } once
// listening. The parent sends { cmd: "measure", id, settle } and gets back
// { id, coreHeap, rss, jsHeap, arrayBuffers, wasmMemory, conns, requests }
// (with settle: after every accepted connection is gone and a few full GCs);
// { cmd: "stop" } closes the manager and exits.
"use strict";

const { pkg, core, run } = require("./core-child.cjs");
const { init, Manager, MG_EV_HTTP_MSG } = pkg;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  if (typeof global.gc !== "function") throw new Error("memory-child: run with --expose-gc");
  await init();
  if (!core()) throw new Error("memory-child: could not capture the core's exports");
  let requests = 0;
  const mgr = new Manager((c, ev) => {
    if (ev === MG_EV_HTTP_MSG) {
      requests++;
      c.reply(200, "ok");
    }
  });
  const listener = mgr.listen("http://127.0.0.1:0");
  mgr.setAutoDrive(true, { tickMs: 100 });

  const accepted = () => mgr.connections.filter((c) => c.isAccepted).length;

  process.on("message", async (m) => {
    if (m.cmd === "measure") {
      if (m.settle) {
        const end = Date.now() + 10_000;
        while (accepted() > 0 && Date.now() < end) await sleep(10);
        for (let i = 0; i < 4; i++) {
          global.gc();
          await sleep(20);
        }
      }
      const mu = process.memoryUsage();
      process.send({
        id: m.id, coreHeap: core().mgx_heap_used(), rss: mu.rss, jsHeap: mu.heapUsed, arrayBuffers: mu.arrayBuffers,
        wasmMemory: core().memory.buffer.byteLength, conns: accepted(), requests,
      });
    } else if (m.cmd === "stop") {
      mgr.close();
      process.exit(0);
    }
  });
  process.send({ ready: true, port: listener.localAddr.port });
}

run(main);
