// The layout's rules (docs/layout.md), checked by tests/layout.test.ts in
// `npm test`. dependency-cruiser reads the TypeScript imports, type-only ones
// included (tsPreCompilationDeps): a rule that concerns what loads at run
// time excepts them with `dependencyTypesNot: ["type-only"]`.
const PROTOCOLS = "^ts/(http|ws|mqtt|tls|dgram|fetch)/";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-runtime-circle",
      comment: "No circle of run-time imports in ts/ or shim/ (a circle of type-only imports is harmless).",
      severity: "error",
      from: { path: "^(ts|shim)/" },
      to: { circular: true, dependencyTypesNot: ["type-only"], viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "shim-knows-no-facade",
      comment: "The hosts (shim/) implement the core's contract; they never import the facade (ts/), not even its types.",
      severity: "error",
      from: { path: "^shim/" },
      to: { path: "^ts/" },
    },
    {
      name: "core-loads-without-protocols",
      comment: "ts/core, and what it loads (lifecycle, cluster, util), reach a protocol only through core/protocols.ts: types only.",
      severity: "error",
      from: { path: "^ts/(core|lifecycle|cluster|util)/" },
      to: { path: PROTOCOLS, dependencyTypesNot: ["type-only"] },
    },
    {
      name: "core-imports-only-core",
      comment: "At run time ts/core imports only itself, lifecycle/ (run, shutdown, abort, undriven) and shim/.",
      severity: "error",
      from: { path: "^ts/core/" },
      to: { path: "^ts/", pathNot: ["^ts/core/", "^ts/lifecycle/", PROTOCOLS], dependencyTypesNot: ["type-only"] },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(node_modules|dist|build|tests|examples)/" },
  },
};
