/**
 * The review through the real Pulumi CLI (Automation API, file backend),
 * in complete mode (the default), against the real PostgreSQL:
 *   - the preview of a changed export prints the review as a short block,
 *     carries its essentials in the resource's diff and writes the review
 *     files it names;
 *   - a blocked export's preview fails naming its review, which leads with
 *     the block;
 *   - after the rollback command and a refresh, servedSchemaName names the
 *     version readers are on and the preview says why it differs; an update
 *     in place leaves the rollback alone, and the next replacing change
 *     cuts over as configured.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { queryRows, useTestDatabase, withDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";

const PREFIX = "sdrev";
const database = useTestDatabase("review_pulumi");
let sandbox: PulumiSandbox;
let project: ScratchProject;
let sources: SourceFolder;
let backups: string;
let stack: Stack;

const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
const diagnostics = (events: EngineEvent[]) => events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent.message.trim()] : []));
const reviewLines = (events: EngineEvent[]) =>
  Object.fromEntries(
    diagnostics(events).flatMap((m) => {
      const match = /^servicedesk-migration \[review\] (\w+): (.*)$/.exec(m);
      return match ? [[match[1], match[2]]] : [];
    }),
  );
const active = async () =>
  JSON.parse((await queryRows<{ c: string }>(database.url, "SELECT obj_description($1::regnamespace, 'pg_namespace') AS c", [PREFIX]))[0].c)
    .active as string;
const reviewFile = () => path.join(backups, "reports", `${PREFIX}-review.md`);

beforeAll(async () => {
  sandbox = await createPulumiSandbox();
  project = scratchProject();
  sources = sourceFolder();
  backups = mkdtempSync(path.join(tmpdir(), "sdm-review-backups-"));
  stack = await stackOf(sandbox, project.dir, "review");
  await stack.setAllConfig({
    source: { value: sources.make("a.sqlite", { tickets: 1500, seed: 1 }).path },
    connection: { value: database.url, secret: true },
    schemaPrefix: { value: PREFIX },
    backupDirectory: { value: backups },
  });
  const up = await stack.up();
  expect(up.summary.result).toBe("succeeded");
}, 300_000);

afterAll(async () => {
  await stack?.destroy().catch(() => undefined);
  await stack?.workspace.removeStack("review", { force: true }).catch(() => undefined);
  sandbox?.cleanup();
  project?.cleanup();
  sources?.cleanup();
  rmSync(backups, { recursive: true, force: true });
});

test("the first up names the version readers are on", async () => {
  const out = await outputs();
  expect(out.servedSchemaName).toBe(out.schemaName);
  expect(await active()).toBe(out.schemaName);
});

test("preview of a changed export: the review block, the review in the diff, and the review files", async () => {
  const first = (await outputs()).schemaName as string;
  await stack.setConfig("source", { value: sources.make("b.sqlite", { tickets: 1800, seed: 2 }).path });
  const events: EngineEvent[] = [];
  const preview = await stack.preview({ diff: true, onEvent: (e) => events.push(e) });
  expect(preview.changeSummary.replace).toBe(1);
  const block = reviewLines(events);
  expect(block.against).toBe(first);
  expect(block.verdict).toBe("passes: score 100 (was 100), minQuality 80");
  expect(block.rows).toContain("tickets 1,500 -> 1,800 (+300)");
  expect(block.findings).toBe("0 new, 0 still there, 0 gone, 0 accepted");
  expect(block.schema).toBe("no changes");
  expect(block.upWill).toBe(
    `load a new version; the stable schema ${PREFIX} switches from ${first} to the new version once it is loaded and validated`,
  );
  expect(block.files).toBe(`${reviewFile()} ${path.join(backups, "reports", `${PREFIX}-review.json`)}`);
  // The diff itself says what comes: the review's essentials are a property of the resource.
  expect(preview.stdout).toMatch(/review\s*:/);
  expect(preview.stdout).toContain("tickets 1,500 -> 1,800 (+300)");
  const markdown = readFileSync(reviewFile(), "utf8");
  expect(markdown).toContain(`Against \`${first}\`, the version readers are on.`);
  expect(markdown).toContain("| tickets | 1,500 | 1,800 | +300 | 0 |");
  // Nothing was written to the database.
  expect(await active()).toBe(first);
}, 300_000);

test("preview of a blocked export fails naming its review, which leads with the block", async () => {
  const b = sources.make("b.sqlite", { tickets: 1800, seed: 2 }).path;
  await stack.setConfig("source", { value: sources.make("bad.sqlite", { tickets: 1500, seed: 3, defectRate: 0.2 }).path });
  const message = await stack.preview().then(
    () => "",
    (error: Error) => error.message,
  );
  expect(message).toMatch(/quality gate blocks .*bad\.sqlite: quality score \d+ is below minQuality 80/);
  expect(message).toContain(`Review: ${reviewFile()}`);
  const lines = readFileSync(reviewFile(), "utf8").split("\n");
  expect(lines[1]).toMatch(/bad\.sqlite` is blocked$/);
  expect(lines[3]).toBe("**The quality gate blocks this export.** `pulumi up` would refuse it and change nothing.");
  expect(lines).toContain("**Ways forward**");
  await stack.setConfig("source", { value: b });
}, 300_000);

test("after the rollback command and a refresh, servedSchemaName and the preview say where readers are, and why", async () => {
  const up = await stack.up();
  expect(up.summary.resourceChanges).toMatchObject({ replace: 1 });
  const loaded = await outputs();
  expect(loaded.servedSchemaName).toBe(loaded.schemaName);
  const previous = loaded.previousSchemaName as string;

  const env = { ...process.env, DATABASE_URL: withDatabase(database.url, database.db.name) };
  execFileSync("bash", ["-c", loaded.rollbackCommand as string], { env, stdio: "pipe" });
  expect(await active()).toBe(previous);
  // --run-program: the program runs on the refreshed state, so the stack's outputs are the refreshed ones.
  await stack.refresh({ runProgram: true });
  const refreshed = await outputs();
  expect({ schemaName: refreshed.schemaName, servedSchemaName: refreshed.servedSchemaName }).toEqual({
    schemaName: loaded.schemaName,
    servedSchemaName: previous,
  });

  const events: EngineEvent[] = [];
  const preview = await stack.preview({ onEvent: (e) => events.push(e) });
  expect(preview.changeSummary).toEqual({ same: 3 });
  const block = reviewLines(events);
  expect(block.against).toBe(previous);
  expect(block.drift).toMatch(
    new RegExp(`^readers are on ${previous}: the stable schema was rolled back from ${loaded.schemaName} at \\S+$`),
  );

  // An update in place (retention) leaves the rollback alone.
  await stack.setConfig("retainVersions", { value: "2" });
  const update = await stack.up();
  expect(update.summary.resourceChanges).toMatchObject({ update: 1 });
  expect(await active()).toBe(previous);
  expect((await outputs()).servedSchemaName).toBe(previous);

  // The next replacing change cuts over as configured (auto): readers move to the new version.
  await stack.setConfig("source", { value: sources.make("c.sqlite", { tickets: 1200, seed: 4 }).path });
  const replaced = await stack.up();
  expect(replaced.summary.resourceChanges).toMatchObject({ replace: 1 });
  const out = await outputs();
  expect(out.servedSchemaName).toBe(out.schemaName);
  expect(await active()).toBe(out.schemaName);
  expect(out.previousSchemaName).toBe(previous);
}, 600_000);
