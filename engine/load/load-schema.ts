/**
 * Loads the whole plan into one new schema inside one transaction: tables,
 * rows (COPY), rejects, keys, foreign keys, indexes, validation, and the
 * caller's last steps (metadata), then COMMIT. Readers never see a partial
 * schema, and a failure or a killed process leaves nothing behind: the
 * server rolls the transaction back.
 *
 * With parallel streams, each table is loaded, keyed and validated in a
 * session of its own and committed into the staging schema
 * (staging-load.ts, versions/staging.ts); the version's transaction then
 * moves the tables in, adds the foreign keys and validates what they
 * changed. Readers still see nothing before the version is ready; what a
 * killed run leaves is the staging schema, which the next run drops.
 */

import { undoAfter } from "../errors";
import { rollBack } from "../sql/transaction";
import { widenedMessage } from "../plan/widen";
import { qualified, quoteIdent } from "../sql/identifiers";
import { addForeignKeys, addIndexes, addPrimaryKeys } from "./constraints";
import { createTableSql, LOAD_SESSION_SETTINGS, rejectsTableSql } from "./ddl";
import { forEachTableJob } from "./table-jobs";
import { loadTable } from "./load-table";
import { WideningRequired } from "./read-table";
import type { LoadedTable, LoadSchemaInput, OpenLoad, SchemaLoadResult } from "./load-model";
import { openStreamedLoad } from "./staging-load";
import { validateAll } from "./validate-loaded";

export type { LoadedTable, LoadSchemaInput, LoadStreams, OpenLoad, SchemaLoadResult, TableLoadSummary } from "./load-model";

export async function openLoad(input: LoadSchemaInput): Promise<OpenLoad> {
  const streams = input.streams;
  if (streams && streams.count > 1 && input.commit && input.plan.tables.length > 1) return openStreamedLoad(input, streams);
  const { client } = input;
  await client.query("BEGIN");
  let result: SchemaLoadResult;
  try {
    result = await loadInTransaction(input);
  } catch (error) {
    return rollBack(client, error);
  }
  return { result, complete: async () => void (await client.query("COMMIT")), undo: async () => void (await client.query("ROLLBACK")) };
}

/** A whole load: open, the caller's last steps, then commit (or roll back when `commit` is false: the canary). */
export async function loadSchema(input: LoadSchemaInput): Promise<SchemaLoadResult> {
  const load = await openLoad(input);
  try {
    await input.beforeCommit?.(load.result);
  } catch (error) {
    return undoAfter(error, load.undo);
  }
  if (input.commit) await load.complete();
  else await load.undo();
  return load.result;
}

async function loadInTransaction(input: LoadSchemaInput): Promise<SchemaLoadResult> {
  const { client, schema, plan } = input;
  const started = performance.now();
  for (const setting of LOAD_SESSION_SETTINGS) await client.query(setting);
  await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await client.query(rejectsTableSql(schema));
  const loaded = await loadTables(input);
  const loadSeconds = (performance.now() - started) / 1000;

  input.onProgress?.({ phase: "keys", message: `building primary keys, foreign keys and indexes of ${schema}` });
  await addPrimaryKeys(client, schema, plan.tables);
  const repaired = await addForeignKeys(client, schema, plan.tables, plan.badValuePolicy);
  input.onProgress?.({ phase: "indexes", message: `building ${plan.tables.reduce((n, t) => n + t.indexes.length, 0)} indexes` });
  await addIndexes(client, schema, plan.tables);
  for (const table of plan.tables) await client.query(`ANALYZE ${qualified(schema, table.name)}`);
  const keysSeconds = (performance.now() - started) / 1000 - loadSeconds;

  const tables = await validateAll(input, loaded, repaired);
  const total = (performance.now() - started) / 1000;
  return { schema, tables, timings: { load: loadSeconds, keys: keysSeconds, validation: total - loadSeconds - keysSeconds, total } };
}

async function loadTables(input: LoadSchemaInput): Promise<LoadedTable[]> {
  const { client, schema } = input;
  return forEachTableJob(
    input,
    async ({ table, evidence, job }) => {
      // A table read again with wider columns starts from nothing: its first attempt is undone here.
      await client.query("SAVEPOINT sdm_table_attempt");
      let done = 0;
      const progress = (message: string) => input.onProgress?.({ phase: "load", table: table.name, done, total: evidence.rows, message });
      try {
        await client.query(createTableSql(schema, table));
        progress(`loading ${table.name}`);
        const result = await loadTable({
          client,
          schema,
          table,
          job,
          scratchDirectory: input.scratchDirectory,
          onRows: (rows) => {
            done += rows;
            progress(`loading ${table.name}`);
          },
        });
        await client.query("RELEASE SAVEPOINT sdm_table_attempt");
        // Rejected rows never reach COPY: report the table as fully read.
        if (done !== result.read.stats.rowsRead) {
          done = result.read.stats.rowsRead;
          progress(`loaded ${table.name}`);
        }
        return { result, read: result.read };
      } catch (error) {
        if (error instanceof WideningRequired) await client.query("ROLLBACK TO SAVEPOINT sdm_table_attempt");
        throw error;
      }
    },
    (table) => input.onProgress?.({ phase: "load", table: table.name, message: widenedMessage(table) }),
  );
}
