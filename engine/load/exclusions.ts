/**
 * Rows set aside before loading: keys that become duplicates once
 * converted, orphans and NULL keys found by the profile, and the
 * referenced key columns whose rejected rows a child must follow.
 */
import { MigrationPlan, TablePlan } from "../plan/model";
import { TableEvidence } from "../profile";
import { rowKeyExpression } from "../profile/structure";
import { RowSubset, SourceDatabase, SourceTable, subsetCondition } from "../source";
import { quoteIdent } from "../sql/identifiers";
import { targetType } from "../types/target-types";
import { Exclusion } from "./protocol";

/**
 * Rows whose key duplicates an earlier row's once converted (1 and '1' are
 * different values in a column without affinity, the same integer in
 * PostgreSQL). The first row by rowid of the whole table keeps the key,
 * with or without a subset: a sample, and the rest of a load whose first
 * slice it was, set aside the rows the whole load would.
 */
export function duplicateKeys(db: SourceDatabase, source: SourceTable, table: TablePlan, subset?: RowSubset): Exclusion[] {
  if (source.rowidAlias || source.withoutRowid || table.primaryKey.length === 0) return [];
  const keyColumns = source.primaryKey.map((k) => {
    const spec = table.columns.find((c) => c.source === k)!.converter;
    return targetType(spec).key.canonical(quoteIdent(k));
  });
  const key = keyColumns.map((expr, i) => `${expr} AS k${i}`).join(", ");
  const partition = keyColumns.map((_, i) => `k${i}`).join(", ");
  const notNull = keyColumns.map((_, i) => `k${i} IS NOT NULL`).join(" AND ");
  const inSubset = subsetCondition(source, subset);
  const sql = `SELECT rk FROM (
      SELECT ${rowKeyExpression(source)} AS rk, rowid, row_number() OVER (PARTITION BY ${partition} ORDER BY rowid) AS n FROM (SELECT rowid, ${key} FROM ${quoteIdent(source.name)})
      WHERE ${notNull}) WHERE n > 1${inSubset ? ` AND ${inSubset}` : ""}`;
  // rowKeyExpression refers to rowid, which the inner select carries.
  return (db.prepare(sql).pluck().all() as number[]).map((rowKey) => ({
    rowKey,
    column: source.primaryKey[0],
    reason: `duplicate primary key (${source.primaryKey.join(", ")}) once converted; the first row keeps it`,
    nullable: [],
  }));
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
