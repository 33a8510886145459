/** The SQL that creates a loaded schema, as functions of the plan. Every identifier is quoted. */
import { ColumnPlan, ForeignKeyPlan, IndexPlan, REJECTS_TABLE, TablePlan } from "../plan/model";
import { qualified, quoteIdent } from "../sql/identifiers";

/** SQLite's ON DELETE/UPDATE actions that PostgreSQL shares. */
const ACTIONS = new Set(["CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"]);

/** Session settings of every load: the text forms the loader writes and validation reads. */
export const LOAD_SESSION_SETTINGS = [
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL TimeZone = 'UTC'",
  "SET LOCAL extra_float_digits = 1",
  "SET LOCAL bytea_output = 'hex'",
  "SET LOCAL client_encoding = 'UTF8'",
  // Validation reads tables back in insertion order with a plain sequential scan.
  "SET LOCAL synchronize_seqscans = off",
  "SET LOCAL max_parallel_workers_per_gather = 0",
  // Index and key builds after the data: sorts in memory, two workers.
  "SET LOCAL maintenance_work_mem = '256MB'",
  "SET LOCAL max_parallel_maintenance_workers = 2",
] as const;

function columnDefinition(column: ColumnPlan): string {
  const parts = [quoteIdent(column.name), column.type];
  if (column.defaultSql !== null) parts.push(`DEFAULT ${column.defaultSql}`);
  if (column.notNull) parts.push("NOT NULL");
  return parts.join(" ");
}

export function createTableSql(schema: string, table: TablePlan): string {
  return `CREATE TABLE ${qualified(schema, table.name)} (\n  ${table.columns.map(columnDefinition).join(",\n  ")}\n)`;
}

/**
 * FREEZE writes the rows already frozen and visible to all, so the reads
 * that follow in the same transaction (key and index builds, validation)
 * do not set hint bits on, and so write again, every page. PostgreSQL
 * takes it only for a table created or truncated in the current
 * subtransaction: see freezeSql, run right before.
 */
export function copySql(schema: string, table: TablePlan): string {
  return `COPY ${qualified(schema, table.name)} (${table.columns.map((c) => quoteIdent(c.name)).join(", ")}) FROM STDIN WITH (FORMAT csv, FREEZE)`;
}

/** Truncating the new, empty table makes it "truncated in the current subtransaction", which COPY FREEZE needs. */
export function freezeSql(schema: string, table: TablePlan): string {
  return `TRUNCATE ${qualified(schema, table.name)}`;
}

export function primaryKeySql(schema: string, table: TablePlan): string | null {
  if (table.primaryKey.length === 0 || table.primaryKeyName === null) return null;
  return `ALTER TABLE ${qualified(schema, table.name)} ADD CONSTRAINT ${quoteIdent(table.primaryKeyName)} PRIMARY KEY (${table.primaryKey.map(quoteIdent).join(", ")})`;
}

export function foreignKeySql(schema: string, table: TablePlan, fk: ForeignKeyPlan): string {
  const actions = [
    ACTIONS.has(fk.onDelete.toUpperCase()) ? ` ON DELETE ${fk.onDelete.toUpperCase()}` : "",
    ACTIONS.has(fk.onUpdate.toUpperCase()) ? ` ON UPDATE ${fk.onUpdate.toUpperCase()}` : "",
  ].join("");
  return (
    `ALTER TABLE ${qualified(schema, table.name)} ADD CONSTRAINT ${quoteIdent(fk.name)} FOREIGN KEY (${fk.columns.map(quoteIdent).join(", ")}) ` +
    `REFERENCES ${qualified(schema, fk.parentTable)} (${fk.parentColumns.map(quoteIdent).join(", ")})${actions}`
  );
}

export function indexSql(schema: string, table: TablePlan, index: IndexPlan): string {
  const columns = index.columns.map((c) => `${quoteIdent(c.name)}${c.descending ? " DESC" : ""}`).join(", ");
  return `CREATE ${index.unique ? "UNIQUE " : ""}INDEX ${quoteIdent(index.name)} ON ${qualified(schema, table.name)} (${columns})`;
}

/** Every value that was not loaded as it was: the row key, the raw value, why, and what was done. */
export function rejectsTableSql(schema: string): string {
  return `CREATE TABLE ${qualified(schema, REJECTS_TABLE)} (
  table_name text NOT NULL,
  row_key text NOT NULL,
  column_name text,
  raw_value text,
  reason text NOT NULL,
  action text NOT NULL CHECK (action IN ('rejected', 'nulled'))
)`;
}

/** The columns a reject is written with, in the reject spool's order. */
const REJECT_COLUMNS = "table_name, row_key, column_name, raw_value, reason, action";

/** The rejects of one table ($1, its source name) of a first slice, taken into the load that goes on from it. */
export function copySliceRejectsSql(from: string, to: string): string {
  return `INSERT INTO ${qualified(to, REJECTS_TABLE)} (${REJECT_COLUMNS}) SELECT ${REJECT_COLUMNS} FROM ${qualified(from, REJECTS_TABLE)} WHERE table_name = $1`;
}

export function copyRejectsSql(schema: string): string {
  return `COPY ${qualified(schema, REJECTS_TABLE)} (${REJECT_COLUMNS}) FROM STDIN WITH (FORMAT csv)`;
}
