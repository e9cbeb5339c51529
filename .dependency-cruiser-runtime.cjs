// The run-time half of the layout's rules (docs/layout.md): the graph of what
// loads, type-only imports erased (tsPreCompilationDeps off), so that
// reachability rules follow only real imports. Checked by tests/layout.test.ts.
const { builtinModules } = require("node:module");
const NODE = `^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, "\\/")).join("|")})$`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "browser-entry-reaches-no-node",
      comment: "Nothing the browser entry loads imports a node: module.",
      severity: "error",
      from: { path: "^ts/browser\\.ts$" },
      to: { path: NODE, reachable: true },
    },
  ],
  options: {
    tsPreCompilationDeps: false,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist|build|tests|examples)/" },
  },
};
