/**
 * Source names to PostgreSQL names. Names are kept as they are (case,
 * spaces) and quoted everywhere; a rename map changes them. A name over 63
 * bytes, or two names that would collide, is an error naming both, because
 * PostgreSQL would silently truncate and merge them.
 */
import { createHash } from "node:crypto";
import { IdentifierError, OptionError } from "../errors";
import { assertIdentifierFits, identifierBytes, MAX_IDENTIFIER_BYTES, truncatedIdentifier } from "../sql/identifiers";
import { REJECTS_TABLE } from "./model";

export interface RenameMap {
  /** Source table name -> PostgreSQL table name. */
  readonly tables?: Readonly<Record<string, string>>;
  /** Source table name -> (source column name -> PostgreSQL column name). */
  readonly columns?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

function assertNoCollision(names: readonly { source: string; target: string }[], what: string, table?: string): void {
  const seen = new Map<string, string>();
  for (const { source, target } of names) {
    const stored = truncatedIdentifier(target);
    const other = seen.get(stored);
    if (other !== undefined) {
      throw new IdentifierError(
        "IDENTIFIER_COLLISION",
        [other, source],
        `${what} "${other}" and "${source}" would both be stored as "${stored}" in PostgreSQL; give one of them another name with the rename map (--rename-table / --rename-column)`,
        table === undefined ? { table: source } : { table, column: source },
      );
    }
    seen.set(stored, source);
  }
}

function assertFits(names: readonly { source: string; target: string }[], what: string, table?: string): void {
  for (const { source, target } of names) {
    assertIdentifierFits(
      target,
      source === target ? what : `${what} "${source}" renamed to`,
      table === undefined ? { table: source } : { table, column: source },
    );
  }
}

export function tableName(renames: RenameMap, source: string): string {
  return renames.tables?.[source] ?? source;
}

export function columnName(renames: RenameMap, table: string, source: string): string {
  return renames.columns?.[table]?.[source] ?? source;
}

/** Checks every table and column name the plan will create. */
export function checkNames(renames: RenameMap, tables: readonly { name: string; columns: readonly { name: string }[] }[]): void {
  const tableNames = tables.map((t) => ({ source: t.name, target: tableName(renames, t.name) }));
  assertNoCollision(tableNames, "tables");
  assertFits(tableNames, "table");
  const rejects = tableNames.find((t) => t.target === REJECTS_TABLE);
  if (rejects)
    throw new OptionError("renames.tables", `table "${rejects.source}" would clash with the rejects table "${REJECTS_TABLE}"; rename it`);
  for (const table of tables) {
    const columns = table.columns.map((c) => ({ source: c.name, target: columnName(renames, table.name, c.name) }));
    assertNoCollision(columns, `columns of table "${table.name}":`, table.name);
    assertFits(columns, `column of table "${table.name}":`, table.name);
  }
  for (const [table, map] of Object.entries(renames.columns ?? {})) {
    const known = tables.find((t) => t.name === table);
    if (!known) throw new OptionError("renames.columns", `no table "${table}" in the source`);
    for (const column of Object.keys(map)) {
      if (!known.columns.some((c) => c.name === column))
        throw new OptionError("renames.columns", `no column "${column}" in table "${table}"`);
    }
  }
}

/**
 * A constraint or index name that fits in 63 bytes: as is when it fits,
 * else shortened with a hash of the full name so it stays unique.
 */
export function fittedName(name: string): string {
  if (identifierBytes(name) <= MAX_IDENTIFIER_BYTES) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${truncatedIdentifier(name.slice(0, 50))}_${hash}`;
}
