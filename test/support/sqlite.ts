/**
 * Hand-built SQLite files for tests, and facts read back from them by
 * SQLite itself.
 */
import { rmSync } from "node:fs";
import Database from "better-sqlite3";
import { quoteIdent } from "../../engine/sql/identifiers";

/**
 * Writes a new SQLite file at `file` from `sql` (foreign keys unenforced, so
 * orphans can be inserted as real exports hold them), then lets `fill` add
 * rows; returns the path.
 */
export function writeSqlite(file: string, sql: string, fill?: (db: Database.Database) => void): string {
  rmSync(file, { force: true });
  const db = new Database(file);
  try {
    db.pragma("foreign_keys = OFF");
    db.exec(sql);
    fill?.(db);
  } finally {
    db.close();
  }
  return file;
}

/** Rows of a SQLite table, counted by SQLite. */
export function sqliteCount(file: string, table: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return Number(
      db
        .prepare(`SELECT count(*) FROM ${quoteIdent(table)}`)
        .pluck()
        .get(),
    );
  } finally {
    db.close();
  }
}
