/**
 * Introspection of any SQLite database: tables (rowid and WITHOUT ROWID),
 * columns with declared types, primary keys (composite too), foreign keys,
 * indexes and defaults; views with their SQL and result columns. Triggers
 * and virtual tables are listed as skipped. Identifiers keep their case and spaces.
 */
import { INDEX_COLUMNS, LIST_SCHEMA_OBJECTS, LIST_TABLES, TABLE_COLUMNS, TABLE_FOREIGN_KEYS, TABLE_INDEXES } from "./catalog";
import { SkippedObject, SourceColumn, SourceForeignKey, SourceIndex, SourceSchema, SourceTable, SourceView } from "./model";
import { SourceDatabase } from "./open";

interface TableListRow {
  name: string;
  type: string;
  withoutRowid: number;
  strict: number;
}
interface ColumnRow {
  cid: number;
  name: string;
  type: string;
  isNotNull: number;
  defaultSql: string | null;
  pk: number;
  hidden: number;
}
interface ForeignKeyRow {
  id: number;
  seq: number;
  parentTable: string;
  fromColumn: string;
  toColumn: string | null;
  onUpdate: string;
  onDelete: string;
}
interface IndexRow {
  name: string;
  isUnique: number;
  origin: "c" | "u" | "pk";
  partial: number;
}
interface IndexColumnRow {
  seqno: number;
  cid: number;
  name: string | null;
  isDescending: number;
}
interface SchemaObjectRow {
  type: string;
  name: string;
  tableName: string;
  sql: string | null;
}

export function introspectSource(db: SourceDatabase): SourceSchema {
  const skipped: SkippedObject[] = [];
  const views: SourceView[] = [];
  const objects = db.prepare(LIST_SCHEMA_OBJECTS).all() as SchemaObjectRow[];
  for (const object of objects) {
    if (object.type === "view") views.push(introspectView(db, object));
    if (object.type === "trigger")
      skipped.push({ name: object.name, kind: "trigger", reason: `trigger on "${object.tableName}" is SQLite code and is not translated` });
  }
  const virtualTables = new Set(
    objects.filter((o) => o.type === "table" && /^\s*CREATE\s+VIRTUAL\s+TABLE/i.test(o.sql ?? "")).map((o) => o.name),
  );
  const tables: SourceTable[] = [];
  for (const row of db.prepare(LIST_TABLES).all() as TableListRow[]) {
    if (row.type === "view" || row.type === "shadow") continue;
    if (virtualTables.has(row.name) || row.type === "virtual") {
      skipped.push({ name: row.name, kind: "virtual table", reason: "virtual tables (FTS, R*Tree, ...) have no PostgreSQL counterpart" });
      continue;
    }
    tables.push(introspectTable(db, row, skipped));
  }
  return { tables, views: views.sort((a, b) => a.name.localeCompare(b.name)), skipped };
}

/** A view's result columns; a view SQLite itself cannot expand (a missing table) has none to report. */
function introspectView(db: SourceDatabase, object: SchemaObjectRow): SourceView {
  let columns: ColumnRow[];
  try {
    columns = db.prepare(TABLE_COLUMNS).all(object.name) as ColumnRow[];
  } catch {
    columns = [];
  }
  return { name: object.name, sql: object.sql ?? "", columns: columns.map((c) => ({ name: c.name, declaredType: c.type ?? "" })) };
}

function introspectTable(db: SourceDatabase, row: TableListRow, skipped: SkippedObject[]): SourceTable {
  const withoutRowid = row.withoutRowid === 1;
  const columnRows = db.prepare(TABLE_COLUMNS).all(row.name) as ColumnRow[];
  const columns: SourceColumn[] = columnRows.map((c) => ({
    name: c.name,
    declaredType: c.type ?? "",
    notNull: c.isNotNull === 1,
    defaultSql: c.defaultSql,
    primaryKeyOrdinal: c.pk,
    generated: c.hidden === 2 || c.hidden === 3,
  }));
  const primaryKey = columns
    .filter((c) => c.primaryKeyOrdinal > 0)
    .sort((a, b) => a.primaryKeyOrdinal - b.primaryKeyOrdinal)
    .map((c) => c.name);
  const rowidAlias =
    !withoutRowid && primaryKey.length === 1 && isRowidAliasType(columns.find((c) => c.name === primaryKey[0])!.declaredType)
      ? primaryKey[0]
      : null;
  return {
    name: row.name,
    withoutRowid,
    strict: row.strict === 1,
    columns,
    primaryKey,
    rowidAlias,
    foreignKeys: foreignKeysOf(db, row.name),
    indexes: indexesOf(db, row.name, skipped),
  };
}

/** Only the exact type name INTEGER makes a primary key an alias of the rowid. */
function isRowidAliasType(declaredType: string): boolean {
  return declaredType.trim().toUpperCase() === "INTEGER";
}

function foreignKeysOf(db: SourceDatabase, table: string): SourceForeignKey[] {
  const rows = db.prepare(TABLE_FOREIGN_KEYS).all(table) as ForeignKeyRow[];
  const byId = new Map<number, ForeignKeyRow[]>();
  for (const fk of rows) byId.set(fk.id, [...(byId.get(fk.id) ?? []), fk]);
  return [...byId.values()].map((parts) => {
    const parentTable = parts[0].parentTable;
    const named = parts.every((p) => p.toColumn !== null);
    return {
      columns: parts.map((p) => p.fromColumn),
      parentTable,
      parentColumns: named ? parts.map((p) => p.toColumn!) : parentPrimaryKey(db, parentTable),
      onDelete: parts[0].onDelete,
      onUpdate: parts[0].onUpdate,
    };
  });
}

function parentPrimaryKey(db: SourceDatabase, table: string): string[] {
  const columns = db.prepare(TABLE_COLUMNS).all(table) as ColumnRow[];
  return columns
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
}

function indexesOf(db: SourceDatabase, table: string, skipped: SkippedObject[]): SourceIndex[] {
  const indexes: SourceIndex[] = [];
  for (const index of db.prepare(TABLE_INDEXES).all(table) as IndexRow[]) {
    const keyColumns = db.prepare(INDEX_COLUMNS).all(index.name) as IndexColumnRow[];
    if (index.partial === 1 || keyColumns.some((k) => k.cid < 0 || k.name === null)) {
      skipped.push({
        name: index.name,
        kind: "index",
        reason: `index on "${table}" uses an expression or a WHERE clause, which is not translated`,
      });
      continue;
    }
    indexes.push({
      name: index.name,
      unique: index.isUnique === 1,
      origin: index.origin,
      columns: keyColumns.map((k) => ({ name: k.name!, descending: k.isDescending === 1 })),
    });
  }
  return indexes.sort((a, b) => a.name.localeCompare(b.name));
}
