/** What the oracle is asked and what it answers: the module's public types. */

export interface OracleOptions {
  /** The SQLite file, opened read-only. */
  sqlitePath: string;
  databaseUrl: string;
  /** The loaded PostgreSQL schema. */
  schema: string;
  /** The zone naive values were loaded in (default UTC). */
  timezone?: string | null;
  /** SQLite tables deliberately not loaded. */
  skipTables?: string[];
  /**
   * How the numbers of a date column read, by "table.column", as the test
   * wrote them (or stated them to the load). Others are read as SQLite's
   * auto modifier reads them (a Julian day, or Unix seconds).
   */
  readings?: Record<string, StatedReading>;
  /** The load's dateRange: a number read without a statement must fall in it. Defaults to 1900-2200, the load's default. */
  dateRange?: DateRangeYears;
}

export type StatedReading = "julian" | "unix-s" | "unix-ms" | "unix-us" | "unix-ns";

/** Years [from, to). */
export interface DateRangeYears {
  from: number;
  to: number;
}

export interface OracleDifference {
  table: string;
  column: string | null;
  rowKey: string | null;
  sqlite: string;
  postgres: string;
  rule: string;
}

export interface OracleTable {
  table: string;
  sqliteRows: number;
  loadedRows: number;
  rejectedRows: number;
  nulledValues: number;
  /** Values of loaded rows compared with their stored value, nulled ones excluded. */
  comparedValues: number;
  /** Differences found beyond the first 20 listed for the table. */
  unlistedDifferences: number;
}

export interface OracleResult {
  tables: OracleTable[];
  differences: OracleDifference[];
}
