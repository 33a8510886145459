/**
 * The bench's own databases on the server: each contender gets a fresh one,
 * named `sdbench_<contender>`, created before it runs and dropped after,
 * also when it fails. A database of that name left by a killed bench is
 * dropped first; no other database is ever touched.
 */
import { Client } from "pg";
import { describeConnection } from "../engine/sql/connect";
import { qualified, quoteIdent } from "../engine/sql/identifiers";

export const DATABASE_PREFIX = "sdbench_";
/** application_name of the bench's own connections (server-activity.ts leaves them out). */
export const BENCH_APPLICATION_NAME = "servicedesk-bench";

/** The URL of `database` on the server of `serverUrl` (same user, host, port, query). */
export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export async function withClient<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, application_name: BENCH_APPLICATION_NAME });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to ${describeConnection(url)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  if (!database.startsWith(DATABASE_PREFIX)) throw new Error(`refusing to drop "${database}": not a bench database`);
  await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`));
}

/**
 * Creates `sdbench_<name>`, runs `fn` with its URL, drops it whatever
 * happens. A failed drop is reported on stderr without hiding fn's outcome.
 */
export async function withFreshDatabase<T>(serverUrl: string, name: string, fn: (url: string) => Promise<T>): Promise<T> {
  const database = `${DATABASE_PREFIX}${name}`;
  await dropDatabase(serverUrl, database);
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(database)}`));
  try {
    return await fn(databaseUrlFor(serverUrl, database));
  } finally {
    await dropDatabase(serverUrl, database).catch((error: Error) => {
      process.stderr.write(`bench: could not drop database ${database}: ${error.message}\n`);
    });
  }
}

/** Writes dirty buffers out before a timed run, so no contender pays for the previous one's checkpoint. */
export async function checkpoint(serverUrl: string): Promise<void> {
  await withClient(serverUrl, (c) => c.query("CHECKPOINT"));
}

export async function serverVersion(serverUrl: string): Promise<string> {
  return withClient(serverUrl, async (c) => (await c.query<{ v: string }>("SELECT version() AS v")).rows[0].v);
}

/**
 * Rows per table, for tables found by name (case-insensitive) in any
 * non-system schema of the database; a table found nowhere counts null.
 * When several schemas hold it, `schema` (if given) wins.
 */
export async function countRows(url: string, tables: readonly string[], schema?: string): Promise<Record<string, number | null>> {
  return withClient(url, async (client) => {
    const counts: Record<string, number | null> = {};
    for (const table of tables) {
      const { rows } = await client.query<{ nspname: string; relname: string }>(
        `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND lower(c.relname) = lower($1)
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
         ORDER BY (n.nspname = $2) DESC, (c.relname = $1) DESC, n.nspname`,
        [table, schema ?? ""],
      );
      if (rows.length === 0) {
        counts[table] = null;
        continue;
      }
      const found = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(rows[0].nspname, rows[0].relname)}`);
      counts[table] = Number(found.rows[0].n);
    }
    return counts;
  });
}

/**
 * Column name -> PostgreSQL type per table, as a contender created them (for
 * the record); tables of `schema`, or of every non-system schema as
 * "schema.table" when it is null.
 */
export async function columnTypes(url: string, schema: string | null): Promise<Record<string, Record<string, string>>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ nspname: string; relname: string; attname: string; type: string }>(
      `SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
         AND ($1::text IS NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' OR n.nspname = $1)
       ORDER BY n.nspname, c.relname, a.attnum`,
      [schema],
    );
    const types: Record<string, Record<string, string>> = {};
    for (const row of rows) (types[schema === null ? `${row.nspname}.${row.relname}` : row.relname] ??= {})[row.attname] = row.type;
    return types;
  });
}
