/**
 * The tables of a parallel load, each in a session of its own: created in
 * the staging schema, filled by COPY FREEZE, keyed, indexed, analyzed and
 * validated against the rows sent, then committed. Foreign keys wait for the
 * version's transaction (load-schema.ts), which needs both tables of each.
 * A table whose session fails is rolled back in it, so the staging schema
 * only ever holds whole tables.
 */
import { Client } from "pg";
import { widenedMessage } from "../plan/widen";
import { qualified } from "../sql/identifiers";
import { validateTable } from "../validate/validate";
import { addIndexes, addPrimaryKeys } from "./constraints";
import { createTableSql, LOAD_SESSION_SETTINGS } from "./ddl";
import { forEachTableJobConcurrently, TableJobContext } from "./jobs";
import type { LoadedTable, LoadSchemaInput, LoadStreams } from "./load-schema";
import { loadTable } from "./load-table";

export async function stageTables(input: LoadSchemaInput, staging: string, streams: LoadStreams): Promise<LoadedTable[]> {
  const idle: Client[] = [];
  const open = new Set<Client>();
  const session = async (): Promise<Client> => {
    const reused = idle.pop();
    if (reused) return reused;
    const client = await streams.connect();
    open.add(client);
    return client;
  };
  try {
    return await forEachTableJobConcurrently(
      input,
      streams.count,
      async (context) => {
        const client = await session();
        const result = await stageTable(client, input, staging, context).catch(async (error: unknown) => {
          // A session whose rollback failed is not reused.
          if (
            !(await client.query("ROLLBACK").then(
              () => true,
              () => false,
            ))
          ) {
            open.delete(client);
            await client.end().catch(() => undefined);
          } else idle.push(client);
          throw error;
        });
        idle.push(client);
        return result;
      },
      (table) => input.onProgress?.({ phase: "load", table: table.name, message: widenedMessage(table) }),
      (table, why) => input.onProgress?.({ phase: "load", table: table.name, message: `loading ${table.name} again: ${why.message}` }),
    );
  } finally {
    await Promise.all([...open].map((client) => client.end().catch(() => undefined)));
  }
}

async function stageTable(client: Client, input: LoadSchemaInput, staging: string, context: TableJobContext): Promise<LoadedTable> {
  const { table, job, evidence, signal } = context;
  let done = 0;
  const progress = (message: string) => input.onProgress?.({ phase: "load", table: table.name, done, total: evidence.rows, message });
  signal?.throwIfAborted();
  await client.query("BEGIN");
  for (const setting of LOAD_SESSION_SETTINGS) await client.query(setting);
  await client.query(createTableSql(staging, table));
  progress(`loading ${table.name}`);
  const result = await loadTable({
    client,
    schema: staging,
    table,
    job,
    scratchDirectory: input.scratchDirectory,
    signal,
    onRows: (rows) => {
      done += rows;
      progress(`loading ${table.name}`);
    },
  });
  if (done !== result.read.stats.rowsRead) {
    done = result.read.stats.rowsRead;
    progress(`loaded ${table.name}`);
  }
  input.onProgress?.({ phase: "keys", table: table.name, message: `building the primary key and indexes of ${table.name}` });
  await addPrimaryKeys(client, staging, [table]);
  await addIndexes(client, staging, [table]);
  await client.query(`ANALYZE ${qualified(staging, table.name)}`);
  input.onProgress?.({ phase: "validation", table: table.name, message: `validating ${table.name} (rows, types, checksum)` });
  const validation = await validateTable(client, staging, table, { rows: result.rowsLoaded, digest: result.digest, keyOrder: false });
  await context.parentsSettled();
  signal?.throwIfAborted();
  await client.query("COMMIT");
  return { ...context, result, read: result.read, validation };
}
