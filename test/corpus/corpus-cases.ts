/**
 * One corpus database in one mode, through the CLI as a user runs it, and
 * the facts checked afterwards: the documented exit status; the export's
 * files byte for byte as they were; per table, rows in PostgreSQL plus rows
 * in `_rejects` equal to rows in SQLite; primary and foreign keys as SQLite
 * declares them; every value checked by the independent oracle; or, for a
 * database that must be refused, the error code and the table and column
 * it names.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { CorpusDatabase, CorpusMode, exportDigests } from "../support/corpus";
import { queryRows } from "../support/database";
import { compareValueByValue } from "../support/oracle";
import { reportOf, runCli } from "../reliability/support/cli";

const EXIT_STATUS = { loaded: 0, failed: 1, blocked: 2 } as const;
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export interface CorpusRun {
  readonly database: CorpusDatabase;
  readonly mode: CorpusMode;
  readonly prefix: string;
  readonly url: string;
}

/** One line of the corpus table the README and the closing note quote. */
export interface CorpusOutcome {
  readonly database: string;
  readonly mode: CorpusMode;
  readonly tables: number;
  readonly rows: number;
  readonly rejected: number;
  readonly result: string;
}

export async function runCorpusCase(run: CorpusRun): Promise<CorpusOutcome> {
  const dir = mkdtempSync(path.join(tmpdir(), "sdm-corpus-"));
  try {
    const file = run.database.build(dir);
    const before = exportDigests(file);
    const result = await runCli([
      "migrate",
      "--source",
      file,
      "--database-url",
      run.url,
      "--schema-prefix",
      run.prefix,
      "--mode",
      run.mode,
      "--backup-dir",
      path.join(dir, "backups"),
      "--json",
      "--quiet",
    ]);
    const report = reportOf<CorpusReport>(result);
    const expected = run.database.expect[run.mode];
    expect({ status: result.status, outcome: report.outcome }).toEqual({
      status: EXIT_STATUS[expected.outcome],
      outcome: expected.outcome,
    });
    // The export is only ever read: its file and its WAL are as they were, whatever the mode.
    expect(exportDigests(file)).toEqual(before);
    if (expected.outcome !== "loaded") {
      expect(report.error).toMatchObject({
        code: expected.outcome === "blocked" ? "GATE_BLOCKED" : expected.code,
        ...(expected.table !== undefined ? { table: expected.table } : {}),
        ...(expected.column !== undefined ? { column: expected.column } : {}),
      });
      if (expected.outcome === "blocked") expect(report.quality!.blockedBy.join("; ")).toMatch(expected.because);
      // The circuit breaker keeps the version it would not serve, for inspection, and serves nothing; any other refusal leaves nothing.
      const kept =
        expected.outcome === "failed" && expected.code === "TABLE_LOSS"
          ? [expect.stringMatching(new RegExp(`^${run.prefix}_v\\d{8}_\\d{6}$`))]
          : [];
      expect(await schemasOf(run.url, run.prefix)).toEqual(kept);
      return { database: run.database.name, mode: run.mode, tables: 0, rows: 0, rejected: 0, result: `refused: ${report.error!.code}` };
    }
    const schema = report.schema!;
    const counts = await checkCounts(file, run.url, schema);
    expect({ tables: counts.tables, rows: counts.rows, rejected: counts.rejected }).toEqual({
      tables: expected.tables,
      rows: expected.rows,
      rejected: expected.rejected,
    });
    expect(await keysOf(run.url, schema)).toEqual(declaredKeys(file));
    expect(report.cutOver).toBe(run.mode !== "blue-green");
    const oracle = await compareValueByValue({ sqlitePath: file, databaseUrl: run.url, schema, readings: run.database.readings });
    expect(oracle.differences).toEqual([]);
    return {
      database: run.database.name,
      mode: run.mode,
      ...counts,
      result: `loaded (${oracle.tables.reduce((n, t) => n + t.comparedValues, 0)} values compared)`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CorpusReport {
  outcome: string;
  schema: string | null;
  cutOver: boolean;
  quality: { blockedBy: string[] } | null;
  error: { code: string; table?: string; column?: string } | null;
}

function sqliteTables(db: Database.Database): string[] {
  return db
    .prepare(
      "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .pluck()
    .all() as string[];
}

/** Rows per table: PostgreSQL's plus those `_rejects` holds must be SQLite's. */
async function checkCounts(file: string, url: string, schema: string): Promise<{ tables: number; rows: number; rejected: number }> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    let rows = 0;
    let rejected = 0;
    const tables = sqliteTables(db);
    for (const table of tables) {
      const inSqlite = Number(
        db
          .prepare(`SELECT count(*) FROM ${quote(table)}`)
          .pluck()
          .get(),
      );
      const [loaded] = await queryRows<{ n: string }>(url, `SELECT count(*) AS n FROM ${quote(schema)}.${quote(table)}`);
      const [set] = await queryRows<{ n: string }>(
        url,
        `SELECT count(DISTINCT row_key) AS n FROM ${quote(schema)}._rejects WHERE table_name = $1 AND action = 'rejected'`,
        [table],
      );
      expect({ table, total: Number(loaded.n) + Number(set.n) }).toEqual({ table, total: inSqlite });
      rows += Number(loaded.n);
      rejected += Number(set.n);
    }
    return { tables: tables.length, rows, rejected };
  } finally {
    db.close();
  }
}

interface KeyFacts {
  primaryKeys: Record<string, string[]>;
  foreignKeys: string[];
}

/** The keys SQLite declares that PostgreSQL can hold: every primary key, and each foreign key to a parent's primary key or unique columns. */
function declaredKeys(file: string): KeyFacts {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = sqliteTables(db);
    const primaryKeys: Record<string, string[]> = {};
    const uniques = new Map<string, string[][]>();
    for (const table of tables) {
      const pk = db.prepare("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk").pluck().all(table) as string[];
      if (pk.length > 0) primaryKeys[table] = pk;
      const unique = (db.prepare('SELECT name FROM pragma_index_list(?) WHERE "unique" = 1').pluck().all(table) as string[]).map(
        (index) => db.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno").pluck().all(index) as string[],
      );
      uniques.set(table, [pk, ...unique]);
    }
    const foreignKeys: string[] = [];
    for (const table of tables) {
      const rows = db
        .prepare('SELECT id, "table" AS parent, "from" AS child, "to" AS referenced FROM pragma_foreign_key_list(?) ORDER BY id, seq')
        .all(table) as { id: number; parent: string; child: string; referenced: string | null }[];
      for (const id of [...new Set(rows.map((r) => r.id))]) {
        const parts = rows.filter((r) => r.id === id);
        const parent = parts[0].parent;
        if (!tables.includes(parent)) continue;
        const referenced = parts.every((p) => p.referenced !== null) ? parts.map((p) => p.referenced!) : (primaryKeys[parent] ?? []);
        if (!(uniques.get(parent) ?? []).some((u) => u.join() === referenced.join())) continue;
        foreignKeys.push(`${table}(${parts.map((p) => p.child).join(",")}) -> ${parent}(${referenced.join(",")})`);
      }
    }
    return { primaryKeys, foreignKeys: foreignKeys.sort() };
  } finally {
    db.close();
  }
}

async function keysOf(url: string, schema: string): Promise<KeyFacts> {
  const rows = await queryRows<{ kind: string; tbl: string; cols: string[]; parent: string | null; pcols: string[] | null }>(
    url,
    `
    SELECT c.contype AS kind, t.relname AS tbl,
           (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS cols,
           p.relname AS parent,
           (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS pcols
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid LEFT JOIN pg_class p ON p.oid = c.confrelid
    WHERE c.connamespace = $1::regnamespace AND c.contype IN ('p', 'f') AND t.relname <> '_rejects'`,
    [schema],
  );
  const primaryKeys: Record<string, string[]> = {};
  for (const r of rows.filter((x) => x.kind === "p").sort((a, b) => a.tbl.localeCompare(b.tbl))) primaryKeys[r.tbl] = r.cols;
  const foreignKeys = rows
    .filter((x) => x.kind === "f")
    .map((r) => `${r.tbl}(${r.cols.join(",")}) -> ${r.parent}(${r.pcols!.join(",")})`)
    .sort();
  return { primaryKeys: Object.fromEntries(Object.entries(primaryKeys).sort(([a], [b]) => a.localeCompare(b))), foreignKeys };
}

async function schemasOf(url: string, prefix: string): Promise<string[]> {
  const rows = await queryRows<{ nspname: string }>(
    url,
    "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $1 || '_') ORDER BY 1",
    [prefix],
  );
  return rows.map((r) => r.nspname);
}
