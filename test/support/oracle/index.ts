/**
 * Independent oracle: checks, value by value, that a SQLite database was loaded
 * into a PostgreSQL schema without any value changing its meaning.
 *
 * It shares nothing with the migration engine (nothing under engine/ is
 * imported or imitated): the rules below are written from the load contract,
 * and wherever a conversion could be argued about, PostgreSQL's own input
 * function is the referee.
 *
 * The contract
 * - Every SQLite table (except sqlite_* tables, views, virtual tables and their
 *   shadow tables, and those in `skipTables`) has a PostgreSQL table of the same
 *   name in the schema, with the same columns in the same order
 *   (pragma_table_xinfo order, generated columns included).
 * - `_rejects(table_name, row_key, column_name, raw_value, reason, action)`
 *   accounts for what was not loaded: 'rejected' = the row is absent, 'nulled' =
 *   the row is loaded with that column NULL. `row_key` is the rowid, or SQLite's
 *   json_array(pk1, pk2, ...) for WITHOUT ROWID tables.
 * - Loaded rows = SQLite rows - rejected rows; each loaded row must match one
 *   SQLite row in every column (rows are compared as multisets, so tables
 *   without a key and duplicate rows are handled).
 *
 * The meaning domain is chosen by the PostgreSQL column type (format_type);
 * the SQLite value (typeof, integers exact) is on the left:
 * - NULL matches only NULL; a nulled value must be NULL.
 * - bigint/integer/smallint: the same integer. integer: itself; real: only an
 *   integral one, its exact value; text: text::bigint.
 * - numeric[(p,s)]: the same decimal, scale ignored (1.50 = 1.5). integer:
 *   exact; text: text::numeric; real: the decimal PostgreSQL's float8 output
 *   prints for it. NaN and +-Infinity as such.
 * - double precision/real: the same double, as PostgreSQL's float8 text (so -0
 *   is not 0). integer: only if a double holds it exactly; text: text::float8.
 * - boolean: text::boolean of the value's text (integers as their digits).
 * - date/timestamp/timestamptz: the same instant, extract(epoch) exact to the
 *   microsecond; a naive timestamp or a date (at midnight) is read in
 *   `timezone` (default UTC). SQLite text: text::timestamptz in that TimeZone,
 *   DateStyle ISO, DMY, or MDY when the column's slash dates have a second field
 *   above 12 and never a first. SQLite number (date-numbers.ts): in the reading
 *   the test states for the column (`readings`), else as SQLite's own auto
 *   modifier reads it (a Julian day as SQLite holds it, to the millisecond;
 *   Unix seconds exact to the microsecond), and then only inside the load's
 *   `dateRange` (default 1900-2200): outside, or unread by SQLite, the row
 *   must have been rejected.
 * - text/varchar(n)/char(n): the same string. integer: its decimal digits;
 *   real: its float8 text; blob: its bytes as UTF-8. char(n) ignores trailing
 *   spaces, as PostgreSQL does.
 * - bytea: the same bytes. text: its UTF-8; integer: its digits; real: its
 *   float8 text.
 * - uuid: text::uuid of a text; a blob is the UUID of its bytes in order (its
 *   32 hex digits read by uuid's input function).
 * - any other type: the value's text cast to the type, then ::text, against the
 *   stored ::text; a difference names the type as unsupported.
 * - A blob is read as its UTF-8 text wherever a text would be parsed. A value
 *   the referee refuses, or text PostgreSQL cannot hold (invalid UTF-8, NUL),
 *   is a difference unless its row was rejected or the value nulled.
 *
 * How: SQLite rows are read into memory and each value's expected canonical
 * text computed; the distinct texts that need PostgreSQL's input functions go
 * in batches to a pg_temp function that turns an error into a refusal. The
 * stored rows are read with their canonical text computed by SQL, and both
 * sides are compared as multisets of tuples. Leftover rows are paired by
 * primary key (without one: rows differing in one column, then the most
 * similar rows) to name the column; unpaired ones are missing or extra rows.
 * At most 20 differences are listed per table; the rest are counted.
 */

import Database from "better-sqlite3";
import { Client } from "pg";
import type { OracleOptions, OracleResult, OracleTable } from "./public-types";
import { unknownTableRejects } from "./rejects";
import { listSqliteTables } from "./sqlite-tables";
import { compareTable, loadContext } from "./table-comparison";

export type { OracleDifference, OracleOptions, OracleResult, OracleTable } from "./public-types";

/** Checks the load of `options.sqlitePath` into `options.schema`; see the module comment for the rules. */
export async function compareValueByValue(options: OracleOptions): Promise<OracleResult> {
  const db = new Database(options.sqlitePath, { readonly: true, fileMustExist: true });
  const client = new Client({ connectionString: options.databaseUrl });
  await client.connect().catch((error: unknown) => {
    db.close();
    throw error;
  });
  try {
    const { ctx, differences } = await loadContext(db, client, options);
    const skipped = new Set(options.skipTables ?? []);
    const all = listSqliteTables(db);
    const tables: OracleTable[] = [];
    for (const table of all.filter((t) => !skipped.has(t.name))) {
      const outcome = await compareTable(ctx, table);
      tables.push(outcome.summary);
      differences.push(...outcome.differences);
    }
    differences.push(...unknownTableRejects(ctx.rejects, new Set(all.map((t) => t.name))));
    return { tables, differences };
  } finally {
    await client.end();
    db.close();
  }
}
