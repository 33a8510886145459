/** Primary keys, foreign keys and indexes of a planned table, and its read order. */
import { SourceTable } from "../source";
import { ColumnPlan, ForeignKeyPlan, IndexPlan, PlanNote, ReadOrder, REJECTS_TABLE, TablePlan } from "./model";
import { columnName, fittedName, RenameMap, tableName } from "./names";
import { targetType } from "../types/target-types";

export function primaryKeyName(table: string): string {
  return fittedName(`${table}_pkey`);
}

const sameColumns = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** PostgreSQL needs a unique constraint on referenced columns: the parent's key or a unique index. */
function referencesUniqueKey(parent: SourceTable, columns: readonly string[]): boolean {
  if (sameColumns(parent.primaryKey, columns)) return true;
  return parent.indexes.some(
    (i) =>
      i.unique &&
      sameColumns(
        i.columns.map((c) => c.name),
        columns,
      ),
  );
}

export function foreignKeysOf(table: SourceTable, tables: readonly SourceTable[], renames: RenameMap, notes: PlanNote[]): ForeignKeyPlan[] {
  const plans: ForeignKeyPlan[] = [];
  for (const fk of table.foreignKeys) {
    const parent = tables.find((t) => t.name === fk.parentTable);
    const where = `foreign key of "${table.name}" (${fk.columns.join(", ")}) -> "${fk.parentTable}"`;
    if (!parent) {
      notes.push({ level: "warning", message: `${where} dropped: the parent table is not migrated` });
      continue;
    }
    if (!referencesUniqueKey(parent, fk.parentColumns)) {
      notes.push({
        level: "warning",
        message: `${where} dropped: (${fk.parentColumns.join(", ")}) is neither the parent's primary key nor unique`,
      });
      continue;
    }
    const name = tableName(renames, table.name);
    plans.push({
      name: fittedName(`${name}_${fk.columns.join("_")}_fkey`),
      columns: fk.columns.map((c) => columnName(renames, table.name, c)),
      parentTable: tableName(renames, parent.name),
      parentColumns: fk.parentColumns.map((c) => columnName(renames, parent.name, c)),
      onDelete: fk.onDelete,
      onUpdate: fk.onUpdate,
    });
  }
  return plans;
}

/** Indexes to recreate: all but the primary key's own and unique copies of it. */
export function indexesOf(table: SourceTable, renames: RenameMap): IndexPlan[] {
  const taken = new Set([primaryKeyName(tableName(renames, table.name))]);
  const plans: IndexPlan[] = [];
  for (const index of table.indexes) {
    const columns = index.columns.map((c) => c.name);
    if (index.origin === "pk" || (index.unique && sameColumns(columns, table.primaryKey))) continue;
    let name = fittedName(index.name);
    for (let n = 2; taken.has(name); n++) name = fittedName(`${index.name}_${n}`);
    taken.add(name);
    plans.push({
      name,
      unique: index.unique,
      columns: index.columns.map((c) => ({ name: columnName(renames, table.name, c.name), descending: c.descending })),
    });
  }
  return plans;
}

/**
 * Rows are read in an order PostgreSQL can reproduce, so validation hashes
 * both sides as one stream: the rowid when it is the integer key, else the
 * key when its values keep their order through conversion (integers, text).
 */
export function readOrderOf(table: SourceTable, columns: readonly ColumnPlan[]): ReadOrder {
  if (table.rowidAlias) return { kind: "rowid" };
  if (table.primaryKey.length === 0) return { kind: "none" };
  const orderSafe = table.primaryKey.every((key) => {
    const spec = columns.find((c) => c.source === key)?.converter;
    return spec !== undefined && targetType(spec).key.ordersAsSqlite !== false;
  });
  return orderSafe ? { kind: "key", columns: table.primaryKey } : { kind: "none" };
}

/**
 * Primary keys and indexes are relations in PostgreSQL, in the same
 * namespace as the tables of their schema (SQLite keeps a table's key
 * apart): the key "t_pkey" of table "t" clashes with a source table named
 * "t_pkey", and a source index may bear the name another table's key gets.
 * Tables keep their names; keys and indexes give way with a numeric suffix,
 * in load order, and the plan says so.
 */
export function settleRelationNames(tables: readonly TablePlan[], notes: PlanNote[]): TablePlan[] {
  const taken = new Set([...tables.map((t) => t.name), REJECTS_TABLE]);
  const claim = (name: string, what: string) => {
    let settled = name;
    for (let n = 2; taken.has(settled); n++) settled = fittedName(`${name}_${n}`);
    taken.add(settled);
    if (settled !== name)
      notes.push({ level: "info", message: `${what} is named "${settled}": "${name}" is taken by another table, key or index` });
    return settled;
  };
  return tables.map((t) => ({
    ...t,
    primaryKeyName: t.primaryKeyName === null ? null : claim(t.primaryKeyName, `primary key of "${t.name}"`),
    indexes: t.indexes.map((i) => ({ ...i, name: claim(i.name, `index "${i.name}" of "${t.name}"`) })),
  }));
}
