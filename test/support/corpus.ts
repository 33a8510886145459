/**
 * The test corpus: SQLite databases nobody on this project wrote (copied
 * into test/fixtures/corpus with their origin and licence, see its README)
 * and databases of our own, built from the SQL in
 * test/fixtures/corpus/synthetic, one per class of value and schema a
 * loader meets in real exports. Each entry says what every mode must do
 * with it: load it (tables, rows, rejects), or refuse it with a code that
 * names the table and column.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import * as path from "node:path";
import Database from "better-sqlite3";

export const CORPUS_DIR = path.resolve(__dirname, "..", "fixtures", "corpus");

export type CorpusMode = "simple" | "blue-green" | "complete";
export const CORPUS_MODES: readonly CorpusMode[] = ["simple", "blue-green", "complete"];

export type CorpusExpectation =
  | { readonly outcome: "loaded"; readonly tables: number; readonly rows: number; readonly rejected: number }
  | { readonly outcome: "blocked"; readonly table?: string; readonly column?: string; readonly because: RegExp }
  | { readonly outcome: "failed"; readonly code: string; readonly table: string; readonly column?: string };

export interface CorpusDatabase {
  readonly name: string;
  /** Writes the database into `dir` (a copy: the run must not be able to touch the fixture) and returns its path. */
  readonly build: (dir: string) => string;
  readonly expect: Readonly<Record<CorpusMode, CorpusExpectation>>;
  /** The units its writer stored numbers of date columns in, by "table.column", for the oracle (others: SQLite's auto reading). */
  readonly readings?: Readonly<Record<string, "julian" | "unix-s" | "unix-ms" | "unix-us" | "unix-ns">>;
}

const every = (expectation: CorpusExpectation): Record<CorpusMode, CorpusExpectation> => ({
  simple: expectation,
  "blue-green": expectation,
  complete: expectation,
});

/** Simple and blue-green load (the gate only measures); complete mode's gate blocks. */
const loadedUnlessGated = (loaded: CorpusExpectation, blocked: CorpusExpectation): Record<CorpusMode, CorpusExpectation> => ({
  simple: loaded,
  "blue-green": loaded,
  complete: blocked,
});

function vendored(file: string): (dir: string) => string {
  return (dir) => {
    const target = path.join(dir, path.basename(file));
    copyFileSync(path.join(CORPUS_DIR, file), target);
    return target;
  };
}

function synthetic(name: string): (dir: string) => string {
  return (dir) => {
    const target = path.join(dir, `${name}.sqlite`);
    rmSync(target, { force: true });
    const db = new Database(target);
    try {
      // Real exports hold orphans: SQLite only enforces foreign keys when asked to.
      db.pragma("foreign_keys = OFF");
      db.exec(readFileSync(path.join(CORPUS_DIR, "synthetic", `${name}.sql`), "utf8"));
    } finally {
      db.close();
    }
    return target;
  };
}

/**
 * A WAL-mode export whose writer stopped without a checkpoint: its last
 * rows exist only in the -wal file. The writer is killed (SIGKILL) so
 * SQLite gets no chance to checkpoint on close.
 */
export const WAL_ONLY_ROWS = 250;
function stoppedWalWriter(dir: string): string {
  const target = path.join(dir, "wal-writer-stopped.sqlite");
  const script = `
    const Database = require(${JSON.stringify(require.resolve("better-sqlite3"))});
    const db = new Database(${JSON.stringify(target)});
    db.pragma("journal_mode = WAL");
    db.pragma("wal_autocheckpoint = 0");
    db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, author TEXT NOT NULL, body TEXT, at DATETIME)");
    const insert = db.prepare("INSERT INTO notes (author, body, at) VALUES (?, ?, ?)");
    db.transaction(() => { for (let i = 1; i <= 400; i++) insert.run("Søren " + i, "note ✎ " + i, "2024-07-01 10:00:" + String(i % 60).padStart(2, "0")); })();
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.transaction(() => { for (let i = 1; i <= ${WAL_ONLY_ROWS}; i++) insert.run("Åsa " + i, "only in the WAL " + i, "2024-07-02 11:00:00+02:00"); })();
    process.kill(process.pid, "SIGKILL");`;
  const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  if (run.signal !== "SIGKILL") throw new Error(`the WAL writer did not stop as planned: ${run.status} ${run.stderr}`);
  if (!existsSync(`${target}-wal`)) throw new Error("the stopped WAL writer left no -wal file");
  return target;
}

