/** One SQLite table checked against its loaded PostgreSQL table, and the context every table shares. */

import type Database from "better-sqlite3";
import type { Client } from "pg";
import { PgColumn, readCatalog } from "./catalog";
import { matchColumns, settleTemporalColumn } from "./compared-columns";
import { expectRows } from "./expected-rows";
import { pairLeftovers } from "./leftover-pairing";
import { numberReader } from "./date-numbers";
import type { DateRangeYears, OracleDifference, OracleOptions, OracleTable, StatedReading } from "./public-types";
import { prepareSession } from "./referee";
import { emptyRejects, readRejects, rejectDifferences, TableRejects } from "./rejects";
import { countDifferences, rowDifferences } from "./row-differences";
import { readSqliteRows, SqliteTable } from "./sqlite-tables";
import { readStoredRows } from "./stored-rows";

const MAX_LISTED = 20;

export interface Context {
  db: Database.Database;
  client: Client;
  schema: string;
  catalog: Map<string, PgColumn[]>;
  rejects: Map<string, TableRejects>;
  readings: Record<string, StatedReading>;
  dateRange: DateRangeYears;
}

interface TableOutcome {
  summary: OracleTable;
  differences: OracleDifference[];
}

/** One table: its columns, its _rejects records, its row count and every value; at most MAX_LISTED differences listed. */
export async function compareTable(ctx: Context, table: SqliteTable): Promise<TableOutcome> {
  const rows = readSqliteRows(ctx.db, table);
  const pgColumns = ctx.catalog.get(table.name);
  const summary: OracleTable = {
    table: table.name,
    sqliteRows: rows.length,
    loadedRows: 0,
    rejectedRows: 0,
    nulledValues: 0,
    comparedValues: 0,
    unlistedDifferences: 0,
  };
  if (!pgColumns) {
    const sqlite = `${rows.length} rows`;
    return {
      summary,
      differences: [{ table: table.name, column: null, rowKey: null, sqlite, postgres: "(no table)", rule: "missing table" }],
    };
  }
  const { columns, differences } = matchColumns(table, pgColumns);
  for (const column of columns)
    if (column.family === "instant")
      settleTemporalColumn(column, rows, numberReader(ctx.db, ctx.readings[`${table.name}.${column.name}`] ?? null, ctx.dateRange));
  const rejects = ctx.rejects.get(table.name) ?? emptyRejects();
  differences.push(...rejectDifferences(table, rows, rejects));
  const expected = await expectRows(ctx.client, rows, columns, rejects);
  const stored = await readStoredRows(ctx.client, ctx.schema, table.name, columns);
  Object.assign(summary, {
    loadedRows: stored.length,
    rejectedRows: expected.rejectedRows,
    nulledValues: expected.nulledValues,
    comparedValues: expected.rows.length * columns.length - expected.nulledValues,
  });
  differences.push(...countDifferences(summary, expected.rows.length));
  differences.push(...rowDifferences(table.name, columns, pairLeftovers(table, columns, expected.rows, stored)));
  summary.unlistedDifferences = Math.max(0, differences.length - MAX_LISTED);
  return { summary, differences: differences.slice(0, MAX_LISTED) };
}

/** Prepares the session and reads the catalog and _rejects; a missing _rejects is itself a difference. */
export async function loadContext(
  db: Database.Database,
  client: Client,
  options: OracleOptions,
): Promise<{ ctx: Context; differences: OracleDifference[] }> {
  await prepareSession(client, options.timezone ?? "UTC");
  const catalog = await readCatalog(client, options.schema);
  const ctx: Context = {
    db,
    client,
    schema: options.schema,
    catalog,
    rejects: new Map(),
    readings: options.readings ?? {},
    // The load's default (README, Configuration reference): stated here, not read from the engine.
    dateRange: options.dateRange ?? { from: 1900, to: 2200 },
  };
  if (!catalog.has("_rejects")) {
    const missing = { table: "_rejects", column: null, rowKey: null, sqlite: "", postgres: "(no table)", rule: "missing table" };
    return { ctx, differences: [missing] };
  }
  ctx.rejects = await readRejects(client, options.schema);
  return { ctx, differences: [] };
}
