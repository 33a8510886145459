/**
 * Each contender run in its own fresh database and turned into table rows
 * plus the details kept in the JSON results. Contenders run one at a time
 * (two cores), each after a CHECKPOINT so none pays for the previous one's
 * dirty buffers.
 */
import { MigrationPlan } from "../engine/plan/model";
import type { CodecMeasurement } from "./codecs";
import { checkpoint, withFreshDatabase } from "./databases";
import { EngineRun, runEngine, runEngineComplete } from "./engine-runs";
import { FloorResult, runFloor } from "./floor";
import { epochCasts, PGLOADER_HEAP_MB, PgloaderRun, runPgloader } from "./pgloader";
import { ContenderRow, contenderRow } from "./results";
import { ActivityReport } from "./server-activity";
import { SourceExport } from "./source-export";

export interface ContenderContext {
  readonly serverUrl: string;
  readonly source: SourceExport;
  readonly plan: MigrationPlan;
  readonly workDirectory: string;
  readonly timeoutSeconds: number;
  readonly log: (line: string) => void;
}

export interface ContenderOutcome {
  readonly rows: ContenderRow[];
  readonly detail:
    | FloorResult
    | EngineRun
    | PgloaderRun
    | { plain: PgloaderRun; cast: PgloaderRun }
    | { schema: string; pgDumpMajor: number; codecs: CodecMeasurement[] }
    | { error: string };
}

/** A contender's outcome and what else ran on the server meanwhile. */
export interface ContenderRecord {
  readonly outcome: ContenderOutcome;
  /** Other sessions on the server while it ran; null when it did not run. */
  readonly activity: ActivityReport | null;
}

const s = (seconds: number) => `${seconds.toFixed(1)} s`;
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export async function floorContender(ctx: ContenderContext): Promise<ContenderOutcome> {
  return withFreshDatabase(ctx.serverUrl, "floor", async (url) => {
    await checkpoint(ctx.serverUrl);
    ctx.log("raw COPY floor: sqlite3 -csv | psql \\copy, table by table");
    const floor = await runFloor({
      sourcePath: ctx.source.path,
      databaseUrl: url,
      plan: ctx.plan,
      sourceRows: ctx.source.rows,
      timeoutSeconds: ctx.timeoutSeconds,
    });
    const changed = floor.typeChanges.map((c) => `${c.table}.${c.column} ${c.floorType} (plan: ${c.planType})`).join(", ");
    const status = floor.ok ? "ok" : "FAILED";
    const byKind = (prefix: RegExp) => floor.keyStatements.filter((k) => prefix.test(k.sql)).reduce((a, k) => a + k.seconds, 0);
    const keysNote = `PKs ${s(byKind(/PRIMARY KEY/))}, FKs ${s(byKind(/FOREIGN KEY/))}, indexes ${s(byKind(/^CREATE/))}; ANALYZE ${s(floor.analyzeSeconds)} not counted`;
    return {
      rows: [
        contenderRow(
          { id: "floorData", label: "raw COPY floor, data", note: floor.error ?? `serial; types as the plan except ${changed || "none"}` },
          status,
          floor.dataSeconds,
          floor.rss.peakBytes,
          ctx.source,
        ),
        contenderRow(
          { id: "floorKeys", label: "raw COPY floor, data + keys", note: floor.error ?? keysNote },
          status,
          floor.ok ? floor.dataSeconds + floor.keysSeconds : null,
          floor.rss.peakBytes,
          ctx.source,
        ),
      ],
      detail: floor,
    };
  });
}

export function streamsLabel(streams: number): string {
  return streams === 1 ? "this engine, simple" : `this engine, simple, ${streams} streams`;
}

function engineNote(run: EngineRun): string {
  if (!run.ok) return run.error ?? "failed";
  const t = run.report?.timings ?? {};
  // Each stream keys and validates its own table: only the foreign keys and what they changed come after.
  const streamed = (run.report?.streams ?? 1) > 1 ? " (each table's keys and validation in its stream)" : "";
  const parts = [`load rows ${s(t.loadRows ?? 0)}${streamed}`, `keys ${s(t.keys ?? 0)}`, `validation ${s(t.validation ?? 0)}`];
  if (t.canary !== undefined) parts.unshift(`canary ${s(t.canary)}`);
  const backup = run.report?.backup;
  if (backup) parts.push(`pg_dump ${s(backup.seconds)} alongside (${(backup.bytes / 2 ** 20).toFixed(0)} MB), waited ${s(t.backup ?? 0)}`);
  return parts.join(", ");
}

