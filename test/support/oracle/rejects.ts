/** The `_rejects` table: what it says was not loaded, and records in it that name nothing in the SQLite file. */

import type { Client } from "pg";
import type { OracleDifference } from "./public-types";
import { quoteIdent } from "./quote-ident";
import type { SqliteRow, SqliteTable } from "./sqlite-tables";

export interface TableRejects {
  rejected: Set<string>;
  /** row key -> SQLite column names nulled in that row. */
  nulled: Map<string, Set<string>>;
  /** Records whose action is neither 'rejected' nor 'nulled'. */
  unknownActions: { rowKey: string; column: string | null; action: string }[];
}

interface RejectRecord {
  table_name: string;
  row_key: string;
  column_name: string | null;
  action: string;
}

export function emptyRejects(): TableRejects {
  return { rejected: new Set(), nulled: new Map(), unknownActions: [] };
}

export async function readRejects(client: Client, schema: string): Promise<Map<string, TableRejects>> {
  const result = await client.query<RejectRecord>(`SELECT table_name, row_key, column_name, action FROM ${quoteIdent(schema)}._rejects`);
  const byTable = new Map<string, TableRejects>();
  for (const record of result.rows) {
    const rejects = byTable.get(record.table_name) ?? emptyRejects();
    byTable.set(record.table_name, rejects);
    if (record.action === "rejected") rejects.rejected.add(record.row_key);
    else if (record.action === "nulled" && record.column_name !== null) {
      const columns = rejects.nulled.get(record.row_key) ?? new Set<string>();
      rejects.nulled.set(record.row_key, columns.add(record.column_name));
    } else rejects.unknownActions.push({ rowKey: record.row_key, column: record.column_name, action: record.action });
  }
  return byTable;
}

/** _rejects records that name no row or column of the SQLite table, or an unknown action. */
export function rejectDifferences(table: SqliteTable, rows: SqliteRow[], rejects: TableRejects): OracleDifference[] {
  const keys = new Set(rows.map((r) => r.rowKey));
  const names = new Set(table.columns.map((c) => c.name));
  const found: OracleDifference[] = [];
  const report = (rowKey: string, column: string | null, postgres: string, rule: string) =>
    found.push({ table: table.name, column, rowKey, sqlite: "", postgres, rule });
  for (const key of rejects.rejected) if (!keys.has(key)) report(key, null, "_rejects: rejected", "reject names a SQLite row");
  for (const [key, columns] of rejects.nulled) {
    if (!keys.has(key)) report(key, null, "_rejects: nulled", "reject names a SQLite row");
    for (const column of columns) if (!names.has(column)) report(key, column, "_rejects: nulled", "reject names a SQLite column");
  }
  for (const u of rejects.unknownActions) report(u.rowKey, u.column, `_rejects: ${u.action}`, "reject action is 'rejected' or 'nulled'");
  return found;
}

/** Reject records for tables that are not in the SQLite file at all. */
export function unknownTableRejects(rejects: Map<string, TableRejects>, known: Set<string>): OracleDifference[] {
  return [...rejects.keys()]
    .filter((name) => !known.has(name))
    .map((name) => ({
      table: name,
      column: null,
      rowKey: null,
      sqlite: "(no table)",
      postgres: "_rejects",
      rule: "reject names a SQLite table",
    }));
}
