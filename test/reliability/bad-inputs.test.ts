/**
 * Bad inputs through the CLI: each is refused with a message that names
 * what is wrong and where, the run fails (exit 1, or 2 when the gate
 * blocks), and nothing changes in the database: the fingerprint of every
 * schema, relation, constraint, function and row is the same before and
 * after, and the stable schema still points at the version loaded first.
 *
 * Live sources are read as SQLite sees them: a writer's EXCLUSIVE lock makes
 * the run fail with SOURCE_LOCKED after the busy timeout; rows committed
 * into a write-ahead log that was never checkpointed are migrated.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { queryRows, useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { sqliteCount, writeSqlite } from "../support/sqlite";
import {
  Baseline,
  CliResult,
  countRows,
  databaseFingerprint,
  expectCliRefused,
  ExpectedRefusal,
  holdWriter,
  loadBaseline,
  overwriteMiddleOfPage,
  quoteIdent,
  readOnlyCopies,
  reportOf,
  runCli,
  scratchDir,
} from "./support";

const PREFIX = "sdbad";
const TICKETS = 300;

describe("bad inputs through the CLI: refused clearly, nothing changed", () => {
  const database = useTestDatabase("bad_inputs");
  let sources: SourceFolder;
  let scratch: ReturnType<typeof scratchDir>;
  let good: { path: string; rows: Record<string, number> };
  let baseline: Baseline;

  const migrateArgs = (source: string, ...extra: string[]) => [
    "migrate",
    "--source",
    source,
    "--database-url",
    database.url,
    "--schema-prefix",
    PREFIX,
    "--backup-dir",
    scratch.path("backups"),
    "--json",
    "--quiet",
    ...extra,
  ];
  const expectRefused = (args: string[], expected: ExpectedRefusal) => expectCliRefused(baseline, args, expected);

  beforeAll(async () => {
    sources = sourceFolder();
    scratch = scratchDir("bad-inputs");
    good = sources.make("good.sqlite", { tickets: TICKETS, seed: 1 });
    baseline = await loadBaseline(database.url, PREFIX, good, scratch.path("backups"));
  });

  afterAll(() => {
    sources?.cleanup();
    scratch?.cleanup();
  });

  test('the fingerprint notices one changed value and one new schema (so "nothing changed" means something)', async () => {
    const before = await databaseFingerprint(database.url);
    const table = `${quoteIdent(baseline.schema)}.tickets`;
    const [{ title }] = await queryRows<{ title: string }>(database.url, `SELECT title FROM ${table} WHERE id = 1`);
    await queryRows(database.url, `UPDATE ${table} SET title = title || '.' WHERE id = 1`);
    expect(await databaseFingerprint(database.url)).not.toEqual(before);
    await queryRows(database.url, `UPDATE ${table} SET title = $1 WHERE id = 1`, [title]);
    expect(await databaseFingerprint(database.url)).toEqual(before);
    await queryRows(database.url, "CREATE SCHEMA sdm_extra");
    expect(Object.keys(await databaseFingerprint(database.url)).sort()).toEqual([...Object.keys(before), "schema sdm_extra"].sort());
    await queryRows(database.url, "DROP SCHEMA sdm_extra");
    expect(await databaseFingerprint(database.url)).toEqual(before);
  });

  test("a missing file", async () => {
    const missing = scratch.path("exports/missing.sqlite");
    await expectRefused(migrateArgs(missing), { status: 1, code: "SOURCE_NOT_FOUND", message: [`source ${missing} does not exist`] });
  });

  test("a directory", async () => {
    const folder = scratch.path("a-folder.sqlite");
    mkdirSync(folder);
    await expectRefused(migrateArgs(folder), { status: 1, code: "SOURCE_NOT_A_FILE", message: [`source ${folder} is a directory`] });
  });

  test("a file that is not SQLite (a CSV named .sqlite)", async () => {
    const csv = scratch.path("export.sqlite");
    writeFileSync(csv, "id,title\n1,printer on fire\n");
    await expectRefused(migrateArgs(csv), { status: 1, code: "SOURCE_NOT_SQLITE", message: [`source ${csv} is not a SQLite database`] });
  });

  test("a truncated SQLite file (cut in half)", async () => {
    const truncated = scratch.path("truncated.sqlite");
    const bytes = readFileSync(good.path);
    writeFileSync(truncated, bytes.subarray(0, bytes.length >> 1));
    await expectRefused(migrateArgs(truncated), {
      status: 1,
      code: "SOURCE_CORRUPT",
      message: [`source ${truncated} is corrupt or truncated`],
    });
  });

  test("a corrupted SQLite file (bytes overwritten in the middle of a page of comments)", async () => {
    const corrupted = scratch.path("corrupted.sqlite");
    copyFileSync(good.path, corrupted);
    overwriteMiddleOfPage(corrupted, "comments");
    await expectRefused(migrateArgs(corrupted), {
      status: 1,
      code: "SOURCE_CORRUPT",
      message: [`source ${corrupted} is corrupt or truncated`, /database disk image is malformed/],
    });
  });

  test("a database locked by a writer (EXCLUSIVE, rollback journal): SOURCE_LOCKED after the busy timeout", async () => {
    const locked = scratch.path("locked.sqlite");
    copyFileSync(good.path, locked);
    const writer = await holdWriter(locked, "exclusive", "comments", 5);
    try {
      const result = await expectRefused(migrateArgs(locked), {
        status: 1,
        code: "SOURCE_LOCKED",
        message: [`source ${locked} is locked by a writer`, "waited 5 s", "sqlite3 <file> .backup"],
      });
      // The busy timeout (5 s) was waited, not skipped, and nothing hung beyond it.
      expect(result.seconds).toBeGreaterThanOrEqual(5);
      expect(result.seconds).toBeLessThan(30);
    } finally {
      await writer.release();
    }
  });

  test("a writer's uncommitted rows (BEGIN IMMEDIATE) are not migrated; every committed row is", async () => {
    const live = scratch.path("immediate.sqlite");
    copyFileSync(good.path, live);
    const writer = await holdWriter(live, "immediate", "comments", 25);
    let result: CliResult;
    try {
      result = await runCli([
        "migrate",
        "--source",
        live,
        "--database-url",
        database.url,
        "--schema-prefix",
        "sdlive",
        "--mode",
        "simple",
        "--json",
        "--quiet",
      ]);
    } finally {
      await writer.release();
    }
    expect(result.status).toBe(0);
    const report = reportOf(result);
    expect(writer.info).toEqual({ committedRows: good.rows.comments, pendingRows: 25 });
    for (const [table, rows] of Object.entries(good.rows)) expect(await countRows(database.url, report.schema!, table)).toBe(rows);
  });

  test("a WAL database with uncheckpointed frames: the rows only in the -wal file are migrated", async () => {
    const wal = scratch.path("wal/live.sqlite");
    copyFileSync(good.path, wal);
    const writer = await holdWriter(wal, "wal", "comments", 40);
    let result: CliResult;
    try {
      // The main file alone does not hold them: they are in live.sqlite-wal.
      const mainOnly = scratch.path("wal-main-only/live.sqlite");
      copyFileSync(wal, mainOnly);
      expect(sqliteCount(mainOnly, "comments")).toBe(good.rows.comments);
      expect(readdirSync(scratch.path("wal")).sort()).toEqual(["live.sqlite", "live.sqlite-shm", "live.sqlite-wal"]);
      result = await runCli(["migrate", "--source", wal, "--database-url", database.url, "--schema-prefix", "sdwal", "--json", "--quiet"]);
    } finally {
      await writer.release();
    }
    expect(result.status).toBe(0);
    const report = reportOf(result);
    expect(writer.info.committedRows).toBe(good.rows.comments + 40);
    expect(await countRows(database.url, report.schema!, "comments")).toBe(good.rows.comments + 40);
    expect(await countRows(database.url, report.schema!, "tickets")).toBe(good.rows.tickets);
    expect(await countRows(database.url, report.schema!, "timesheets")).toBe(good.rows.timesheets);
    expect(report.tables.map((t) => [t.table, t.rowsLoaded + t.rejected])).toEqual([
      ["tickets", good.rows.tickets],
      ["comments", good.rows.comments + 40],
      ["timesheets", good.rows.timesheets],
    ]);
  });

  test("a WAL-mode export on read-only media: named as such, with what to do", async () => {
    const walMode = scratch.path("wal-mode/export.sqlite");
    copyFileSync(good.path, walMode);
    const db = new Database(walMode);
    db.pragma("journal_mode = WAL");
    db.close(); // the last connection checkpoints and removes -wal and -shm: only the file, in WAL mode, is left
    const media = readOnlyCopies([walMode]);
    try {
      const file = `${media.dir}/export.sqlite`;
      await expectRefused(migrateArgs(file), {
        status: 1,
        code: "SOURCE_NOT_FOUND",
        message: [`source ${file} is a WAL-mode database and SQLite cannot create ${file}-shm beside it`, "PRAGMA journal_mode=DELETE"],
      });
    } finally {
      media.cleanup();
    }
  });

  test("a database without tables: NO_TABLES_SELECTED", async () => {
    const empty = writeSqlite(scratch.path("no-tables.sqlite"), "PRAGMA user_version = 7;");
    await expectRefused(migrateArgs(empty), { status: 1, code: "NO_TABLES_SELECTED", message: [`source ${empty} holds no tables`] });
  });

  test("tables without rows: the gate's empty_source finding blocks (exit 2)", async () => {
    const hollow = writeSqlite(
      scratch.path("no-rows.sqlite"),
      "CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT); CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
    );
    const result = await expectRefused(migrateArgs(hollow), {
      status: 2,
      code: "GATE_BLOCKED",
      message: ["critical: the export holds no rows in any migrated table"],
    });
    const quality = reportOf(result).quality!;
    expect(quality.blocked).toBe(true);
    expect(quality.findings).toEqual(expect.arrayContaining([expect.objectContaining({ check: "empty_source", severity: "critical" })]));
  });

  test("a tiny export whose canary sample holds no row is not taken for an empty one", async () => {
    const tiny = writeSqlite(
      scratch.path("tiny.sqlite"),
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'a'), (2, 'b'), (3, 'c');",
    );
    const result = await runCli([
      "migrate",
      "--source",
      tiny,
      "--database-url",
      database.url,
      "--schema-prefix",
      "sdtiny",
      "--json",
      "--quiet",
    ]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
    const report = reportOf(result);
    expect(report.outcome).toBe("loaded");
    expect(report.quality!.findings.filter((f) => f.check === "empty_source")).toEqual([]);
    expect(await countRows(database.url, "sdtiny", "notes")).toBe(3);
  });

  test("no table matching the include list, and every table excluded", async () => {
    await expectRefused(migrateArgs(good.path, "--include", "ticket", "--include", "comments"), {
      status: 1,
      code: "INVALID_OPTION",
      message: ['includeTables: no table "ticket" in the source'],
    });
    await expectRefused(migrateArgs(good.path, "--exclude", "tickets", "--exclude", "comments", "--exclude", "timesheets"), {
      status: 1,
      code: "NO_TABLES_SELECTED",
      message: [`no table of ${good.path} is left after the include/exclude lists`],
    });
  });
});
