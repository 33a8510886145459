/**
 * The checks that need the whole table but not every value: row counts,
 * orphaned references (an anti-join per foreign key) and NULLs in primary
 * keys. They run in SQLite, at C speed, before anything is loaded, so the
 * loader knows which rows to set aside. With a row subset (the canary's
 * sample) each check sees only the subset's rows, parents included.
 */
import { quoteIdent } from "../sql/identifiers";
import { RowSubset, SourceDatabase, SourceSchema, SourceTable, subsetCondition, subsetWhere } from "../source";
import { ForeignKeyOrphans } from "./model";

/** How a row is named in rejects: its rowid, or its primary key as JSON. */
export function rowKeyExpression(table: Pick<SourceTable, "withoutRowid" | "primaryKey">, alias = ""): string {
  const prefix = alias ? `${alias}.` : "";
  if (!table.withoutRowid) return `${prefix}rowid`;
  // JSON holds no bytes: a blob part is {"blob": "<hex>"}, which no text part can be (a text is quoted).
  const parts = table.primaryKey.map((k) => {
    const column = prefix + quoteIdent(k);
    return `CASE WHEN typeof(${column}) = 'blob' THEN json_object('blob', hex(${column})) ELSE ${column} END`;
  });
  return `json_array(${parts.join(", ")})`;
}

/** The condition that finds the row rowKeyExpression names, from that name in the parameter @key. */
export function rowKeyCondition(table: Pick<SourceTable, "withoutRowid" | "primaryKey">): string {
  if (!table.withoutRowid) return "rowid = @key";
  return table.primaryKey
    .map((k, i) => {
      const part = `'$[${i}]'`;
      return `${quoteIdent(k)} IS (CASE json_type(@key, ${part}) WHEN 'object' THEN unhex(json_extract(@key, '$[${i}].blob')) ELSE json_extract(@key, ${part}) END)`;
    })
    .join(" AND ");
}

export function countRows(db: SourceDatabase, table: SourceTable, subset?: RowSubset): number {
  return Number(
    db
      .prepare(`SELECT count(*) FROM ${quoteIdent(table.name)}${subsetWhere(table, subset)}`)
      .pluck()
      .get(),
  );
}

export function orphansOf(db: SourceDatabase, table: SourceTable, schema: SourceSchema, subset?: RowSubset): ForeignKeyOrphans[] {
  return table.foreignKeys
    .filter((fk) => schema.tables.some((t) => t.name === fk.parentTable))
    .map((fk) => {
      const parent = schema.tables.find((t) => t.name === fk.parentTable)!;
      const notNull = fk.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`);
      const matches = fk.columns.map((c, k) => `p.${quoteIdent(fk.parentColumns[k])} = c.${quoteIdent(c)}`);
      const inChild = subsetCondition(table, subset, "c");
      const inParent = subsetCondition(parent, subset, "p");
      const sql = `SELECT ${rowKeyExpression(table, "c")} FROM ${quoteIdent(table.name)} AS c
        WHERE ${[...notNull, ...(inChild ? [inChild] : [])].join(" AND ")}
          AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(fk.parentTable)} AS p WHERE ${[...matches, ...(inParent ? [inParent] : [])].join(" AND ")})`;
      const rowKeys = db.prepare(sql).pluck().all() as (number | string)[];
      return { columns: fk.columns, parentTable: fk.parentTable, rowKeys };
    });
}

export function nullKeysOf(db: SourceDatabase, table: SourceTable, subset?: RowSubset): (number | string)[] {
  if (table.primaryKey.length === 0 || table.rowidAlias || table.withoutRowid) return [];
  const anyNull = `(${table.primaryKey.map((k) => `${quoteIdent(k)} IS NULL`).join(" OR ")})`;
  const inSubset = subsetCondition(table, subset);
  return db
    .prepare(`SELECT rowid FROM ${quoteIdent(table.name)} WHERE ${[anyNull, ...(inSubset ? [inSubset] : [])].join(" AND ")}`)
    .pluck()
    .all() as number[];
}
