/**
 * Changes that must never drop what the resource serves, through the real
 * Pulumi CLI: a forced replacement (pulumi up --replace) whose new resource
 * adopts the very version the old one held; a change of mode, applied in
 * place; and blue-green, which loads but waits for the cutover command,
 * and refuses an automatic cutover as a contradiction.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { queryRows, useTestDatabase, withDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";

const database = useTestDatabase("lifecycle_safety");
let sandbox: PulumiSandbox;
let project: ScratchProject;
let sources: SourceFolder;
let backups: string;

beforeAll(async () => {
  sandbox = await createPulumiSandbox();
  project = scratchProject();
  sources = sourceFolder();
  backups = mkdtempSync(path.join(tmpdir(), "sdm-safety-backups-"));
});

afterAll(() => {
  sandbox?.cleanup();
  project?.cleanup();
  sources?.cleanup();
  rmSync(backups, { recursive: true, force: true });
});

async function newStack(name: string, prefix: string, config: Record<string, string> = {}): Promise<Stack> {
  const stack = await stackOf(sandbox, project.dir, name);
  await stack.setAllConfig({
    source: { value: sources.make("a.sqlite", { tickets: 600, seed: 1 }).path },
    connection: { value: database.url, secret: true },
    schemaPrefix: { value: prefix },
    backupDirectory: { value: backups },
    ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v }])),
  });
  return stack;
}

const outputs = async (stack: Stack) => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
const schemas = async (prefix: string) =>
  (
    await queryRows<{ nspname: string }>(
      database.url,
      "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2 ORDER BY 1",
      [prefix, `${prefix}\\_%`],
    )
  ).map((r) => r.nspname);
const stableMeta = async (prefix: string) =>
  JSON.parse(
    (await queryRows<{ c: string }>(database.url, "SELECT obj_description($1::regnamespace, 'pg_namespace') AS c", [prefix]))[0].c,
  ) as { active: string | null };
const tickets = async (prefix: string) =>
  Number((await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM "${prefix}".tickets`))[0].n);

test("a forced replacement adopts the version the old resource held, and its delete leaves everything served", async () => {
  const stack = await newStack("replaced", "sfrep");
  expect((await stack.up()).summary.result).toBe("succeeded");
  const served = (await outputs(stack)).schemaName as string;
  const before = await schemas("sfrep");
  expect(before).toEqual(["sfrep", "sfrep_control", served].sort());

  const resources = (await stack.exportStack()).deployment.resources as { urn: string; type: string }[];
  const migration = resources.find((r) => r.type.endsWith(":ServicedeskMigration"))!.urn;
  const up = await stack.up({ replace: [migration] });
  expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
  const after = await outputs(stack);
  expect({ schema: after.schemaName, origin: after.origin }).toEqual({ schema: served, origin: "adopted" });
  expect(await schemas("sfrep")).toEqual(before);
  expect((await stableMeta("sfrep")).active).toBe(served);
  expect(await tickets("sfrep")).toBe(600);
});

test("a change of mode is applied in place: nothing is reloaded, replaced or dropped", async () => {
  const stack = await newStack("modes", "sfmode");
  expect((await stack.up()).summary.result).toBe("succeeded");
  const served = (await outputs(stack)).schemaName as string;
  const before = await schemas("sfmode");
  for (const mode of ["simple", "blue-green", "complete"]) {
    await stack.setConfig("mode", { value: mode });
    const up = await stack.up();
    expect({ mode, changes: up.summary.resourceChanges }).toEqual({ mode, changes: { update: 1, same: 2 } });
    expect({ mode, schemas: await schemas("sfmode"), active: (await stableMeta("sfmode")).active }).toEqual({
      mode,
      schemas: before,
      active: served,
    });
  }
});

test("blue-green loads a new version and waits for the cutover command", async () => {
  const stack = await newStack("bluegreen", "sfbg", { mode: "blue-green" });
  expect((await stack.up()).summary.result).toBe("succeeded");
  const first = await outputs(stack);
  expect((await stableMeta("sfbg")).active).toBeNull();
  const env = { ...process.env, DATABASE_URL: withDatabase(database.url, database.db.name) };
  execFileSync("bash", ["-c", first.cutoverCommand], { env, stdio: "pipe" });
  expect((await stableMeta("sfbg")).active).toBe(first.schemaName);

  await stack.setConfig("source", { value: sources.make("b.sqlite", { tickets: 700, seed: 2 }).path });
  expect((await stack.up()).summary.resourceChanges).toMatchObject({ replace: 1 });
  const second = await outputs(stack);
  expect(second.schemaName).not.toBe(first.schemaName);
  // Loaded and kept, not served: dashboards still read the first version until the command runs.
  expect((await stableMeta("sfbg")).active).toBe(first.schemaName);
  expect(await tickets("sfbg")).toBe(600);
  expect(await schemas("sfbg")).toEqual(["sfbg", "sfbg_control", first.schemaName, second.schemaName].sort());
  execFileSync("bash", ["-c", second.cutoverCommand], { env, stdio: "pipe" });
  expect(await tickets("sfbg")).toBe(700);
});

test("blue-green with cutover auto is refused at preview, naming cutover", async () => {
  const stack = await newStack("contradiction", "sfcontra", { mode: "blue-green", cutover: "auto" });
  const error = await stack.preview().then(
    () => null,
    (e: Error) => e,
  );
  expect(error?.message).toContain("blue-green switches the stable schema only on the cutover command");
  expect(error?.message).toMatch(/cutover/);
  expect(await schemas("sfcontra")).toEqual([]);
});
