/**
 * The toolchain end to end: Automation API -> the Pulumi CLI built here ->
 * this project's language host -> @pulumi/pulumi's cmd/run -> the dynamic
 * provider launcher, on a file backend, with no network.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { createPulumiSandbox, PROJECT_ROOT, PulumiSandbox, pulumiBinDir, stackOf } from "../support/pulumi";

const SMOKE_PROJECT = path.join(PROJECT_ROOT, "test/fixtures/smoke-project");

function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

describe("Pulumi toolchain smoke test", () => {
  let sandbox: PulumiSandbox;
  let stack: Stack;

  beforeAll(async () => {
    sandbox = await createPulumiSandbox();
    stack = await stackOf(sandbox, SMOKE_PROJECT, "smoke");
    await stack.setConfig("name", { value: "servicedesk" });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("smoke", { force: true }).catch(() => undefined);
    sandbox?.cleanup();
  });

  test("the CLI reports the release it was built at, not older than the SDK in package-lock.json", () => {
    const version = execFileSync(path.join(pulumiBinDir(), "pulumi"), ["version"], { encoding: "utf8" }).trim();
    expect(version).toMatch(/^v3\.\d+\.\d+$/);
    const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package-lock.json"), "utf8"));
    const sdk: string = lock.packages["node_modules/@pulumi/pulumi"].version;
    expect(compareVersions(version.slice(1), sdk)).toBeGreaterThanOrEqual(0);
    const goMod = readFileSync(path.join(PROJECT_ROOT, "toolchain/go.mod"), "utf8");
    expect(goMod).toContain(`github.com/pulumi/pulumi/pkg/v3 ${version}`);
  });

  test("preview plans the stack and the dynamic resource without creating them", async () => {
    const preview = await stack.preview();
    expect(preview.changeSummary).toEqual({ create: 2 });
    const outputs = await stack.outputs();
    expect(outputs).toEqual({});
  });

  test("up creates the resource through the dynamic-provider plugin and exports its outputs", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges).toEqual({ create: 2 });
    expect(up.outputs.message.value).toBe("hello, servicedesk");
    expect(up.outputs.greetingId.value).toBe("greeting-servicedesk");

    const again = await stack.up();
    expect(again.summary.resourceChanges).toEqual({ same: 2 });
  });

  test("destroy deletes everything the stack holds", async () => {
    const destroy = await stack.destroy();
    expect(destroy.summary.result).toBe("succeeded");
    expect(destroy.summary.resourceChanges).toEqual({ delete: 2 });
    const exported = await stack.exportStack();
    expect(exported.deployment.resources ?? []).toHaveLength(0);
  });
});
