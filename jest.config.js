/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/", "/.pulumi/", "/.data/"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.json", diagnostics: { warnOnly: false } }],
  },
  globalSetup: "<rootDir>/test/support/global-setup.js",
  // Database and Pulumi CLI tests are I/O bound and long; two workers match the two cores.
  maxWorkers: 2,
  testTimeout: 180000,
  modulePathIgnorePatterns: ["<rootDir>/dist/"],
};
