/**
 * Rows set aside before loading: keys that become duplicates once
 * converted, orphans and NULL keys found by the profile, and the
 * referenced key columns whose rejected rows a child must follow.
 */
import { ColumnPlan, MigrationPlan, TablePlan } from "../plan/model";
import { TableEvidence } from "../profile";
import { rowKeyExpression } from "../profile/structure";
import { identitySql, RowSubset, SourceDatabase, SourceTable, subsetCondition } from "../source";
import { quoteIdent } from "../sql/identifiers";
import { SqliteValue } from "../types/conversion";
import { buildConverter, targetType } from "../types/target-types";
import { Exclusion } from "./protocol";

/**
 * Rows whose key duplicates an earlier row's once converted (1, 1.0 and '1'
 * are different values in a column without affinity, one key in
 * PostgreSQL). Where every key column holds values of one storage class
 * its type converts one to one, SQLite's own uniqueness is PostgreSQL's and
 * nothing is converted. Otherwise each key value goes through its column's
 * own converter, as the reader will send it, then the type's sameKey
 * (numeric 1.50 and 1.5 are one key); a value the converter refuses keeps
 * no key, since its row is not loaded. The first row keeps the key, by
 * rowid (a WITHOUT ROWID table: in key order) over the whole table, with or
 * without a subset: a sample, and the rest of a load whose first slice it
 * was, set aside the rows the whole load would.
 */
export function duplicateKeys(db: SourceDatabase, source: SourceTable, table: TablePlan, subset?: RowSubset): Exclusion[] {
  if (source.rowidAlias || table.primaryKey.length === 0) return [];
  const columns = source.primaryKey.map((k) => table.columns.find((c) => c.source === k)!);
  if (convertsOneToOne(db, source, columns)) return [];
  registerLoadedKey(db, columns);
  const key = columns
    .map(
      (c, i) =>
        `${LOADED_KEY}(${i}, ${targetType(c.converter).reader(quoteIdent(c.source))}, CAST(${quoteIdent(c.source)} AS BLOB)) AS k${i}`,
    )
    .join(", ");
  const partition = columns.map((_, i) => `k${i}`).join(", ");
  const notNull = columns.map((_, i) => `k${i} IS NOT NULL`).join(" AND ");
  // Rowid, or the key's columns: the first row's order, and what rowKeyExpression and the subset condition refer to.
  const identity = identitySql(source).join(", ");
  const inSubset = subsetCondition(source, subset);
  const sql = `SELECT rk FROM (
      SELECT ${rowKeyExpression(source)} AS rk, ${identity}, row_number() OVER (PARTITION BY ${partition} ORDER BY ${identity}) AS n
      FROM (SELECT ${identity}, ${key} FROM ${quoteIdent(source.name)}) WHERE ${notNull})
    WHERE n > 1${inSubset ? ` AND ${inSubset}` : ""}`;
  return (db.prepare(sql).pluck().all() as (number | string)[]).map((rowKey) => ({
    rowKey,
    column: source.primaryKey[0],
    reason: `duplicate primary key (${source.primaryKey.join(", ")}) once converted; the first row keeps it`,
    nullable: [],
  }));
}

const LOADED_KEY = "sdm_loaded_key";

/** Whether each key column holds values of one storage class only, which its type converts one to one (key.oneToOne). */
function convertsOneToOne(db: SourceDatabase, source: SourceTable, columns: readonly ColumnPlan[]): boolean {
  const classes = columns.map((c) => `(SELECT group_concat(DISTINCT typeof(${quoteIdent(c.source)})) FROM ${quoteIdent(source.name)})`);
  const found = db
    .prepare(`SELECT ${classes.join(", ")}`)
    .raw(true)
    .get() as (string | null)[];
  return found.every((stored, i) => {
    // NULL keys are set aside on their own; a column of NULLs only holds no key to repeat.
    const kinds = (stored ?? "").split(",").filter((kind) => kind !== "" && kind !== "null");
    const oneToOne: readonly string[] = targetType(columns[i].converter).key.oneToOne;
    return kinds.length === 0 || (kinds.length === 1 && oneToOne.includes(kinds[0]));
  });
}

/**
 * Registers LOADED_KEY(i, value, bytes) on `db` for these key columns: the
 * i-th column's value as PostgreSQL will hold it (its converter, then
 * sameKey), or NULL when the converter refuses it.
 */
function registerLoadedKey(db: SourceDatabase, columns: readonly ColumnPlan[]): void {
  const converters = columns.map((c) => buildConverter(c.converter));
  const sameKey = columns.map((c) => targetType(c.converter).key.sameKey);
  db.function(LOADED_KEY, { deterministic: true }, (index, value, bytes) => {
    const i = index as number;
    if (value === null) return null;
    const converted = converters[i](value as Exclude<SqliteValue, null>);
    if (typeof converted !== "string") return null;
    // Text that is not UTF-8 reads with U+FFFD for its bad bytes: its bytes tell two such keys apart.
    if (converted.includes("\uFFFD")) return `\uFFFD${(bytes as Buffer).toString("hex")}`;
    return sameKey[i](converted);
  });
}

export function structuralExclusions(
  source: SourceTable,
  table: TablePlan,
  evidence: TableEvidence,
  duplicates: readonly Exclusion[],
): Exclusion[] {
  const exclusions: Exclusion[] = [];
  for (const rowKey of evidence.nullKeys) {
    exclusions.push({ rowKey, column: source.primaryKey[0] ?? null, reason: "NULL in the primary key", nullable: [] });
  }
  for (const orphans of evidence.orphans) {
    const indexes = orphans.columns.map((c) => table.columns.findIndex((col) => col.source === c));
    const names = indexes.map((i) => table.columns[i].name);
    // Only foreign keys the plan recreates constrain the load.
    if (!table.foreignKeys.some((fk) => fk.columns.join("\u0001") === names.join("\u0001"))) continue;
    const nullable = indexes.every((i) => !table.columns[i].notNull) ? indexes : [];
    for (const rowKey of orphans.rowKeys) {
      exclusions.push({
        rowKey,
        column: orphans.columns[0],
        reason: `orphaned reference: no row of "${orphans.parentTable}" has this key`,
        nullable,
      });
    }
  }
  return [...exclusions, ...duplicates];
}

/** Key column sets of `table` that other tables' foreign keys reference. */
export function referencedKeys(plan: MigrationPlan, table: TablePlan): number[][] {
  const sets: number[][] = [];
  for (const other of plan.tables) {
    for (const fk of other.foreignKeys) {
      if (fk.parentTable !== table.name) continue;
      const set = fk.parentColumns.map((c) => table.columns.findIndex((col) => col.name === c));
      if (!sets.some((s) => s.join() === set.join())) sets.push(set);
    }
  }
  return sets;
}
