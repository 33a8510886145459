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
import { BackupResult } from "../backup";
import { CanaryResult, runCanary } from "../canary/canary";
import { asMigrationError, MigrationError } from "../errors";
import { QualityReport } from "../quality";
import { openScratch } from "../scratch/scratch";
import { connect, requireCreatePrivilege } from "../sql/connect";
import { refusalsOfReport } from "../views";
import { canarySchemaName, dropStaging, readVersionMetadata, stableState, VersionMetadata, withPrefixLock } from "../versions";
import { Inspection, inspectSource } from "./inspect";
import { MigrateOptions, ResolvedOptions, resolveOptions } from "./options";
import { adoptVersion } from "./phases/adopt";
import { startBackup } from "./phases/backup";
import { startLoad } from "./phases/load";
import { serveVersion } from "./phases/serve";
import { MigrationReport } from "./report";
import { buildReport, failureReport, qualityOf, ReportContext, tableReports } from "./report-builder";
import { adoptableVersion, healthFindings } from "./steps";

/** The gate blocked the run; `report` says why. Nothing was written. */
export class GateBlockedError extends MigrationError {
  override readonly name = "GateBlockedError";
  constructor(override readonly report: MigrationReport) {
    const { table, column } = report.error ?? {};
    const ways = report.quality?.waysForward ?? [];
    super(
      "GATE_BLOCKED",
      `quality gate blocked the migration of ${report.source.path}: ${report.quality?.blockedBy.join("; ") ?? "see report"}` +
        (ways.length > 0 ? `. Ways forward: ${ways.map((w, i) => `(${i + 1}) ${w}`).join(" ")}` : ""),
      {
        ...(table !== undefined ? { table } : {}),
        ...(column !== undefined ? { column } : {}),
      },
    );
  }
}

/** The report context of a run past inspection. */
type RunContext = ReportContext & { readonly inspection: Inspection };

interface RunState {
  readonly client: Client;
  readonly ctx: RunContext;
  readonly active: string | null;
  readonly previousRows: Record<string, number> | undefined;
}

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
      return run({ client, ctx: { options, inspection, startedAt, timings }, active, previousRows });
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The phases of a run, in order; each phase's own file says what its
 * start, complete and undo do. The order is the safety: the backup of the
 * active version completes before the new version commits, the version
 * commits before the stable schema switches, and retention and the claim
 * come last, all under the prefix lock.
 */
async function run(state: RunState): Promise<MigrationReport> {
  const { options, inspection } = state.ctx;
  // Only a run holding the prefix lock uses the staging schema: one there now is a stopped run's.
  if (await dropStaging(state.client, options.schemaPrefix))
    options.onProgress?.({ phase: "inspect", message: `removed the staging schema of a stopped parallel load` });
  if (options.reuse && options.mode !== "canary") {
    const found = await adoptableVersion(state.client, options.schemaPrefix, inspection.digest, inspection.plan.fingerprint);
    if (found) return adopt(state, found);
  }
  const health = await sampleGate(state);
  // After the health check, which probes the folder it goes in; removed however the run ends (see scratch.ts).
  const scratch = openScratch(options.backupDirectory, options.schemaPrefix);
  if (scratch.collected.length > 0)
    options.onProgress?.({
      phase: "inspect",
      message: `removed ${scratch.collected.length} scratch folder(s) stopped runs left: ${scratch.collected.join(", ")}`,
    });
  try {
    return await loadAndServe(state, health, scratch.directory);
  } finally {
    scratch.remove();
  }
}

type Health = Awaited<ReturnType<typeof healthFindings>>;

