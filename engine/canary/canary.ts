/**
 * The canary: the sample is loaded with the full plan into
 * <prefix>_canary, validated like any load, the test queries run on it,
 * and the transaction is rolled back: the canary is dropped by never being
 * committed, so nothing of it can be left behind.
 *
 * When a load follows in the same session (`keep`), the sample is that
 * load's first slice: only its keys, validation and queries are rolled back
 * (a savepoint), and the transaction stays open for the load, which sends
 * the CSV the sample sent again, then the rest of the export (load-table.ts).
 */
import { Client } from "pg";
import { describeError, MigrationError } from "../errors";
import { loadSchema, OpenFirstSlice, openFirstSlice, SchemaLoadResult } from "../load/load-schema";
import { MigrationPlan } from "../plan/model";
import { gatherSubsetStructure } from "../profile";
import { ProgressEvent, ProgressListener } from "../progress";
import { attachSubset, openSource, SourceSchema, useSinglePassCache } from "../source";
import { quoteIdent } from "../sql/identifiers";
import { applicableQueries } from "./queries";
import { buildSample, SampleOptions, validateSampleOptions } from "./sample";

export interface CanaryQueryResult {
  readonly name: string;
  readonly sql: string;
  readonly rows: number;
  readonly milliseconds: number;
}

export interface CanaryResult {
  readonly schema: string;
  readonly sampleRate: number;
  readonly sampleSeed: number;
  /** Rows per source table in the sample. */
  readonly sampleRows: Record<string, number>;
  readonly load: SchemaLoadResult;
  readonly queries: readonly CanaryQueryResult[];
  readonly seconds: number;
  /** Its rows stay as the first slice of the load that follows. */
  readonly kept: boolean;
}

export interface CanaryRun {
  readonly result: CanaryResult;
  /** The open transaction holding the sample, when kept: the load goes on in it, or rolls it back. */
  readonly firstSlice: OpenFirstSlice | null;
}

export interface CanaryInput {
  readonly client: Client;
  readonly sourcePath: string;
  /** The export's schema (from inspection). */
  readonly source: SourceSchema;
  readonly plan: MigrationPlan;
  readonly schema: string;
  /** The run's scratch folder, for the sample's key database and reject spools. */
  readonly scratchDirectory: string;
  readonly sample?: SampleOptions;
  readonly testQueries?: readonly string[];
  readonly onProgress?: ProgressListener;
  /** Keep the sample as the first slice of a load that follows on `client` (CanaryRun.firstSlice). */
  readonly keep?: boolean;
}

async function runQueries(
  client: Client,
  schema: string,
  plan: MigrationPlan,
  userQueries: readonly string[],
): Promise<CanaryQueryResult[]> {
  await client.query(`SET LOCAL search_path = ${quoteIdent(schema)}`);
  const results: CanaryQueryResult[] = [];
  for (const query of applicableQueries(plan.tables, userQueries)) {
    const started = performance.now();
    await client.query("SAVEPOINT sdm_canary_query");
    try {
      const result = await client.query(query.sql);
      results.push({ name: query.name, sql: query.sql, rows: result.rowCount ?? 0, milliseconds: performance.now() - started });
    } catch (error) {
      throw new MigrationError(
        "CANARY_FAILED",
        `canary test query "${query.name}" failed on ${schema}: ${describeError(error)}\n  ${query.sql}`,
        { cause: error },
      );
    }
    await client.query("RELEASE SAVEPOINT sdm_canary_query");
  }
  return results;
}

export async function runCanary(input: CanaryInput): Promise<CanaryRun> {
  const started = performance.now();
  const { rate, seed } = validateSampleOptions(input.sample ?? {});
  input.onProgress?.({ phase: "canary", message: `sampling ${Math.round(rate * 1000) / 10}% of the export (seed ${seed})` });
  const sample = buildSample(input.sourcePath, input.source, input.plan, input.scratchDirectory, { rate, seed });
  try {
    // The migrated tables only: the sample names no rows of the others.
    const source = { ...input.source, tables: input.plan.tables.map((t) => input.source.tables.find((s) => s.name === t.source)!) };
    const db = openSource(input.sourcePath);
    let evidence;
    try {
      attachSubset(db, sample.subset);
      useSinglePassCache(db);
      evidence = gatherSubsetStructure(db, source, input.sourcePath, sample.subset);
    } finally {
      db.close();
    }
    let queries: CanaryQueryResult[] = [];
    const loadInput = {
      client: input.client,
      sourcePath: input.sourcePath,
      subset: sample.subset,
      source,
      evidence,
      plan: input.plan,
      schema: input.schema,
      scratchDirectory: input.scratchDirectory,
      commit: false,
      onProgress: (event: ProgressEvent) => input.onProgress?.({ ...event, phase: "canary" }),
      beforeCommit: async () => {
        input.onProgress?.({ phase: "canary", message: `running test queries on ${input.schema}` });
        queries = await runQueries(input.client, input.schema, input.plan, input.testQueries ?? []);
      },
    };
    const firstSlice = input.keep ? await openFirstSlice(loadInput) : null;
    const load = firstSlice ? firstSlice.result : await loadSchema(loadInput);
    const sampleRows = Object.fromEntries(evidence.tables.map((t) => [t.name, t.rows]));
    const result = {
      schema: input.schema,
      sampleRate: rate,
      sampleSeed: seed,
      sampleRows,
      load,
      queries,
      seconds: (performance.now() - started) / 1000,
      kept: firstSlice !== null,
    };
    return { result, firstSlice };
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError("CANARY_FAILED", `canary load into ${input.schema} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    // A kept sample's keys are read again by the load: the run's scratch folder goes with them.
    if (!input.keep) sample.remove();
  }
}
