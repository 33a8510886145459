/**
 * The review of a new export against the version readers are on, through
 * the CLI's `review` command against the real PostgreSQL: its Markdown is
 * read back with markdown-it and every table and figure in it is checked
 * against the database (row counts, column types from the catalog, the
 * score and findings each version records); adoption, a rollback and a
 * restore are named; a blocked export's review leads with the block.
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { migrate, MigrationReport } from "../../engine";
import { columnTypes, pgCount, sqliteCount, useTempDir } from "../engine/engine-fixtures";
import { queryRows, useTestDatabase } from "../support/database";
import { figure, markdownTables, tableUnder } from "../support/markdown";
import { sourceFolder, SourceFolder } from "../support/sources";
import { cli } from "./support";

const PREFIX = "rev";
const OWNER = "pulumi:review/test";
const database = useTestDatabase("review");
const tmp = useTempDir("review");
let sources: SourceFolder;
let exportA: string;
let exportB: string;
let versionA: string;
let versionB: string;

interface RecordedQuality {
  score: number;
  findings: { check: string; table?: string; column?: string; count: number }[];
}

/** What a version records of its gate, read from its schema comment in PostgreSQL. */
async function recordedQuality(schema: string): Promise<RecordedQuality> {
  const rows = await queryRows<{ c: string }>(database.url, "SELECT obj_description($1::regnamespace, 'pg_namespace') AS c", [schema]);
  return JSON.parse(rows[0].c).quality;
}

const load = (source: string, retainVersions = 2): Promise<MigrationReport> =>
  migrate({
    sourcePath: source,
    databaseUrl: database.url,
    schemaPrefix: PREFIX,
    retainVersions,
    backupDirectory: path.join(tmp.dir, "backups"),
    holder: { owner: OWNER, instance: `i-${Math.random()}` },
  });

const review = (source: string, extra: string[] = []) =>
  cli([
    "review",
    "--source",
    source,
    "--database-url",
    database.url,
    "--schema-prefix",
    PREFIX,
    "--report-dir",
    path.join(tmp.dir, "reviews"),
    "--owner",
    OWNER,
    "--quiet",
    ...extra,
  ]);

const reviewFiles = () => ({
  markdown: readFileSync(path.join(tmp.dir, "reviews", `${PREFIX}-review.md`), "utf8"),
  json: JSON.parse(readFileSync(path.join(tmp.dir, "reviews", `${PREFIX}-review.json`), "utf8")),
});

/**
 * The second export: more tickets, a column added (tickets.sla_hours), one
 * removed (comments.is_internal), a table removed (timesheets) and one added
 * (sla_policies), and five tickets whose reopen_count is not a number
 * (0.28% of the values: above type_conformity's warn level).
 */
function changedExport(): string {
  const file = path.join(tmp.dir, "b.sqlite");
  copyFileSync(sources.make("b-base.sqlite", { tickets: 1800, seed: 2 }).path, file);
  const db = new Database(file);
  db.exec(`
    ALTER TABLE tickets ADD COLUMN sla_hours INTEGER;
    UPDATE tickets SET sla_hours = id % 48;
    ALTER TABLE comments DROP COLUMN is_internal;
    DROP TABLE timesheets;
    CREATE TABLE sla_policies (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    INSERT INTO sla_policies (name) VALUES ('gold'), ('silver'), ('bronze');
    UPDATE tickets SET reopen_count = 'many' WHERE id IN (SELECT id FROM tickets ORDER BY id LIMIT 5);
  `);
  db.close();
  return file;
}

beforeAll(async () => {
  sources = sourceFolder();
  exportA = sources.make("a.sqlite", { tickets: 1500, seed: 1 }).path;
  exportB = changedExport();
  versionA = (await load(exportA)).schema!;
}, 120_000);
afterAll(() => sources?.cleanup());

