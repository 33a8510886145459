/** Builds the run report and the gate's input from a load's results. */
import { BackupResult, restoreCommand } from "../backup";
import { CanaryResult } from "../canary/canary";
import { SchemaLoadResult, TableLoadSummary } from "../load/load-schema";
import { GateBlockedError, MigrationError } from "../errors";
import { milliseconds, perSecond, roundedQuality, seconds } from "../figures";
import { evaluateGate, Finding, QualityReport } from "../quality";
import { stableSchemaName, switchCommands } from "../versions";
import { Inspection } from "./inspect";
import { PlanNote } from "../plan/model";
import { refusedViewsOf, ViewRefusal, ViewsReport } from "../views";
import { ResolvedOptions } from "./options";
import { CommandSet, EMPTY_COMMANDS, MigrationReport, Outcome, ReportedError, TableReport } from "./report";
import { backsUp } from "../modes";

export function tableReports(load: SchemaLoadResult): TableReport[] {
  return load.tables.map((t) => {
    const formats: Record<string, Record<string, number>> = {};
    t.stats.columns.forEach((c, i) => {
      if (Object.keys(c.formats).length > 0) formats[t.columns[i]] = c.formats;
    });
    return {
      table: t.table,
      source: t.source,
      sourceRows: t.sourceRows,
      rowsLoaded: t.rowsLoaded,
      rejected: t.rejected,
      nulled: t.nulled,
      seconds: seconds(t.seconds),
      rowsPerSecond: t.seconds > 0 ? perSecond(t.sourceRows / t.seconds) : t.sourceRows,
      checksum: t.validation.targetDigest,
      formats,
    };
  });
}

export function qualityOf(
  inspection: Inspection,
  tables: readonly TableLoadSummary[],
  options: ResolvedOptions,
  basis: "full" | "sample",
  health: readonly Finding[],
  previousRows: Record<string, number> | undefined,
  viewRefusals: readonly ViewRefusal[] = refusedViewsOf(inspection),
): QualityReport {
  return evaluateGate({
    tables: tables.map((t) => ({
      plan: t.plan,
      evidence: inspection.evidence.tables.find((e) => e.name === t.source)!,
      stats: t.stats,
      duplicates: t.duplicates,
    })),
    minQuality: options.minQuality,
    thresholds: options.thresholds,
    acceptances: options.acceptances,
    // Row counts come from the whole export (the evidence) even when values were measured on the sample.
    previousRows,
    health,
    viewRefusals,
    basis,
  });
}

export function commandsFor(prefix: string, schema: string | null, previous: string | null, backup: BackupResult | null): CommandSet {
  if (schema === null) return { ...EMPTY_COMMANDS, restoreCommand: backup ? restoreCommand(backup.file) : null };
  const switches = switchCommands(prefix, schema, previous === schema ? null : previous);
  return { ...switches, restoreCommand: backup ? restoreCommand(backup.file) : null };
}

export interface ReportContext {
  readonly options: ResolvedOptions;
  /** Null when the run failed before the export was inspected. */
  readonly inspection: Inspection | null;
  readonly startedAt: Date;
  readonly timings: Record<string, number>;
}

export interface ReportParts {
  readonly outcome: Outcome;
  readonly schema: string | null;
  readonly previousSchema: string | null;
  readonly cutOver: boolean;
  readonly tables?: readonly TableReport[];
  readonly streams?: number;
  readonly quality?: QualityReport | null;
  readonly canary?: CanaryResult | null;
  readonly backup?: BackupResult | null;
  readonly droppedVersions?: readonly string[];
  readonly views?: ViewsReport | null;
  readonly error?: ReportedError | null;
}

