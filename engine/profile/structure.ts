/**
 * The checks that need the whole table but not every value: row counts,
 * orphaned references (an anti-join per foreign key) and NULLs in primary
 * keys. They run in SQLite, at C speed, before anything is loaded, so the
 * loader knows which rows to set aside.
 */
import { quoteIdent } from "../sql/identifiers";
import { SourceDatabase, SourceSchema, SourceTable } from "../source";
import { ForeignKeyOrphans } from "./model";

/** How a row is named in rejects: its rowid, or its primary key as JSON. */
export function rowKeyExpression(table: SourceTable, alias = ""): string {
  const prefix = alias ? `${alias}.` : "";
  if (!table.withoutRowid) return `${prefix}rowid`;
  return `json_array(${table.primaryKey.map((k) => prefix + quoteIdent(k)).join(", ")})`;
}

export function countRows(db: SourceDatabase, table: SourceTable): number {
  return Number(db.prepare(`SELECT count(*) FROM ${quoteIdent(table.name)}`).pluck().get());
}

export function orphansOf(db: SourceDatabase, table: SourceTable, schema: SourceSchema): ForeignKeyOrphans[] {
  return table.foreignKeys
    .filter((fk) => schema.tables.some((t) => t.name === fk.parentTable))
    .map((fk) => {
      const notNull = fk.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(" AND ");
      const matches = fk.columns.map((c, k) => `p.${quoteIdent(fk.parentColumns[k])} = c.${quoteIdent(c)}`).join(" AND ");
      const sql = `SELECT ${rowKeyExpression(table, "c")} FROM ${quoteIdent(table.name)} AS c
        WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(fk.parentTable)} AS p WHERE ${matches})`;
      const rowKeys = db.prepare(sql).pluck().all() as (number | string)[];
      return { columns: fk.columns, parentTable: fk.parentTable, rowKeys };
    });
}

export function nullKeysOf(db: SourceDatabase, table: SourceTable): (number | string)[] {
  if (table.primaryKey.length === 0 || table.rowidAlias || table.withoutRowid) return [];
  const anyNull = table.primaryKey.map((k) => `${quoteIdent(k)} IS NULL`).join(" OR ");
  return db.prepare(`SELECT rowid FROM ${quoteIdent(table.name)} WHERE ${anyNull}`).pluck().all() as number[];
}
