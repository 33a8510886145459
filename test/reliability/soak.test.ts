/**
 * Soak: ten migrations in a row on one Pulumi stack, through the real
 * Pulumi CLI (Automation API): new exports replace the version, reverting to
 * an older export adopts its retained version (the instant rollback), going
 * forward again adopts too, and retainVersions moves between 1 and 2. After
 * each up: the outputs, the stable schema's rows, and the exact set of
 * versions (read with `servicedesk-migrate versions`). At the end nothing
 * leaks: only the retained versions, the stable and the control schema;
 * no migration connection left in pg_stat_activity; no scratch folder
 * beside the backups (the runs made one each) and no sdm-* temporary file
 * in the runs' TMPDIR.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { queryRows, useTestDatabase, withDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";
import { activeVersionOf, countRows, runCli, schemasOf } from "./support";

const PREFIX = "sdsoak";

/** The exports: a few hundred tickets each, a different count each so counts tell them apart. */
const EXPORTS = { e1: 300, e2: 320, e3: 340, e4: 360, e5: 380 } as const;
type ExportName = keyof typeof EXPORTS;

interface Step {
  readonly source: ExportName;
  readonly retainVersions?: number;
  readonly origin: "loaded" | "adopted";
  /** Which step's version is active afterwards (its own when loaded). */
  readonly version: number;
  /** The versions left afterwards, by the step that loaded each. */
  readonly versions: readonly number[];
}

/** Versions are named after the step that loaded them (1-based). */
const STEPS: readonly Step[] = [
  { source: "e1", retainVersions: 1, origin: "loaded", version: 1, versions: [1] },
  { source: "e2", origin: "loaded", version: 2, versions: [1, 2] },
  { source: "e3", origin: "loaded", version: 3, versions: [2, 3] },
  // git revert: back to e2, whose version is retained.
  { source: "e2", origin: "adopted", version: 2, versions: [2, 3] },
  // and forward again.
  { source: "e3", origin: "adopted", version: 3, versions: [2, 3] },
  { source: "e4", retainVersions: 2, origin: "loaded", version: 6, versions: [2, 3, 6] },
  { source: "e5", origin: "loaded", version: 7, versions: [3, 6, 7] },
  { source: "e3", origin: "adopted", version: 3, versions: [3, 6, 7] },
  // e1's version was dropped long ago: it loads again, and retention goes back to one previous version.
  { source: "e1", retainVersions: 1, origin: "loaded", version: 9, versions: [7, 9] },
  { source: "e5", origin: "adopted", version: 7, versions: [7, 9] },
];

