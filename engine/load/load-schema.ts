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
 *
 * The canary's sample can be a load's first slice (openFirstSlice): it is
 * loaded, checked and its keys rolled back in the transaction the load
 * then goes on in, and each table's COPY sends the slice's CSV again
 * before the rest.
 */

import { mkdtempSync, rmSync } from "node:fs";
import * as path from "node:path";
import { undoAfter } from "../errors";
import { rollBack } from "../sql/transaction";
import { widenedMessage } from "../plan/widen";
import { qualified, quoteIdent } from "../sql/identifiers";
import { addForeignKeys, addIndexes, addPrimaryKeys } from "./constraints";
import { copySliceRejectsSql, createTableSql, LOAD_SESSION_SETTINGS, rejectsTableSql } from "./ddl";
import { forEachTableJob, SourceInputs } from "./table-jobs";
import { loadTable } from "./load-table";
import { WideningRequired } from "./read-table";
import type { LoadedTable, LoadSchemaInput, OpenFirstSlice, OpenLoad, SchemaLoadResult } from "./load-model";
import { complementOf, RowSubset } from "../source";
import { openStreamedLoad } from "./staging-load";
import { validateAll } from "./validate-loaded";

export type {
  FirstSlice,
  LoadedTable,
  LoadSchemaInput,
  LoadStreams,
  OpenFirstSlice,
  OpenLoad,
  SchemaLoadResult,
  TableLoadSummary,
} from "./load-model";

export async function openLoad(input: LoadSchemaInput): Promise<OpenLoad> {
  const streams = input.streams;
  if (!input.firstSlice && streams && streams.count > 1 && input.commit && input.plan.tables.length > 1)
    return openStreamedLoad(input, streams);
  const { client } = input;
  // After a first slice the load goes on in the slice's transaction.
  if (!input.firstSlice) await client.query("BEGIN");
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

/**
 * The canary's sample as the first slice of a load: loaded into `schema`
 * in a transaction left open, then keyed, validated and checked
 * (`beforeCommit`: the test queries) in a savepoint rolled back after, so
 * what stays is the slice's rows and rejects. The load that follows
 * (openLoad with `firstSlice`) goes on in the same transaction; undo() is
 * the way out when none follows. A failure rolls everything back.
 */
export async function openFirstSlice(input: LoadSchemaInput & { readonly subset: RowSubset }): Promise<OpenFirstSlice> {
  const { client } = input;
  await client.query("BEGIN");
  try {
    const started = performance.now();
    await createSchema(input);
    const directory = mkdtempSync(path.join(input.scratchDirectory, "first-slice-"));
    const loaded = await loadTables(input, directory);
    await client.query("SAVEPOINT sdm_first_slice");
    const result = await keyAndValidate(input, loaded, started);
    await input.beforeCommit?.(result);
    await client.query("ROLLBACK TO SAVEPOINT sdm_first_slice");
    return {
      result,
      slice: { schema: input.schema, subset: input.subset, tables: loaded, directory },
      undo: async () => void (await client.query("ROLLBACK")),
    };
  } catch (error) {
    return rollBack(client, error);
  }
}

async function createSchema({ client, schema }: LoadSchemaInput): Promise<void> {
  for (const setting of LOAD_SESSION_SETTINGS) await client.query(setting);
  await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await client.query(rejectsTableSql(schema));
}

async function loadInTransaction(input: LoadSchemaInput): Promise<SchemaLoadResult> {
  const started = performance.now();
  await createSchema(input);
  const loaded = await loadTables(input);
  // Its rows and rejects are in the version's tables now.
  if (input.firstSlice) await input.client.query(`DROP SCHEMA ${quoteIdent(input.firstSlice.schema)} CASCADE`);
  return keyAndValidate(input, loaded, started);
}

async function keyAndValidate(input: LoadSchemaInput, loaded: LoadedTable[], started: number): Promise<SchemaLoadResult> {
  const { client, schema, plan } = input;
  const loadSeconds = (performance.now() - started) / 1000;
  input.onProgress?.({ phase: "keys", message: `building primary keys, foreign keys and indexes of ${schema}` });
  await addPrimaryKeys(client, schema, plan.tables);
  const repaired = await addForeignKeys(client, schema, plan.tables, plan.badValuePolicy);
  input.onProgress?.({ phase: "indexes", message: `building ${plan.tables.reduce((n, t) => n + t.indexes.length, 0)} indexes` });
  await addIndexes(client, schema, plan.tables);
  // Statistics for the planner of the version's readers. A load rolled back at the end (the canary, whose
  // sample's statistics would be the sample's anyway) throws them away: ANALYZE reads up to 30,000 rows of
  // every table, whatever its size, which made it a tenth of the canary's time at 200,000 tickets.
  if (input.commit) for (const table of plan.tables) await client.query(`ANALYZE ${qualified(schema, table.name)}`);
  const keysSeconds = (performance.now() - started) / 1000 - loadSeconds;

  const tables = await validateAll(input, loaded, repaired);
  const total = (performance.now() - started) / 1000;
  return { schema, tables, timings: { load: loadSeconds, keys: keysSeconds, validation: total - loadSeconds - keysSeconds, total } };
}

/** The inputs of the table runs: after a first slice, the rows outside it, with the columns it was loaded with. */
function sourceInputs(input: LoadSchemaInput): SourceInputs {
  const slice = input.firstSlice;
  if (!slice) return input;
  // A table whose CSV the slice could not keep (a full disk) is read whole.
  const sliced = new Map(slice.tables.filter((t) => t.result.keptIn !== null).map((t) => [t.table.name, t]));
  return {
    ...input,
    subset: complementOf(slice.subset),
    plan: { ...input.plan, tables: input.plan.tables.map((t) => sliced.get(t.name)?.table ?? t) },
    afterSlice: sliced,
  };
}

/** Where a first slice keeps the CSV it sent of a table: in its folder, by the table's place in the plan. */
function sliceFile(directory: string, input: LoadSchemaInput, table: string): string {
  return path.join(directory, `table-${input.plan.tables.findIndex((t) => t.name === table)}.csv`);
}

/** Every table in load order; `keepSentIn`: the folder a first slice keeps its CSV in. */
async function loadTables(input: LoadSchemaInput, keepSentIn?: string): Promise<LoadedTable[]> {
  const { client, schema } = input;
  const first = input.firstSlice;
  const sliceOf = new Map(first?.tables.map((t) => [t.table.name, t]));
  return forEachTableJob(
    sourceInputs(input),
    async ({ table, evidence, job, continuesSlice }) => {
      const slice = continuesSlice ? sliceOf.get(table.name)! : null;
      // A table read again with wider columns starts from nothing: its first attempt is undone here.
      await client.query("SAVEPOINT sdm_table_attempt");
      let done = slice?.read.stats.rowsRead ?? 0;
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
          ...(keepSentIn ? { keepSentIn: sliceFile(keepSentIn, input, table.name) } : {}),
          ...(slice ? { firstSlice: { file: slice.result.keptIn!, loaded: slice.result } } : {}),
          onRows: (rows) => {
            done += rows;
            progress(`loading ${table.name}`);
          },
        });
        await client.query("RELEASE SAVEPOINT sdm_table_attempt");
        if (slice) {
          await client.query(copySliceRejectsSql(first!.schema, schema), [table.source]);
          rmSync(slice.result.keptIn!, { force: true });
        }
        if (result.keepFailure !== null)
          progress(`could not keep the CSV ${table.name} sent (${result.keepFailure}): the load reads ${table.name} whole`);
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