export function buildReport(ctx: ReportContext, parts: ReportParts): MigrationReport {
  const { options, inspection } = ctx;
  const canary = parts.canary ?? null;
  return {
    tool: "servicedesk-migration",
    reportVersion: 1,
    mode: options.mode,
    outcome: parts.outcome,
    prefix: options.schemaPrefix,
    startedAt: ctx.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    source: { path: options.sourcePath, bytes: inspection?.sourceBytes ?? null, digest: inspection?.digest ?? null },
    optionsFingerprint: inspection?.plan.fingerprint ?? null,
    schema: parts.schema,
    previousSchema: parts.previousSchema,
    stableSchema: stableSchemaName(options.schemaPrefix),
    cutOver: parts.cutOver,
    tables: parts.tables ?? [],
    streams: parts.streams ?? null,
    quality: parts.quality ? roundedQuality(parts.quality) : null,
    canary: canary && {
      schema: canary.schema,
      sampleRate: canary.sampleRate,
      sampleSeed: canary.sampleSeed,
      sampleRows: canary.sampleRows,
      queries: canary.queries.map((q) => ({ ...q, milliseconds: milliseconds(q.milliseconds) })),
      seconds: seconds(canary.seconds),
      kept: canary.kept,
    },
    backup: parts.backup ? { ...parts.backup, seconds: seconds(parts.backup.seconds) } : null,
    droppedVersions: parts.droppedVersions ?? [],
    views: parts.views ?? null,
    commands: commandsFor(options.schemaPrefix, parts.schema, parts.previousSchema, parts.backup ?? null),
    timings: Object.fromEntries(
      Object.entries({ ...ctx.timings, total: (Date.now() - ctx.startedAt.getTime()) / 1000 }).map(([name, value]) => [
        name,
        seconds(value),
      ]),
    ),
    notes: [
      ...(inspection?.plan.notes ?? []),
      ...(parts.views?.failed ?? []).map((f): PlanNote => ({ level: "warning", message: `view "${f.name}" not created: ${f.error}` })),
      ...(noBackup(options, parts) ? [noBackup(options, parts)!] : []),
    ],
    error: parts.error ?? null,
  };
}

/** What gateBlocked needs of a run (phases/phase.ts's Run). */
interface BlockedRun {
  readonly ctx: ReportContext;
  readonly active: string | null;
  readonly canary: CanaryResult | null;
}

/** The gate's block as an error with the run's report: the message gives the reasons and the ways forward, the location the worst finding's. */
export function gateBlocked(run: BlockedRun, quality: QualityReport): GateBlockedError {
  run.ctx.options.onProgress?.({ phase: "gate", message: `gate blocked: ${quality.blockedBy.join("; ")}` });
  const worst = quality.findings.find((f) => f.severity === "critical") ?? quality.findings.find((f) => f.severity === "fail");
  const location = {
    ...(worst?.table !== undefined ? { table: worst.table } : {}),
    ...(worst?.column !== undefined ? { column: worst.column } : {}),
  };
  const report = buildReport(run.ctx, {
    outcome: "blocked",
    schema: null,
    previousSchema: run.active,
    cutOver: false,
    quality,
    canary: run.canary,
    error: { code: "GATE_BLOCKED", message: quality.blockedBy.join("; "), ...location },
  });
  const ways = quality.waysForward;
  const error = new GateBlockedError(
    `quality gate blocked the migration of ${report.source.path}: ${quality.blockedBy.join("; ")}` +
      (ways.length > 0 ? `. Ways forward: ${ways.map((w, i) => `(${i + 1}) ${w}`).join(" ")}` : ""),
    location,
  );
  error.report = report;
  return error;
}

/** A complete run that replaced a version without a pg_dump of it (backup: none) says so, every time. */
function noBackup(options: ResolvedOptions, parts: ReportParts): PlanNote | null {
  if (!backsUp(options.mode) || options.backup !== "none" || parts.previousSchema === null || parts.schema === parts.previousSchema)
    return null;
  return {
    level: "warning",
    message: `no pg_dump backup of ${parts.previousSchema} was made (backup: none); it is retained for rollback, and restoreCommand is empty`,
  };
}

/** The report of a run that failed: what was done up to the error, and the error with its location. */
export function failureReport(ctx: ReportContext, error: MigrationError): MigrationReport {
  return buildReport(ctx, {
    outcome: "failed",
    schema: null,
    previousSchema: null,
    cutOver: false,
    error: {
      code: error.code,
      message: error.message,
      ...(error.table !== undefined ? { table: error.table } : {}),
      ...(error.column !== undefined ? { column: error.column } : {}),
      ...(error.rowKey !== undefined ? { rowKey: error.rowKey } : {}),
    },
  });
}