export const CORPUS: readonly CorpusDatabase[] = [
  { name: "chinook", build: vendored("chinook.sqlite"), expect: every({ outcome: "loaded", tables: 11, rows: 15607, rejected: 0 }) },
  { name: "northwind", build: vendored("northwind.sqlite"), expect: every({ outcome: "loaded", tables: 13, rows: 3310, rejected: 0 }) },
  {
    name: "pgloader Chinook_Sqlite_AutoIncrementPKs",
    build: vendored("pgloader/Chinook_Sqlite_AutoIncrementPKs.sqlite"),
    expect: every({ outcome: "loaded", tables: 11, rows: 15607, rejected: 0 }),
  },
  {
    name: "pgloader storage.sqlite",
    build: vendored("pgloader/storage.sqlite"),
    expect: every({ outcome: "loaded", tables: 9, rows: 35, rejected: 0 }),
  },
  {
    // Every row of "autoinc" has a NULL key: simple and blue-green do not serve a version that lost a whole table
    // (the circuit breaker); complete mode's gate stops first, on "stamps"."StartTime" too: DEFAULT 0 in a
    // DATETIME is SQLite's Julian day 0, a date of -4713, rejected beside the text dates of the column.
    name: "pgloader sqlite.db",
    build: vendored("pgloader/sqlite.db"),
    expect: loadedUnlessGated(
      { outcome: "failed", code: "TABLE_LOSS", table: "autoinc" },
      {
        outcome: "blocked",
        table: "stamps",
        column: "StartTime",
        because:
          /critical: 1 of 1 values of "stamps"\."StartTime" .*: 0 read as Julian day is -4713-11-24 12:00:00 UTC.*null_keys failed: 3 rows of "autoinc" have a NULL in primary key \(id\)/,
      },
    ),
  },
  {
    name: "pgloader test_pk.db",
    build: vendored("pgloader/test_pk.db"),
    expect: loadedUnlessGated(
      { outcome: "loaded", tables: 2, rows: 0, rejected: 0 },
      { outcome: "blocked", because: /critical: the export holds no rows in any migrated table/ },
    ),
  },
  {
    name: "pgloader bad-utf8.db",
    build: vendored("pgloader/bad-utf8.db"),
    expect: loadedUnlessGated(
      { outcome: "loaded", tables: 1, rows: 2, rejected: 1 },
      { outcome: "blocked", table: "files", column: "filename", because: /invalid_utf8 failed: 1 of 3 values of "files"\."filename"/ },
    ),
  },
  {
    name: "pgloader type-mismatch.db",
    build: vendored("pgloader/type-mismatch.db"),
    expect: loadedUnlessGated(
      { outcome: "loaded", tables: 1, rows: 2, rejected: 1 },
      {
        outcome: "blocked",
        table: "products",
        column: "qty",
        because: /type_conformity failed: 1 of 3 values of "products"\."qty" \(bigint\): not an integer/,
      },
    ),
  },
  {
    name: "pgloader collision.db",
    build: vendored("pgloader/collision.db"),
    expect: every({
      outcome: "failed",
      code: "IDENTIFIER_COLLISION",
      table: "products",
      column: "col_very_long_name_that_exceeds_postgresql_identifier_limit_aaay",
    }),
  },
  {
    name: "values past the sample",
    build: synthetic("values-past-sample"),
    expect: every({ outcome: "loaded", tables: 1, rows: 29998, rejected: 2 }),
  },
  { name: "schema shapes", build: synthetic("schema-shapes"), expect: every({ outcome: "loaded", tables: 12, rows: 2677, rejected: 3 }) },
  {
    // Each unit read by its magnitude, unstated: the oracle is told the units the writer used past SQLite's own (seconds, Julian days).
    name: "numbers in date columns",
    build: synthetic("date-families"),
    expect: every({ outcome: "loaded", tables: 5, rows: 5000, rejected: 0 }),
    readings: { "unix.ms": "unix-ms", "unix.us": "unix-us", "unix.ns": "unix-ns", "before_1970.ms": "unix-ms" },
  },
  {
    name: "keyless non-ASCII timesheets",
    build: synthetic("keyless-unicode"),
    expect: every({ outcome: "loaded", tables: 1, rows: 405, rejected: 0 }),
  },
  {
    name: "WAL writer stopped",
    build: stoppedWalWriter,
    expect: every({ outcome: "loaded", tables: 1, rows: 400 + WAL_ONLY_ROWS, rejected: 0 }),
  },
];

/** sha256 of the export and of each file SQLite keeps beside it that holds data (the -wal). */
export function exportDigests(file: string): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const part of [file, `${file}-wal`, `${file}-journal`]) {
    if (existsSync(part)) digests[path.basename(part)] = createHash("sha256").update(readFileSync(part)).digest("hex");
  }
  return digests;
}
