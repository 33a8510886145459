/**
 * Test harness for the real Pulumi CLI: the CLI built by
 * scripts/build-pulumi-cli.sh, driven through the Automation API on a local
 * file backend that each test file gets to itself.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LocalWorkspace, LocalWorkspaceOptions, PulumiCommand, Stack } from "@pulumi/pulumi/automation";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

let binDir: string | undefined;

/** The folder holding pulumi, pulumi-language-nodejs and the dynamic-provider launcher. */
export function pulumiBinDir(): string {
  if (process.env.PULUMI_BIN_DIR) return process.env.PULUMI_BIN_DIR;
  binDir ??= execFileSync("bash", [path.join(PROJECT_ROOT, "scripts/build-pulumi-cli.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .pop()!;
  return binDir;
}

export interface PulumiSandbox {
  /** Backend folder (file://), removed by cleanup(). */
  readonly stateDir: string;
  /** Environment for the CLI: offline, file backend, passphrase. */
  readonly env: Record<string, string>;
  readonly command: PulumiCommand;
  /** Options for LocalWorkspace.createOrSelectStack on a project folder. */
  workspace(workDir: string, extra?: Record<string, string>): LocalWorkspaceOptions;
  cleanup(): void;
}

/** A private file backend and PULUMI_HOME for one test file. */
export async function createPulumiSandbox(passphrase = "test-passphrase"): Promise<PulumiSandbox> {
  const root = mkdtempSync(path.join(tmpdir(), "sdm-pulumi-"));
  const bin = pulumiBinDir();
  mkdirSync(path.join(root, "state"));
  mkdirSync(path.join(root, "home"));
  const env: Record<string, string> = {
    PATH: `${bin}:${process.env.PATH ?? ""}`,
    PULUMI_HOME: path.join(root, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(root, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: passphrase,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    // The gate's measures are cached per export: each test file starts cold.
    SERVICEDESK_MIGRATION_CACHE: path.join(root, "measures"),
  };
  const command = await PulumiCommand.get({ root: path.dirname(bin) });
  return {
    stateDir: path.join(root, "state"),
    env,
    command,
    workspace(workDir, extra = {}) {
      return { workDir, pulumiCommand: command, envVars: { ...env, ...extra } };
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Creates (or selects) a stack of the project in workDir. */
export async function stackOf(
  sandbox: PulumiSandbox,
  workDir: string,
  stackName: string,
  extraEnv: Record<string, string> = {},
): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack({ stackName, workDir }, sandbox.workspace(workDir, extraEnv));
}

export { LocalWorkspace };
