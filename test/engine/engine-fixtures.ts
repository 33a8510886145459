/**
 * Helpers the engine tests share: hand-built SQLite exports in a temporary
 * folder, and the database facts the tests assert (schemas of a prefix,
 * column types as format_type prints them, the rejects table, row counts).
 * Every fact is read from PostgreSQL or SQLite, never from the engine's
 * report alone.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type Database from "better-sqlite3";
import { Client } from "pg";
import { migrate, MigrateOptions, MigrationReport } from "../../engine";
import { quoteIdent } from "../../engine/sql/identifiers";
import { queryRows } from "../support/database";
import { writeSqlite } from "../support/sqlite";

/** A temporary folder for SQLite files, removed after the test file. */
export function useTempDir(label: string): { readonly dir: string } {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), `sdm-${label}-`));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      if (!dir) throw new Error("the temporary folder exists only inside tests");
      return dir;
    },
  };
}

/** A run of the default mode into the test's database, its backups in the test's folder: (file, prefix, options) -> report. */
export function migrateInto(
  database: { readonly url: string },
  tmp: { readonly dir: string },
): (file: string, prefix: string, options?: Partial<MigrateOptions>) => Promise<MigrationReport> {
  return (file, prefix, options = {}) =>
    migrate({ ...options, sourcePath: file, databaseUrl: database.url, schemaPrefix: prefix, backupDirectory: path.join(tmp.dir, "b") });
}

/** Writes `<dir>/<name>.sqlite` from `sql` (see writeSqlite) and returns its path. */
export function sqliteFile(dir: string, name: string, sql: string, fill?: (db: Database.Database) => void): string {
  return writeSqlite(path.join(dir, `${name}.sqlite`), sql, fill);
}

export { quoteIdent };
export { sqliteCount } from "../support/sqlite";

/** Every schema of a prefix's family: the stable one and those named `<prefix>_...`. */
export async function schemasOf(url: string, prefix: string): Promise<string[]> {
  const rows = await queryRows<{ nspname: string }>(
    url,
    `SELECT nspname FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $1 || '_') ORDER BY nspname`,
    [prefix],
  );
  return rows.map((r) => r.nspname);
}

/** Column name -> format_type, in column order. */
export async function columnTypes(url: string, schema: string, table: string): Promise<Record<string, string>> {
  const rows = await queryRows<{ name: string; type: string }>(
    url,
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [`${quoteIdent(schema)}.${quoteIdent(table)}`],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}

export async function pgCount(url: string, schema: string, table: string): Promise<number> {
  const rows = await queryRows<{ n: string }>(url, `SELECT count(*) AS n FROM ${quoteIdent(schema)}.${quoteIdent(table)}`);
  return Number(rows[0].n);
}

export interface RejectRow extends Record<string, unknown> {
  table_name: string;
  row_key: string;
  column_name: string | null;
  raw_value: string | null;
  reason: string;
  action: "rejected" | "nulled";
}

/** The rejects table of a loaded schema, in a stable order. */
export async function rejectsOf(url: string, schema: string): Promise<RejectRow[]> {
  return queryRows<RejectRow>(
    url,
    `SELECT table_name, row_key, column_name, raw_value, reason, action FROM ${quoteIdent(schema)}._rejects
     ORDER BY table_name, length(row_key), row_key, column_name`,
  );
}

/** Every row of a table with each column as PostgreSQL's text (TimeZone UTC), ordered by the first column. */
export async function textRows(url: string, schema: string, table: string): Promise<Record<string, string | null>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET TimeZone = 'UTC'");
    const columns = Object.keys(await columnTypes(url, schema, table));
    const select = columns.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(", ");
    const { rows } = await client.query(`SELECT ${select} FROM ${quoteIdent(schema)}.${quoteIdent(table)} ORDER BY 1`);
    return rows;
  } finally {
    await client.end();
  }
}

/** Sessions other than the caller's connected to the database of `url`. */
export async function otherSessions(url: string): Promise<{ pid: number; state: string | null; query: string }[]> {
  return queryRows(url, `SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
}
