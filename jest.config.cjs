/**
 * Jest runs the suites in tests/ against the built package in dist/, twice
 * over Node's sockets: the "handle" project uses the default transport
 * (libuv TCP handles), the "socket" project the node:net fallback
 * (TSMONGOOSE_TRANSPORT=socket, inherited by the child processes tests
 * start). Suites that never touch a Node socket run once.
 */
const base = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] },
  moduleNameMapper: { "^tsmongoose$": "<rootDir>/dist/index.cjs" },
  testTimeout: 30000,
};

module.exports = {
  maxWorkers: 2,
  testTimeout: 30000,
  projects: [
    { ...base, displayName: "handle", setupFiles: ["<rootDir>/tests/helpers/transport-handle.cjs"] },
    {
      ...base,
      displayName: "socket",
      setupFiles: ["<rootDir>/tests/helpers/transport-socket.cjs"],
      testPathIgnorePatterns: ["/node_modules/", "/tests/browser", "bundlers\\.test", "package\\.test",
        "memory-network", "api-surface\\.test", "util\\.test", "rpc\\.test", "timers\\.test", "node-network\\.test", "npm-start\\.test", "doc-blocks\\.test", "api-docs\\.test", "undriven-warning\\.test",
        "static-site\\.test", "layout\\.test"],
    },
  ],
};