test("review: every figure of the Markdown is the database's, before (the readers' version) and after (the load)", async () => {
  const run = await review(exportB);
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });
  expect(run.stdout).toContain(`review:   ${path.join(tmp.dir, "reviews", `${PREFIX}-review.md`)}`);
  const { markdown, json } = reviewFiles();
  expect(markdown.split("\n")[0]).toBe("<!-- servicedesk-migration-review -->");
  expect(json.readers.on).toBe(versionA);
  expect(json.action).toEqual({ kind: "load", adopts: null });

  versionB = (await load(exportB)).schema!;
  const tables = markdownTables(markdown);

  const rows = tableUnder(tables, "Rows");
  expect(rows.header).toEqual(["table", "before", "after", "change", "set aside"]);
  expect(rows.rows.map((r) => r[0]).sort()).toEqual(["comments", "sla_policies", "tickets", "timesheets"]);
  for (const [table, before, after, change, setAside] of rows.rows) {
    const inA = ["comments", "tickets", "timesheets"].includes(table);
    const inB = table !== "timesheets";
    expect({ table, before: figure(before) }).toEqual({ table, before: inA ? await pgCount(database.url, versionA, table) : null });
    expect({ table, after: figure(after) }).toEqual({ table, after: inB ? await pgCount(database.url, versionB, table) : null });
    if (inA && inB) expect({ table, change: figure(change) }).toEqual({ table, change: figure(after)! - figure(before)! });
    else expect({ table, change }).toEqual({ table, change: inA ? "table removed" : "new table" });
    if (inB) expect({ table, rows: figure(after)! + figure(setAside)! }).toEqual({ table, rows: sqliteCount(exportB, table) });
  }
  // The tickets whose reopen_count is not a number are set aside, as the load did.
  expect(figure(rows.rows.find((r) => r[0] === "tickets")![4])).toBeGreaterThan(0);

  expect(markdown).toContain("- table `sla_policies` added");
  expect(markdown).toContain("- table `timesheets` removed");
  const columns = tableUnder(tables, "Schema");
  expect(columns.header).toEqual(["table", "column", "change", "before", "after"]);
  expect(columns.rows).toContainEqual(["tickets", "sla_hours", "added", "-", "bigint"]);
  expect(columns.rows).toContainEqual(["comments", "is_internal", "removed", "boolean", "-"]);
  for (const [table, column, , before, after] of columns.rows) {
    expect({ column, before }).toEqual({ column, before: (await columnTypes(database.url, versionA, table))[column] ?? "-" });
    expect({ column, after }).toEqual({ column, after: (await columnTypes(database.url, versionB, table))[column] ?? "-" });
  }

  const [qualityA, qualityB] = [await recordedQuality(versionA), await recordedQuality(versionB)];
  const quality = tableUnder(tables, "Quality");
  expect(quality.rows[0]).toEqual(["quality score", String(qualityA.score), String(qualityB.score)]);
  expect(quality.rows[1]).toEqual(["findings", String(qualityA.findings.length), String(qualityB.findings.length)]);

  const key = (f: { check: string; table?: string; column?: string }) =>
    f.table ? `${f.check} ${f.column ? `${f.table}.${f.column}` : f.table}` : f.check;
  const findings = tableUnder(tables, "Findings");
  expect(findings.header).toEqual(["status", "severity", "check", "where", "before", "now", "finding"]);
  const shown = findings.rows.map(([status, , check, where, before, now]) => ({
    status,
    key: where ? `${check} ${where}` : check,
    before: figure(before),
    now: figure(now),
  }));
  const expected = [
    ...qualityB.findings.map((f) => {
      const was = qualityA.findings.find((a) => key(a) === key(f));
      return { status: was ? "still there" : "new", key: key(f), before: was ? was.count : null, now: f.count };
    }),
    ...qualityA.findings
      .filter((a) => !qualityB.findings.some((f) => key(f) === key(a)))
      .map((a) => ({ status: "gone", key: key(a), before: a.count, now: null })),
  ];
  expect(shown.sort((x, y) => x.key.localeCompare(y.key))).toEqual(expected.sort((x, y) => x.key.localeCompare(y.key)));
  expect(shown.some((f) => f.status === "new" && f.key.includes("tickets.reopen_count"))).toBe(true);
}, 240_000);

test("review of an export a retained version holds: adopted, and the cutover names both versions", async () => {
  const run = await review(exportA);
  expect(run.status).toBe(0);
  const { json, markdown } = reviewFiles();
  expect(json.action).toEqual({ kind: "adopt", adopts: versionA });
  expect(json.readers.on).toBe(versionB);
  expect(markdown).toContain(
    `**pulumi up will** adopt ${versionA} (it holds this export already); the stable schema ${PREFIX} switches from ${versionB} to ${versionA}`,
  );
  // Every table keeps its rows: the figures are the retained version's.
  const rows = tableUnder(markdownTables(markdown), "Rows");
  for (const [table, , after] of rows.rows.filter((r) => r[0] !== "sla_policies"))
    expect({ table, after: figure(after) }).toEqual({ table, after: await pgCount(database.url, versionA, table) });
}, 120_000);

