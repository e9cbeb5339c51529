// core-child.cjs: what the child servers that measure memory share (storm-,
// memory-, static-memory-child.cjs): the built package (dist/index.cjs, or
// TSMONGOOSE_DIST) and the core's raw exports. The core's own heap counter
// (mgx_heap_used) is not public API, so the WebAssembly instance is captured
// as the package creates it: the hook goes in before the package loads.
"use strict";
const path = require("node:path");

let core;
const originalInstantiate = WebAssembly.instantiate.bind(WebAssembly);
WebAssembly.instantiate = async (...args) => {
  const r = await originalInstantiate(...args);
  const inst = r instanceof WebAssembly.Instance ? r : r.instance;
  if (inst && typeof inst.exports.mgx_heap_used === "function") core = inst.exports;
  return r;
};

const dist = process.env.TSMONGOOSE_DIST || path.join(__dirname, "..", "..", "dist", "index.cjs");

module.exports = {
  pkg: require(dist),
  /** The core's exports (memory, mgx_heap_used), once init() has run. */
  core: () => core,
  /** Run the child's main; any failure is printed and exits 1. */
  run(main) {
    main().catch((err) => {
      console.error(err);
      process.exit(1);
    });
  },
};
