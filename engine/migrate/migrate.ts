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
import { unlink } from "node:fs/promises";
import { Client } from "pg";
import { BackupResult } from "../backup";
import { CanaryResult, runCanary } from "../canary/canary";
import { asMigrationError, describeError, MigrationError } from "../errors";
import { loadSchema, SchemaLoadResult } from "../load/load-schema";
import { Finding, QualityReport } from "../quality";
import { connect, requireCreatePrivilege } from "../sql/connect";
import {
  allocateVersionName, canarySchemaName, collectGarbage, dropVersion, readVersionMetadata, stableState, switchTo,
  TOOL_NAME, VersionMetadata, withPrefixLock, writeVersionMetadata,
} from "../versions";
import { Inspection, inspectSource } from "./inspect";
import { MigrateOptions, ResolvedOptions, resolveOptions } from "./options";
import { MigrationReport } from "./report";
import { buildReport, failureReport, qualityOf, ReportContext, tableReports } from "./report-builder";
import { adoptableVersion, healthFindings, startBackup } from "./steps";

/** The gate blocked the run; `report` says why. Nothing was written. */
export class GateBlockedError extends MigrationError {
  override readonly name = "GateBlockedError";
  constructor(override readonly report: MigrationReport) {
    const { table, column } = report.error ?? {};
    super("GATE_BLOCKED", `quality gate blocked the migration of ${report.source.path}: ${report.quality?.blockedBy.join("; ") ?? "see report"}`, {
      ...(table !== undefined ? { table } : {}),
      ...(column !== undefined ? { column } : {}),
    });
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

async function timed<T>(timings: Record<string, number>, name: string, fn: () => Promise<T>): Promise<T> {
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
    const inspection = options.inspection ?? (await timed(timings, "inspect", () => inspectSource(options.sourcePath, options)));
    inspected(inspection);
    return await withPrefixLock(client, options.schemaPrefix, { timeoutMs: options.lockTimeoutMs }, async () => {
      const state = await stableState(client, options.schemaPrefix);
      const meta = state?.active ? await readVersionMetadata(client, state.active) : null;
      // An active version dropped behind our back is no version to back up or compare with.
      const active = meta ? meta.schema : null;
      if (state?.active && !meta) options.onProgress?.({ phase: "inspect", message: `the active version ${state.active} no longer exists; continuing as if none were active` });
      const previousRows = meta ? Object.fromEntries(Object.entries(meta.tables).map(([t, v]) => [t, v.rows])) : undefined;
      return run({ client, ctx: { options, inspection, startedAt, timings }, active, previousRows });
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function run(state: RunState): Promise<MigrationReport> {
  const { options, inspection } = state.ctx;
  if (options.reuse && options.mode !== "canary") {
    const found = await adoptableVersion(state.client, options.schemaPrefix, inspection.digest, inspection.plan.fingerprint);
    if (found) return adopt(state, found);
  }
  let health: Finding[] = [];
  let canary: CanaryResult | null = null;
  if (options.mode === "complete" || options.mode === "canary") {
    health = await timed(state.ctx.timings, "health", () => healthFindings(state.client, options, state.active));
    const quality = qualityOf(inspection, [], options, "sample", health, state.previousRows);
    if (quality.blocked) throw blocked(state, quality, null);
  }
  // The backup reads the active version on its own connection: it runs
  // alongside the canary and the load, and only the cutover waits for it.
  const backupRun = startBackup(options, state.active);
  backupRun.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled
  try {
    if (options.mode === "complete" || options.mode === "canary") {
      canary = await timed(state.ctx.timings, "canary", () => runCanary({
        client: state.client, sourcePath: options.sourcePath, source: inspection.source, plan: inspection.plan,
        schema: canarySchemaName(options.schemaPrefix), sample: { rate: options.sampleRate, seed: options.sampleSeed },
        testQueries: options.testQueries, onProgress: options.onProgress,
      }));
      const quality = qualityOf(inspection, canary.load.tables, options, "sample", health, state.previousRows);
      if (quality.blocked) throw blocked(state, quality, canary);
      if (options.mode === "canary") {
        return buildReport(state.ctx, { outcome: "canary-passed", schema: null, previousSchema: state.active, cutOver: false, quality, canary });
      }
    }
    return await loadVersion(state, health, canary, backupRun);
  } catch (error) {
    await discardBackup(backupRun);
    throw error;
  }
}

/** A run that changed nothing keeps no backup: it waits for pg_dump and removes its file. */
async function discardBackup(backupRun: Promise<BackupResult | null>): Promise<void> {
  const backup = await backupRun.catch(() => null);
  if (backup) await unlink(backup.file).catch(() => undefined);
}

function blocked(state: RunState, quality: QualityReport, canary: CanaryResult | null): GateBlockedError {
  state.ctx.options.onProgress?.({ phase: "gate", message: `gate blocked: ${quality.blockedBy.join("; ")}` });
  // The error names the table and column of the worst finding that blocks, when it has them.
  const worst = quality.findings.find((f) => f.severity === "critical") ?? quality.findings.find((f) => f.severity === "fail");
  return new GateBlockedError(buildReport(state.ctx, {
    outcome: "blocked", schema: null, previousSchema: state.active, cutOver: false, quality, canary,
    error: {
      code: "GATE_BLOCKED", message: quality.blockedBy.join("; "),
      ...(worst?.table !== undefined ? { table: worst.table } : {}), ...(worst?.column !== undefined ? { column: worst.column } : {}),
    },
  }));
}

async function adopt(state: RunState, version: VersionMetadata): Promise<MigrationReport> {
  const { options } = state.ctx;
  options.onProgress?.({ phase: "cutover", message: `adopting ${version.schema}: it holds this export with these options already` });
  const cutOver = options.cutover === "auto" && state.active !== version.schema;
  if (cutOver) await timed(state.ctx.timings, "cutover", () => switchTo(state.client, options.schemaPrefix, version.schema));
  const tables = Object.entries(version.tables).map(([table, t]) => ({
    table, source: table, sourceRows: t.rows + t.rejects, rowsLoaded: t.rows, rejected: t.rejects, nulled: 0, seconds: 0, rowsPerSecond: 0, checksum: "", formats: {},
  }));
  return buildReport(state.ctx, {
    outcome: "adopted", schema: version.schema, previousSchema: state.active, cutOver: cutOver || state.active === version.schema, tables,
  });
}

async function loadVersion(
  state: RunState,
  health: Finding[],
  canary: CanaryResult | null,
  backupRun: Promise<BackupResult | null>,
): Promise<MigrationReport> {
  const { client, ctx } = state;
  const { options, inspection } = ctx;
  const schema = await allocateVersionName(client, options.schemaPrefix);
  let quality: QualityReport | null = null;
  const load = await timed(ctx.timings, "load", () => loadSchema({
    client, sourcePath: options.sourcePath, source: inspection.source, evidence: inspection.evidence, plan: inspection.plan, schema, commit: true,
    onProgress: options.onProgress,
    beforeCommit: async (result) => {
      quality = qualityOf(inspection, result.tables, options, "full", health, state.previousRows);
      if (options.mode === "complete" && quality.blocked) throw blocked(state, quality, canary);
      await writeVersionMetadata(client, versionMetadata(ctx, schema, result));
    },
  }));
  const backup = await awaitBackup(state, backupRun, schema);
  const cutOver = options.cutover === "auto";
  if (cutOver) {
    options.onProgress?.({ phase: "cutover", message: `switching ${options.schemaPrefix} to ${schema}` });
    await timed(ctx.timings, "cutover", () => switchTo(client, options.schemaPrefix, schema));
  }
  const droppedVersions = await collectGarbage(client, options.schemaPrefix, { retain: options.retainVersions + 1, keep: [schema, ...(options.keepVersions ?? [])] });
  Object.assign(ctx.timings, { loadRows: load.timings.load, keys: load.timings.keys, validation: load.timings.validation });
  return buildReport(ctx, {
    outcome: "loaded", schema, previousSchema: state.active, cutOver, tables: tableReports(load), quality, canary, backup, droppedVersions,
  });
}

/** A failed backup undoes the new version: no cutover without a backup of what it replaces. */
async function awaitBackup(state: RunState, backupRun: Promise<BackupResult | null>, schema: string): Promise<BackupResult | null> {
  try {
    return await timed(state.ctx.timings, "backup", () => backupRun);
  } catch (error) {
    try {
      await dropVersion(state.client, state.ctx.options.schemaPrefix, schema);
    } catch (dropError) {
      throw new MigrationError("BACKUP_FAILED", `${describeError(error)}; and dropping the new version ${schema} failed too: ${describeError(dropError)}`, { cause: error });
    }
    throw error;
  }
}

function versionMetadata(ctx: RunContext, schema: string, result: SchemaLoadResult): VersionMetadata {
  return {
    tool: TOOL_NAME,
    formatVersion: 1,
    prefix: ctx.options.schemaPrefix,
    schema,
    status: "ready",
    sourceDigest: ctx.inspection.digest,
    optionsFingerprint: ctx.inspection.plan.fingerprint,
    createdAt: new Date().toISOString(),
    tables: Object.fromEntries(result.tables.map((t) => [t.table, { rows: t.rowsLoaded, rejects: t.rejected }])),
    ...(ctx.options.loadedBy ? { loadedBy: ctx.options.loadedBy } : {}),
  };
}

