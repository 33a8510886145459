#!/usr/bin/env node
// `npm test`: runs jest (arguments pass through) and ends with the line
// `N passed, N failed` that CI reads. Exit status is jest's.
"use strict";
const { spawnSync } = require("node:child_process");
const { mkdtempSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const path = require("node:path");

const dir = mkdtempSync(path.join(tmpdir(), "sdm-jest-"));
const results = path.join(dir, "results.json");
const jest = require.resolve("jest/bin/jest");
const run = spawnSync(process.execPath, [jest, "--json", `--outputFile=${results}`, ...process.argv.slice(2)], {
  cwd: path.resolve(__dirname, ".."),
  stdio: "inherit",
});

let passed = 0;
let failed = 0;
try {
  const summary = JSON.parse(readFileSync(results, "utf8"));
  passed = summary.numPassedTests;
  failed = summary.numFailedTests + summary.numRuntimeErrorTestSuites;
} catch {
  failed = 1; // jest died before writing results: count the run as a failure
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status ?? 1);
