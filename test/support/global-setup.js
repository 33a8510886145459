"use strict";
// Once per `npm test`: the compiled program and engine (the Pulumi program and
// the dynamic provider run from dist/), and the Pulumi CLI if it is absent.
const { execFileSync } = require("node:child_process");
const path = require("node:path");

module.exports = async function globalSetup() {
  const root = path.resolve(__dirname, "..", "..");
  // SDM_SKIP_BUILD=1 reuses a dist/ built by hand (when iterating on one test file).
  if (!process.env.SDM_SKIP_BUILD) execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (!process.env.PULUMI_BIN_DIR) {
    const out = execFileSync("bash", [path.join(root, "scripts/build-pulumi-cli.sh")], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    process.env.PULUMI_BIN_DIR = out.trim().split("\n").pop();
  }
};
