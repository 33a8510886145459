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
import { createHash } from "node:crypto";
import { Client } from "pg";
import { describeError, undoAfter, ValidationError } from "../errors";
import { rollBack } from "../sql/transaction";
import { MigrationPlan, REJECTS_TABLE, TablePlan } from "../plan/model";
import { widenedMessage } from "../plan/widen";
import { SourceEvidence } from "../profile";
import { ProgressListener } from "../progress";
import { RowSubset, SourceSchema } from "../source";
import { qualified, quoteIdent } from "../sql/identifiers";
import { checkMeaning } from "../validate/meaning";
import { createStaging, dropStaging } from "../versions/staging";
import { TableValidation, validateTable, validationMismatches } from "../validate/validate";
import { addForeignKeys, addIndexes, addPrimaryKeys, RepairedRows } from "./constraints";
import { createTableSql, LOAD_SESSION_SETTINGS, rejectsTableSql } from "./ddl";
import { forEachTableJob, TableRunContext } from "./jobs";
import { loadTable, TableLoadResult } from "./load-table";
import { ReaderJob, TableReadStats } from "./protocol";
import { ReadResult, readTable, WideningRequired } from "./read-table";
import { stageTables } from "./staging-load";

export interface LoadSchemaInput {
  readonly client: Client;
  readonly sourcePath: string;
  readonly source: SourceSchema;
  readonly evidence: SourceEvidence;
  readonly plan: MigrationPlan;
  /** Only these rows of the export (the canary's sample). */
  readonly subset?: RowSubset;
  /** The schema to create; it must not exist. */
  readonly schema: string;
  /** The run's scratch folder, for reject spools (scratch/scratch.ts). */
  readonly scratchDirectory: string;
  readonly onProgress?: ProgressListener;
  /** Last steps inside the transaction, after validation (metadata, test queries). */
  readonly beforeCommit?: (result: SchemaLoadResult) => Promise<void>;
  /** false: roll back at the end instead of committing (a canary that leaves nothing). */
  readonly commit: boolean;
  /** Tables loaded at once, each in a session of its own; absent or 1: every table in the load's session. */
  readonly streams?: LoadStreams;
}

export interface LoadStreams {
  readonly count: number;
  /** The prefix whose staging schema the streams fill. */
  readonly prefix: string;
  /** Opens one more session to the target. */
  readonly connect: () => Promise<Client>;
}

export interface TableLoadSummary {
  readonly table: string;
  readonly source: string;
  /** The table as loaded: the plan, with any column widened for values outside the sample. */
  readonly plan: TablePlan;
  /** Column names in PostgreSQL, in the order of stats.columns. */
  readonly columns: readonly string[];
  readonly sourceRows: number;
  readonly rowsLoaded: number;
  readonly rejected: number;
  readonly nulled: number;
  readonly refusedByServer: number;
  /** Rows set aside before loading because their key repeats once converted. */
  readonly duplicates: number;
  readonly stats: TableReadStats;
  readonly validation: TableValidation;
  readonly seconds: number;
}

export interface SchemaLoadResult {
  readonly schema: string;
  readonly tables: readonly TableLoadSummary[];
  readonly timings: { readonly load: number; readonly keys: number; readonly validation: number; readonly total: number };
}

export type LoadedTable = TableRunContext & {
  result: TableLoadResult;
  read: ReadResult;
  /** The table validated in its stream, before the foreign keys (parallel loads only). */
  validation?: TableValidation;
};

/**
 * A load done and validated inside its open transaction: nothing of it is
 * visible until complete() commits it; undo() rolls it back. The caller
 * decides between them (a version commits only once the backup of the
 * version it replaces is safe on disk).
 */
export interface OpenLoad {
  readonly result: SchemaLoadResult;
  complete(): Promise<void>;
  /** Rolls the load back (and drops the staging schema of a streamed one); throws only when that fails. */
  undo(): Promise<void>;
}

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

async function openStreamedLoad(input: LoadSchemaInput, streams: LoadStreams): Promise<OpenLoad> {
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

/** Rows changed in PostgreSQL after loading are taken out of the source hash too. */
async function sourceDigestAfterRepairs(
  item: LoadedTable,
  repaired: RepairedRows,
): Promise<{ rows: number; digest: string; keyOrder: boolean }> {
  const changes = repaired.get(item.table.source) ?? [];
  if (changes.length === 0) return { rows: item.result.rowsLoaded, digest: item.result.digest, keyOrder: false };
  // One worker, in key order: the read-back of a changed table is in key order too.
  const job: ReaderJob = {
    ...item.job,
    rowidRange: null,
    policy: changes.some((c) => c.nulled) ? "null" : item.job.policy,
    exclusions: [
      ...item.job.exclusions,
      ...changes.map((c) => ({
        rowKey: c.rowKey,
        column: c.nulled?.[0] ?? null,
        reason: c.reason,
        nullable: (c.nulled ?? []).map((name) => item.job.columns.findIndex((col) => col.source === name)),
      })),
    ],
  };
  const hasher = createHash("sha256");
  const read = await readTable(job, { chunk: (data) => void hasher.update(data), rejects: () => undefined });
  return { rows: read.stats.rowsEmitted, digest: job.hashRows ? read.rowHash! : hasher.digest("hex"), keyOrder: true };
}

async function validateAll(input: LoadSchemaInput, loaded: readonly LoadedTable[], repaired: RepairedRows): Promise<TableLoadSummary[]> {
  const summaries: TableLoadSummary[] = [];
  for (const item of loaded) {
    input.onProgress?.({ phase: "validation", table: item.table.name, message: `validating ${item.table.name} (rows, types, checksum)` });
    const changes = repaired.get(item.table.source) ?? [];
    const validation =
      item.validation && changes.length === 0
        ? item.validation
        : await validateTable(input.client, input.schema, item.table, await sourceDigestAfterRepairs(item, repaired));
    const meaning = await checkMeaning({
      client: input.client,
      schema: input.schema,
      sourcePath: input.sourcePath,
      subset: input.subset,
      source: item.source,
      table: item.table,
    });
    summaries.push({
      table: item.table.name,
      source: item.table.source,
      plan: item.table,
      columns: item.table.columns.map((c) => c.name),
      sourceRows: item.result.read.stats.rowsRead,
      rowsLoaded: validation.actualRows,
      rejected: item.result.rejected + changes.filter((c) => !c.nulled).length,
      nulled: item.result.nulled + changes.filter((c) => c.nulled).length,
      refusedByServer: item.result.refusedByServer,
      duplicates: item.duplicates,
      stats: item.result.read.stats,
      validation: meaning.length > 0 ? { ...validation, ok: false, meaningMismatches: meaning } : validation,
      seconds: item.result.seconds,
    });
  }
  const mismatches = validationMismatches(summaries.map((s) => s.validation));
  if (mismatches.length > 0) throw new ValidationError(input.schema, mismatches, summaries.find((s) => !s.validation.ok)?.source);
  return summaries;
}