describe("soak: ten migrations in a row on one stack", () => {
  const database = useTestDatabase("soak");
  let sandbox: PulumiSandbox;
  let project: ScratchProject;
  let sources: SourceFolder;
  let backups: string;
  let runTmp: string;
  let stack: Stack;

  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
  const exportOf = (name: ExportName) => sources.make(`${name}.sqlite`, { tickets: EXPORTS[name], seed: EXPORTS[name] });
  const sdmEntries = () =>
    readdirSync(runTmp)
      .filter((name) => name.startsWith("sdm-"))
      .sort();

  beforeAll(async () => {
    sandbox = await createPulumiSandbox();
    project = scratchProject();
    sources = sourceFolder();
    backups = mkdtempSync(path.join(tmpdir(), "sdm-backups-"));
    // The runs' own TMPDIR: what they leave there is theirs alone, whatever other test files do meanwhile.
    runTmp = mkdtempSync(path.join(tmpdir(), "sdm-soak-tmp-"));
    for (const name of Object.keys(EXPORTS) as ExportName[]) exportOf(name);
    stack = await stackOf(sandbox, project.dir, "soak", { TMPDIR: runTmp });
    await stack.setAllConfig({
      connection: { value: withDatabase(database.url, database.db.name), secret: true },
      schemaPrefix: { value: PREFIX },
      backupDirectory: { value: backups },
    });
  });

  afterAll(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.workspace.removeStack("soak", { force: true }).catch(() => undefined);
    sandbox?.cleanup();
    project?.cleanup();
    sources?.cleanup();
    rmSync(backups, { recursive: true, force: true });
    rmSync(runTmp, { recursive: true, force: true });
  });

  test("replace, revert (adoption), adopt, retain 1 and 2: exact counts and versions after each up; nothing leaks", async () => {
    expect(sdmEntries()).toEqual([]);
    // The runs' scratch folders (the canary's sample, the reject spools) go beside the backups:
    // seeing them made is the proof that their absence at the end means removed, not never made.
    const prefixFolder = path.join(backups, PREFIX);
    mkdirSync(prefixFolder, { recursive: true });
    const created = new Set<string>();
    const watcher = watch(prefixFolder, { recursive: true }, (_event, file) => file && created.add(String(file)));
    // Node's recursive watch scans each new folder; one a run removed before the scan (a run's scratch folder
    // and the folders in it come and go within a second) is an ENOENT to pass over, not a failure of the run.
    const watchErrors: string[] = [];
    watcher.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") watchErrors.push(String(error));
    });
    const loaded = new Map<number, string>();
    for (const [index, step] of STEPS.entries()) {
      const number = index + 1;
      const name = `up ${number} (${step.source}, ${step.origin})`;
      await stack.setConfig("source", { value: exportOf(step.source).path });
      if (step.retainVersions !== undefined) await stack.setConfig("retainVersions", { value: String(step.retainVersions) });
      const up = await stack.up();
      expect({ name, result: up.summary.result }).toEqual({ name, result: "succeeded" });
      const out = await outputs();
      if (step.origin === "loaded") loaded.set(number, out.schemaName as string);
      const rows = exportOf(step.source).rows;
      expect({ name, origin: out.origin, schema: out.schemaName, rows: out.rowCounts, rejects: out.rejectCounts }).toEqual({
        name,
        origin: step.origin,
        schema: loaded.get(step.version),
        rows,
        rejects: { tickets: 0, comments: 0, timesheets: 0 },
      });
      expect({ name, active: await activeVersionOf(database.url, PREFIX) }).toEqual({ name, active: loaded.get(step.version) });
      const stableRows: Record<string, number> = {};
      for (const table of Object.keys(rows)) stableRows[table] = await countRows(database.url, PREFIX, table);
      expect({ name, stableRows }).toEqual({ name, stableRows: rows });
      expect({ name, versions: await versionsListed() }).toEqual({ name, versions: step.versions.map((v) => loaded.get(v)).sort() });
    }

    const kept = STEPS[STEPS.length - 1].versions.map((v) => loaded.get(v)!);
    expect(await schemasOf(database.url, PREFIX)).toEqual([PREFIX, `${PREFIX}_control`, ...kept].sort());
    expect(await migrationConnections()).toBe(0);
    watcher.close();
    expect(watchErrors).toEqual([]);
    expect([...created].filter((f) => /^scratch\/run-[^/]+$/.test(f)).length).toBeGreaterThanOrEqual(
      STEPS.filter((s) => s.origin === "loaded").length,
    );
    expect(existsSync(path.join(prefixFolder, "scratch"))).toBe(false);
    // Nothing of the export's in the system temp folder either.
    expect(sdmEntries()).toEqual([]);
    console.log(
      `soak: ${STEPS.length} ups (${STEPS.filter((s) => s.origin === "loaded").length} loads, ${STEPS.filter((s) => s.origin === "adopted").length} adoptions); kept ${kept.join(", ")}`,
    );
  });

  /** Versions of the prefix as `servicedesk-migrate versions --json` lists them, each ready with its rows intact. */
  async function versionsListed(): Promise<string[]> {
    const run = await runCli(["versions", "--schema-prefix", PREFIX, "--database-url", database.url, "--json"]);
    expect(run.status).toBe(0);
    const listed = JSON.parse(run.stdout) as { versions: { schema: string; status: string; tables: Record<string, { rows: number }> }[] };
    for (const version of listed.versions) {
      expect({ schema: version.schema, status: version.status }).toEqual({ schema: version.schema, status: "ready" });
      for (const [table, { rows }] of Object.entries(version.tables))
        expect(await countRows(database.url, version.schema, table)).toBe(rows);
    }
    return listed.versions.map((v) => v.schema).sort();
  }

  /** Sessions of the tool still open on the test database, after giving closing ones a moment. */
  async function migrationConnections(): Promise<number> {
    let open = 0;
    for (let attempt = 0; attempt < 25; attempt++) {
      const [{ n }] = await queryRows<{ n: string }>(
        database.url,
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'servicedesk-migration'",
      );
      open = Number(n);
      if (open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return open;
  }
});
