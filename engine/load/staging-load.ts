/**
 * The tables of a parallel load, each in a session of its own: created in
 * the staging schema, filled by COPY FREEZE, keyed, indexed, analyzed and
 * validated against the rows sent, then committed. Foreign keys wait for the
 * version's transaction (openStreamedLoad), which moves the staged tables
 * in, adds them (they need both tables of each) and validates what they
 * changed. A table whose session fails is rolled back in it, so the staging
 * schema only ever holds whole tables.
 */
import { Client } from "pg";
import { widenedMessage } from "../plan/widen";
import { qualified, quoteIdent } from "../sql/identifiers";
import { validateTable } from "../validate/validate";
import { addForeignKeys, addIndexes, addPrimaryKeys } from "./constraints";
import { createTableSql, LOAD_SESSION_SETTINGS, rejectsTableSql } from "./ddl";
import { forEachTableJobConcurrently, TableJobContext } from "./table-jobs";
import type { LoadedTable, LoadSchemaInput, LoadStreams, OpenLoad, SchemaLoadResult } from "./load-model";
import { describeError, undoAfter } from "../errors";
import { REJECTS_TABLE } from "../plan/model";
import { createStaging, dropStaging } from "../versions/staging";
import { validateAll } from "./validate-loaded";
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

export async function openStreamedLoad(input: LoadSchemaInput, streams: LoadStreams): Promise<OpenLoad> {
  const { client, schema, plan } = input;
  const started = performance.now();
  const staging = await createStaging(client, streams.prefix);
  const discard = () => dropStaging(client, streams.prefix);
  let staged: LoadedTable[];
  try {
    // Every stream writes its table's rejects here, in its own transaction.
    await client.query(rejectsTableSql(staging));
    staged = await stageTables(input, staging, streams);
  } catch (error) {
    return undoAfter(error, discard);
  }
  // The staging schema goes whether the rollback succeeds or not.
  const undo = () =>
    client
      .query("ROLLBACK")
      .then(discard, (rollbackFailure: unknown) => undoAfter(rollbackFailure, discard))
      .then(() => undefined);
  await client.query("BEGIN");
  let result: SchemaLoadResult;
  try {
    for (const setting of LOAD_SESSION_SETTINGS) await client.query(setting);
    await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    // A catalog change per table: the rows, keys and indexes stay where the streams wrote them.
    for (const name of [REJECTS_TABLE, ...plan.tables.map((t) => t.name)])
      await client.query(`ALTER TABLE ${qualified(staging, name)} SET SCHEMA ${quoteIdent(schema)}`);
    const loadSeconds = (performance.now() - started) / 1000;
    input.onProgress?.({ phase: "keys", message: `building the foreign keys of ${schema}` });
    const repaired = await addForeignKeys(client, schema, plan.tables, plan.badValuePolicy);
    const keysSeconds = (performance.now() - started) / 1000 - loadSeconds;
    const tables = await validateAll(input, staged, repaired);
    const total = (performance.now() - started) / 1000;
    result = { schema, tables, timings: { load: loadSeconds, keys: keysSeconds, validation: total - loadSeconds - keysSeconds, total } };
  } catch (error) {
    return undoAfter(error, undo);
  }
  return {
    result,
    async complete() {
      await client.query("COMMIT");
      // Empty now: one left behind holds nothing, and the next run drops it first.
      await discard().catch((error: unknown) =>
        input.onProgress?.({ phase: "load", message: `the empty schema ${staging} stays until the next run: ${describeError(error)}` }),
      );
    },
    undo,
  };
}
