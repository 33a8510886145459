/** Reading the SQLite side: its tables, their columns and rows, and text that is not valid UTF-8. */

import { isUtf8 } from "node:buffer";
import type Database from "better-sqlite3";
import { quoteIdent } from "./quote-ident";
import { InvalidText, SqliteValue } from "./sqlite-values";

export interface SqliteColumn {
  name: string;
  /** 1-based position in the primary key, 0 when not part of it. */
  pk: number;
}

export interface SqliteTable {
  name: string;
  withoutRowid: boolean;
  columns: SqliteColumn[];
}

export interface SqliteRow {
  ord: number;
  rowKey: string;
  values: SqliteValue[];
}

/** Ordinary tables of the main schema: views, virtual and shadow tables have other types in pragma_table_list. */
export function listSqliteTables(db: Database.Database): SqliteTable[] {
  const tables = db
    .prepare(
      "SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type = 'table' " +
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )
    .all() as { name: string; wr: number }[];
  return tables.map((t) => ({ name: t.name, withoutRowid: t.wr === 1, columns: sqliteColumns(db, t.name) }));
}

/** Columns in cid order; hidden = 1 (virtual-table hidden columns) excluded, generated ones (2, 3) kept. */
function sqliteColumns(db: Database.Database, table: string): SqliteColumn[] {
  const rows = db.prepare("SELECT name, pk FROM pragma_table_xinfo(?) WHERE hidden <> 1 ORDER BY cid").all(table) as {
    name: string;
    pk: number;
  }[];
  return rows.map((r) => ({ name: r.name, pk: Number(r.pk) }));
}

/** The SQL giving a row's key as `_rejects.row_key` holds it. */
function rowKeySql(table: SqliteTable): string {
  if (table.withoutRowid) {
    const key = table.columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    return `json_array(${key.map((c) => quoteIdent(c.name)).join(", ")})`;
  }
  // A column may be named rowid and hide the real one; one of the three aliases is free unless all are taken.
  const taken = new Set(table.columns.map((c) => c.name.toLowerCase()));
  const alias = ["rowid", "_rowid_", "oid"].find((a) => !taken.has(a));
  if (!alias) throw new Error(`${table.name}: columns named rowid, _rowid_ and oid hide the rowid`);
  return alias;
}

export function readSqliteRows(db: Database.Database, table: SqliteTable): SqliteRow[] {
  const select = [rowKeySql(table), ...table.columns.map((c) => quoteIdent(c.name))];
  const statement = db
    .prepare(`SELECT ${select.join(", ")} FROM ${quoteIdent(table.name)}`)
    .raw(true)
    .safeIntegers(true);
  const checkText = invalidTextCheck(db, table);
  const rows: SqliteRow[] = [];
  for (const raw of statement.iterate() as IterableIterator<SqliteValue[]>) {
    const rowKey = String(raw[0]);
    const values = raw.slice(1);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === "string" && v.includes("\uFFFD")) values[i] = checkText(rowKey, i, v);
    }
    rows.push({ ord: rows.length, rowKey, values });
  }
  return rows;
}

/**
 * better-sqlite3 replaces bytes that are not UTF-8 with U+FFFD, so a text
 * holding U+FFFD is read again as its bytes to tell a real U+FFFD from
 * invalid text (rare, so one query per such value).
 */
function invalidTextCheck(db: Database.Database, table: SqliteTable): (rowKey: string, index: number, text: string) => SqliteValue {
  const utf8 = String(db.pragma("encoding", { simple: true })).toUpperCase() === "UTF-8";
  return (rowKey, index, text) => {
    if (!utf8) return text; // SQLite converted UTF-16 itself; nothing was replaced by the driver.
    const bytes = db
      .prepare(`SELECT CAST(${quoteIdent(table.columns[index].name)} AS BLOB) FROM ${quoteIdent(table.name)} WHERE ${rowKeySql(table)} = ?`)
      .pluck()
      .get(table.withoutRowid ? rowKey : BigInt(rowKey)) as Buffer;
    return isUtf8(bytes) ? text : new InvalidText(bytes);
  };
}
