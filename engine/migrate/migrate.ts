/**
 * One migration run, in the mode asked for:
 *
 *   simple      load a new version, validate, switch the stable schema
 *   canary      gate + canary on a sample, nothing kept
 *   blue-green  load a new version, keep the previous, switch only on cutover
 *   complete    health, canary and gate, backup of the active version,
 *               load + validation + full gate before commit, cutover
 *
 * Every run holds the prefix's advisory lock; every load is one
 * transaction; a retained version loaded from the same export with the
 * same options is adopted instead of reloaded.
 */
import { Client } from "pg";
import { asMigrationError } from "../errors";
import { modeBehaviour } from "../modes";
import { connect, requireCreatePrivilege } from "../sql/connect";
import { dropStaging, readVersionMetadata, stableState, VersionMetadata, withPrefixLock } from "../versions";
import { Inspection, inspectSource } from "./inspect";
import { MigrateOptions, ResolvedOptions, resolveOptions } from "./options";
import { adoptableVersion, adoptVersion, newRun, PHASES, Run, runPhases } from "./phases";
import { MigrationReport } from "./report";
import { buildReport, failureReport, ReportContext, tableReports } from "./report-builder";

/** The report context of a run past inspection. */
type RunContext = ReportContext & { readonly inspection: Inspection };

async function timedIn<T>(timings: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await fn();
  } finally {
    timings[name] = (timings[name] ?? 0) + (performance.now() - started) / 1000;
  }
}

/**
 * Runs one migration. Every failure is a MigrationError with a code (see
 * errors.ts) and, in `report`, the run report up to the failure.
 */
export async function migrate(raw: MigrateOptions): Promise<MigrationReport> {
  const options = resolveOptions(raw);
  const timings: Record<string, number> = {};
  const startedAt = new Date();
  let inspection: Inspection | null = options.inspection ?? null;
  try {
    return await connectAndRun(options, startedAt, timings, (done) => (inspection = done));
  } catch (error) {
    const failure = asMigrationError(error);
    failure.report ??= failureReport({ options, inspection, startedAt, timings }, failure);
    throw failure;
  }
}

async function connectAndRun(
  options: ResolvedOptions,
  startedAt: Date,
  timings: Record<string, number>,
  inspected: (inspection: Inspection) => void,
): Promise<MigrationReport> {
  // The server first: a wrong URL or a role without CREATE is refused in
  // seconds, not after the export has been read.
  const client = await connect(options.databaseUrl);
  try {
    await requireCreatePrivilege(client, options.databaseUrl);
    options.onProgress?.({ phase: "inspect", message: `inspecting ${options.sourcePath}` });
    const inspection = options.inspection ?? (await timedIn(timings, "inspect", () => inspectSource(options.sourcePath, options)));
    inspected(inspection);
    return await withPrefixLock(client, options.schemaPrefix, { timeoutMs: options.lockTimeoutMs }, async () => {
      const state = await stableState(client, options.schemaPrefix);
      const meta = state?.active ? await readVersionMetadata(client, state.active) : null;
      // An active version dropped behind our back is no version to back up or compare with.
      const active = meta ? meta.schema : null;
      if (state?.active && !meta)
        options.onProgress?.({
          phase: "inspect",
          message: `the active version ${state.active} no longer exists; continuing as if none were active`,
        });
      const previousRows = meta ? Object.fromEntries(Object.entries(meta.tables).map(([t, v]) => [t, v.rows])) : undefined;
      return run(client, { options, inspection, startedAt, timings }, active, previousRows);
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A run under the prefix lock: the adoption of a retained version when one
 * holds this export, else the phases of the mode's row (engine/modes.ts),
 * run by the runner (phases/phase.ts), which undoes what a failure leaves.
 */
async function run(client: Client, ctx: RunContext, active: string | null, previousRows: Record<string, number> | undefined) {
  const { options, inspection } = ctx;
  // Only a run holding the prefix lock uses the staging schema: one there now is a stopped run's.
  if (await dropStaging(client, options.schemaPrefix))
    options.onProgress?.({ phase: "inspect", message: `removed the staging schema of a stopped parallel load` });
  const timed = <T>(name: string, fn: () => Promise<T>) => timedIn(ctx.timings, name, fn);
  const behaviour = modeBehaviour(options.mode);
  if (options.reuse && behaviour.adopts) {
    const found = await adoptableVersion(client, options.schemaPrefix, inspection.digest, inspection.plan.fingerprint);
    if (found) return adopt(client, ctx, found, active, timed);
  }
  const state = newRun(client, ctx, active, previousRows, timed);
  await runPhases(
    state,
    behaviour.phases.map((name) => PHASES[name]()),
  );
  return reportOf(state);
}

/** The report of a run whose phases all completed: a version loaded (and served, or not), or a canary passed. */
function reportOf(run: Run): MigrationReport {
  const { ctx, load, served } = run;
  if (!load)
    return buildReport(ctx, {
      outcome: "canary-passed",
      schema: null,
      previousSchema: run.active,
      cutOver: false,
      quality: run.quality,
      canary: run.canary,
    });
  Object.assign(ctx.timings, {
    loadRows: load.result.timings.load,
    keys: load.result.timings.keys,
    validation: load.result.timings.validation,
  });
  return buildReport(ctx, {
    outcome: "loaded",
    schema: load.schema,
    previousSchema: run.active,
    cutOver: served?.cutOver ?? false,
    tables: tableReports(load.result),
    streams: load.streams,
    quality: load.quality,
    canary: run.canary,
    backup: run.backup,
    droppedVersions: served?.droppedVersions ?? [],
    views: load.views,
  });
}

async function adopt(
  client: Client,
  ctx: RunContext,
  version: VersionMetadata,
  active: string | null,
  timed: <T>(name: string, fn: () => Promise<T>) => Promise<T>,
): Promise<MigrationReport> {
  const { backup, served } = await adoptVersion(client, ctx.options, version, active, timed);
  const tables = Object.entries(version.tables).map(([table, t]) => ({
    table,
    source: table,
    sourceRows: t.rows + t.rejects,
    rowsLoaded: t.rows,
    rejected: t.rejects,
    nulled: 0,
    seconds: 0,
    rowsPerSecond: 0,
    checksum: "",
    formats: {},
  }));
  return buildReport(ctx, {
    outcome: "adopted",
    schema: version.schema,
    previousSchema: active,
    cutOver: served.cutOver,
    tables,
    backup,
    droppedVersions: served.droppedVersions,
    views: version.views ?? null,
  });
}