async function loadAndServe(state: RunState, { findings: health, pgDump }: Health, scratchDirectory: string): Promise<MigrationReport> {
  const { options, inspection } = state.ctx;
  const timed = <T>(name: string, fn: () => Promise<T>) => timedIn(state.ctx.timings, name, fn);
  const backup = startBackup(options, state.active, pgDump);
  let load: Awaited<ReturnType<typeof startLoad>>;
  let canary: CanaryResult | null = null;
  let backupResult: BackupResult | null = null;
  try {
    if (options.mode === "complete" || options.mode === "canary") {
      canary = await timed("canary", () =>
        runCanary({
          client: state.client,
          sourcePath: options.sourcePath,
          source: inspection.source,
          plan: inspection.plan,
          schema: canarySchemaName(options.schemaPrefix),
          scratchDirectory,
          sample: { rate: options.sampleRate, seed: options.sampleSeed },
          testQueries: options.testQueries,
          onProgress: options.onProgress,
        }),
      );
      const quality = qualityOf(inspection, canary.load.tables, options, "sample", health, state.previousRows);
      if (quality.blocked) throw blocked(state, quality, canary);
      if (options.mode === "canary") {
        await backup.undo();
        return buildReport(state.ctx, {
          outcome: "canary-passed",
          schema: null,
          previousSchema: state.active,
          cutOver: false,
          quality,
          canary,
        });
      }
    }
    load = await timed("load", () =>
      startLoad({
        client: state.client,
        options,
        inspection,
        scratchDirectory,
        gate: (result, views) => {
          const refusals = refusalsOfReport(views);
          const quality = qualityOf(inspection, result.tables, options, "full", health, state.previousRows, refusals);
          if (options.mode === "complete" && quality.blocked) throw blocked(state, quality, canary);
          return quality;
        },
      }),
    );
    try {
      backupResult = await timed("backup", () => backup.complete());
      await load.complete(backupResult, state.active);
    } catch (error) {
      await load.undo(error); // rethrows the error, or both when the rollback fails too
    }
  } catch (error) {
    await backup.undo();
    throw error;
  }
  const rows = load.result.tables.map((t) => ({ table: t.table, sourceRows: t.sourceRows, rejected: t.rejected }));
  const served = await serveVersion(state.client, options, load.schema, rows, state.active, timed);
  Object.assign(state.ctx.timings, {
    loadRows: load.result.timings.load,
    keys: load.result.timings.keys,
    validation: load.result.timings.validation,
  });
  return buildReport(state.ctx, {
    outcome: "loaded",
    schema: load.schema,
    previousSchema: state.active,
    cutOver: served.cutOver,
    tables: tableReports(load.result),
    streams: load.streams,
    quality: load.quality,
    canary,
    backup: backupResult,
    droppedVersions: served.droppedVersions,
    views: load.views,
  });
}

/**
 * Health checks and the gate on the sample's evidence, before anything is
 * written (complete and canary modes); and the pg_dump the backup will use.
 */
async function sampleGate(state: RunState): Promise<Health> {
  const { options, inspection } = state.ctx;
  if (options.mode !== "complete" && options.mode !== "canary") return { findings: [], pgDump: null };
  const health = await timedIn(state.ctx.timings, "health", () =>
    healthFindings(state.client, options, state.active, inspection.sourceBytes),
  );
  const quality = qualityOf(inspection, [], options, "sample", health.findings, state.previousRows);
  if (quality.blocked) throw blocked(state, quality, null);
  return health;
}

function blocked(state: RunState, quality: QualityReport, canary: CanaryResult | null): GateBlockedError {
  state.ctx.options.onProgress?.({ phase: "gate", message: `gate blocked: ${quality.blockedBy.join("; ")}` });
  // The error names the table and column of the worst finding that blocks, when it has them.
  const worst = quality.findings.find((f) => f.severity === "critical") ?? quality.findings.find((f) => f.severity === "fail");
  return new GateBlockedError(
    buildReport(state.ctx, {
      outcome: "blocked",
      schema: null,
      previousSchema: state.active,
      cutOver: false,
      quality,
      canary,
      error: {
        code: "GATE_BLOCKED",
        message: quality.blockedBy.join("; "),
        ...(worst?.table !== undefined ? { table: worst.table } : {}),
        ...(worst?.column !== undefined ? { column: worst.column } : {}),
      },
    }),
  );
}

async function adopt(state: RunState, version: VersionMetadata): Promise<MigrationReport> {
  const { backup, served } = await adoptVersion(state.client, state.ctx.options, version, state.active, (name, fn) =>
    timedIn(state.ctx.timings, name, fn),
  );
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
  return buildReport(state.ctx, {
    outcome: "adopted",
    schema: version.schema,
    previousSchema: state.active,
    cutOver: served.cutOver,
    tables,
    backup,
    droppedVersions: served.droppedVersions,
    views: version.views ?? null,
  });
}