test("after a rollback, the review says readers are on the older version, and why", async () => {
  const rolledBack = await cli(["rollback", "--database-url", database.url, "--schema-prefix", PREFIX]);
  expect(rolledBack.status).toBe(0);
  const run = await review(exportB);
  expect(run.status).toBe(0);
  const { json, markdown } = reviewFiles();
  expect(json.readers).toMatchObject({ on: versionA, held: versionB, drift: { reason: "rollback" } });
  expect(markdown).toContain(
    `> **Readers are not on this stack's version.** readers are on ${versionA}: the stable schema was rolled back from ${versionB}`,
  );
  expect(run.stdout).toContain(`drift: readers are on ${versionA}: the stable schema was rolled back from ${versionB}`);
  // Set against the version readers are on: the rows before are A's.
  const tickets = tableUnder(markdownTables(markdown), "Rows").rows.find((r) => r[0] === "tickets")!;
  expect(figure(tickets[1])).toBe(await pgCount(database.url, versionA, "tickets"));
  expect((await cli(["cutover", "--database-url", database.url, "--schema-prefix", PREFIX, "--to", versionB])).status).toBe(0);
}, 120_000);

test("after a restore made active, the review says readers are on a restored version", async () => {
  // Retention 0: loading C drops B once C serves, after the backup of B.
  const exportC = sources.make("c.sqlite", { tickets: 1600, seed: 4 }).path;
  const reportC = await load(exportC, 0);
  const backupOfB = reportC.backup!.file;
  expect(existsSync(backupOfB)).toBe(true);
  expect(await pgCount(database.url, reportC.schema!, "tickets")).toBe(1600);
  const restored = await cli(["restore", "--database-url", database.url, "--schema-prefix", PREFIX, "--file", backupOfB, "--activate"]);
  expect({ status: restored.status, stderr: restored.stderr }).toEqual({ status: 0, stderr: "" });
  const run = await review(exportA);
  expect(run.status).toBe(0);
  const { json } = reviewFiles();
  expect(json.readers).toMatchObject({ on: versionB, held: reportC.schema, drift: { reason: "restore" } });
  expect(json.readers.drift.text).toContain(`readers are on ${versionB}, restored from a backup`);
}, 240_000);

test("a blocked export's review leads with the block and its ways forward, and the command exits 2", async () => {
  const blocked = sources.make("blocked.sqlite", { tickets: 1500, seed: 3, defectRate: 0.2 }).path;
  const run = await review(blocked);
  expect(run.status).toBe(2);
  const { json, markdown } = reviewFiles();
  expect(json.verdict).toBe("blocked");
  const lines = markdown.split("\n");
  expect(lines[0]).toBe("<!-- servicedesk-migration-review -->");
  expect(lines[1]).toMatch(/^## Export review: `.*blocked\.sqlite` is blocked$/);
  expect(lines[3]).toBe("**The quality gate blocks this export.** `pulumi up` would refuse it and change nothing.");
  const waysAt = lines.indexOf("**Ways forward**");
  const againstAt = lines.findIndex((l) => l.startsWith("Against "));
  expect(waysAt).toBeGreaterThan(3);
  expect(againstAt).toBeGreaterThan(waysAt);
  expect(lines.slice(4, waysAt).filter((l) => l.startsWith("- blocked by: "))).toEqual(
    json.blockedBy.map((b: string) => `- blocked by: ${b}`),
  );
  expect(json.waysForward.length).toBeGreaterThan(0);
  expect(lines.slice(waysAt + 2, waysAt + 2 + json.waysForward.length)).toEqual(
    json.waysForward.map((w: string, i: number) => `${i + 1}. ${w}`),
  );
}, 120_000);

test("the canary mode's review says it loads nothing and readers stay where they are", async () => {
  const run = await review(exportA, ["--mode", "canary"]);
  expect(run.status).toBe(0);
  const { json } = reviewFiles();
  expect(json.action).toEqual({ kind: "none", adopts: null });
  expect(json.cutover.text).toBe(`the stable schema ${PREFIX} stays on ${json.readers.on}: mode canary makes no version`);
  expect(run.stdout).toContain(
    `upWill: run the canary on the sample and load nothing; the stable schema ${PREFIX} stays on ${json.readers.on}`,
  );
}, 120_000);
