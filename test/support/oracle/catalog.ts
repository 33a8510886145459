/** The stored side's catalog: the tables of the loaded schema and their columns with their types. */

import type { Client } from "pg";
import { groupBy } from "./group-by";

export interface PgColumn {
  name: string;
  type: string;
}

export async function readCatalog(client: Client, schema: string): Promise<Map<string, PgColumn[]>> {
  const result = await client.query<{ table: string; name: string; type: string }>(
    `SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const byTable = groupBy(result.rows, (row) => row.table);
  return new Map([...byTable].map(([table, rows]) => [table, rows.map((r) => ({ name: r.name, type: r.type }))]));
}