/** Simple mode with one table stream (the floor's one COPY session), or with BENCH_STREAMS for the "streams" contender. */
export async function engineSimpleContender(ctx: ContenderContext, streams = 1): Promise<ContenderOutcome> {
  const id = streams === 1 ? "simple" : "simpleStreams";
  return withFreshDatabase(ctx.serverUrl, `engine_${id.toLowerCase()}`, async (url) => {
    await checkpoint(ctx.serverUrl);
    ctx.log(`engine, mode simple, ${streams} stream(s), into a fresh database`);
    const input = { ...ctx, sourcePath: ctx.source.path, databaseUrl: url, sourceRows: ctx.source.rows };
    const run = await runEngine(input, "simple", id, streams);
    const row = contenderRow(
      { id, label: streamsLabel(streams), note: engineNote(run) },
      run.ok ? "ok" : "FAILED",
      run.wallSeconds,
      run.rss.peakBytes,
      ctx.source,
    );
    return { rows: [row], detail: run };
  });
}

export async function engineCompleteContender(ctx: ContenderContext): Promise<ContenderOutcome> {
  return withFreshDatabase(ctx.serverUrl, "engine_complete", async (url) => {
    const run = await runEngineComplete({ ...ctx, sourcePath: ctx.source.path, databaseUrl: url, sourceRows: ctx.source.rows }, () =>
      checkpoint(ctx.serverUrl),
    );
    const label = "this engine, complete (steady state)";
    const row = contenderRow(
      { id: "complete", label, note: engineNote(run) },
      run.ok ? "ok" : "FAILED",
      run.wallSeconds,
      run.rss.peakBytes,
      ctx.source,
    );
    return { rows: [row], detail: run };
  });
}

async function pgloaderRun(ctx: ContenderContext, database: string, casts: readonly string[]): Promise<PgloaderRun> {
  return withFreshDatabase(ctx.serverUrl, database, async (url) => {
    await checkpoint(ctx.serverUrl);
    ctx.log(`pgloader --dynamic-space-size ${PGLOADER_HEAP_MB}${casts.length > 0 ? ` with CAST ${casts.join(", ")}` : ", default casts"}`);
    return runPgloader({ ...ctx, sourcePath: ctx.source.path, databaseUrl: url, sourceRows: ctx.source.rows, casts });
  });
}

function pgloaderRow(run: PgloaderRun, id: "pgloader" | "pgloaderCast", ctx: ContenderContext): ContenderRow {
  const label = `pgloader ${run.version ?? ""}${id === "pgloaderCast" ? ", CAST for epoch columns" : ""}`.trim();
  const note = run.ok ? `exit 0, row counts equal; heap ${PGLOADER_HEAP_MB} MB` : (run.error ?? "failed");
  return contenderRow({ id, label, note }, run.ok ? "ok" : "FAILED", run.wallSeconds, run.rss?.peakBytes ?? null, ctx.source);
}

/**
 * pgloader with its defaults, judged by row counts; when that loses rows
 * and the export has epoch DATETIME columns, a second run (its own row)
 * with CAST rules for them, so a comparable pgloader figure exists too.
 */
export async function pgloaderContender(ctx: ContenderContext): Promise<ContenderOutcome> {
  const plain = await pgloaderRun(ctx, "pgloader", []);
  const rows = [pgloaderRow(plain, "pgloader", ctx)];
  const casts = epochCasts(ctx.plan);
  if (plain.ok || plain.exitCode === null || casts.length === 0) return { rows, detail: plain };
  const cast = await pgloaderRun(ctx, "pgloader_cast", casts);
  return { rows: [...rows, pgloaderRow(cast, "pgloaderCast", ctx)], detail: { plain, cast } };
}

/** A contender that threw (could not even start, lost the server) still gets its rows, marked FAILED. */
export function failedOutcome(
  ids: readonly ContenderRow["id"][],
  labels: readonly string[],
  error: unknown,
  source: SourceExport,
): ContenderOutcome {
  const message = errorText(error);
  return {
    rows: ids.map((id, i) => contenderRow({ id, label: labels[i], note: message }, "FAILED", null, null, source)),
    detail: { error: message },
  };
}
