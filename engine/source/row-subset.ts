/**
 * A subset of the export's rows, named by their identity (rowid, or the
 * primary key of a WITHOUT ROWID table) in a small key database of our own.
 * The canary reads the export through one: the export itself is only ever
 * opened read-only, and nothing is copied out of it but keys.
 */
import { quoteIdent } from "../sql/identifiers";
import type { SourceDatabase } from "./open";

/** The schema name the key database is attached under, on read-only connections. */
export const SUBSET_SCHEMA = "sdm_subset";

export interface RowSubset {
  /** The key database. */
  readonly file: string;
  /** Source table -> its key table in the key database. */
  readonly keyTables: Readonly<Record<string, string>>;
  /** Every row but those named (the rest of a load whose first slice was the subset). */
  readonly complement?: boolean;
}

/** What identifies a row: its rowid, or its primary key when it has no rowid. */
export interface RowIdentity {
  readonly name: string;
  readonly withoutRowid: boolean;
  readonly primaryKey: readonly string[];
}

export function identityColumns(table: RowIdentity): string[] {
  return table.withoutRowid ? [...table.primaryKey] : ["rowid"];
}

/** The identity columns as SQL: `rowid`, or the key's quoted columns, each qualified by `alias` when given. */
export function identitySql(table: RowIdentity, alias = ""): string[] {
  return identityColumns(table).map((c) => (alias ? `${alias}.` : "") + (c === "rowid" ? c : quoteIdent(c)));
}

/** Attaches the key database (read-only, like the connection). */
export function attachSubset(db: SourceDatabase, subset: RowSubset | undefined): void {
  if (subset) db.prepare(`ATTACH DATABASE ? AS ${SUBSET_SCHEMA}`).run(subset.file);
}

/** The rows the subset does not name. */
export function complementOf(subset: RowSubset): RowSubset {
  return { ...subset, complement: !subset.complement };
}

/**
 * The condition that keeps a table's rows to the subset ("" without one),
 * for a WHERE clause; `alias` qualifies the table's columns.
 */
export function subsetCondition(table: RowIdentity, subset: RowSubset | undefined, alias = ""): string {
  if (!subset) return "";
  const keyTable = subset.keyTables[table.name];
  if (keyTable === undefined) throw new Error(`the row subset names no key table for "${table.name}"`);
  const columns = identitySql(table, alias);
  const keys = columns.map((_, i) => `k${i}`).join(", ");
  const tuple = columns.length === 1 ? columns[0] : `(${columns.join(", ")})`;
  return `${tuple} ${subset.complement ? "NOT IN" : "IN"} (SELECT ${keys} FROM ${SUBSET_SCHEMA}.${quoteIdent(keyTable)})`;
}

/** `WHERE <condition>` or "", to append after a FROM clause. */
export function subsetWhere(table: RowIdentity, subset: RowSubset | undefined, alias = ""): string {
  const condition = subsetCondition(table, subset, alias);
  return condition ? ` WHERE ${condition}` : "";
}
