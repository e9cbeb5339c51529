// storm-child.cjs: the server of tests/storm-memory.test.ts in its own
// process (started with --expose-gc), so its memory is measured alone.
// Routes: /shared -> one 16 MiB Buffer allocated at start (the same array
// for every request); /fresh -> a new 1 MiB body per request, each watched
// by a WeakRef. IPC: sends { ready, port }; { cmd: "measure", id } ->
// { id, arrayBuffers, wasmMemory, coreHeap, conns, queued, liveBodies,
// freshBodies } after two GCs; { cmd: "stop" } exits.
"use strict";

const { pkg, core, run } = require("./core-child.cjs");
const { init, Manager, MG_EV_HTTP_MSG } = pkg;

const SHARED = Buffer.alloc(16 << 20, 0x73);
/** WeakRefs to every /fresh body handed to reply(). */
const fresh = [];

async function main() {
  await init();
  const mgr = new Manager((c, ev, hm) => {
    if (ev !== MG_EV_HTTP_MSG) return;
    if (hm.uri === "/shared") {
      c.reply(200, SHARED);
    } else if (hm.uri === "/fresh") {
      const body = Buffer.alloc(1 << 20, 0x66);
      fresh.push(new WeakRef(body));
      c.reply(200, body);
    } else {
      c.reply(200, "ok");
    }
  });
  const listener = mgr.listen("http://127.0.0.1:0");
  mgr.setAutoDrive(true, { tickMs: 100 });
  process.on("message", (m) => {
    if (m.cmd === "measure") {
      global.gc();
      global.gc();
      // WeakRefs are cleared by the GC above, but a target read in this job stays alive until it ends.
      setImmediate(() => {
        const accepted = mgr.connections.filter((c) => c.isAccepted);
        process.send({
          id: m.id,
          arrayBuffers: process.memoryUsage().arrayBuffers,
          wasmMemory: core().memory.buffer.byteLength,
          coreHeap: core().mgx_heap_used(),
          conns: accepted.length,
          queued: accepted.reduce((n, c) => n + (mgr._network.queuedBytes?.(c.id) ?? 0), 0),
          liveBodies: fresh.filter((w) => w.deref() !== undefined).length,
          freshBodies: fresh.length,
        });
      });
    } else if (m.cmd === "stop") {
      mgr.close();
      process.exit(0);
    }
  });
  process.send({ ready: true, port: listener.localAddr.port });
}

run(main);
