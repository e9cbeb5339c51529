/** Jest runs the suites in tests/ against the built package in dist/. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: { warnOnly: false } }] },
  moduleNameMapper: { "^tsmongoose$": "<rootDir>/dist/index.cjs" },
  testTimeout: 30000,
  maxWorkers: 2,
};
