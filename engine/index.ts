/**
 * The migration engine: Pulumi-free, used by the CLI and the
 * ServicedeskMigration resource alike.
 */
export * from "./errors";
export { DEFAULTS } from "./defaults";
export { backsUp, defaultCutover, modeBehaviour, MODES } from "./modes";
export type { ModeBehaviour, PhaseName } from "./modes";
export { migrate } from "./migrate/migrate";
export { previewRun } from "./migrate/preview";
export type { Preview, PreviewOptions } from "./migrate/preview";
export { MAX_STREAMS } from "./migrate/streams";
export { holderState, releaseHolder, settleHolder } from "./lifecycle";
export type { HolderSettings } from "./lifecycle";
export { inspectSource, sourceDigest } from "./migrate/inspect";
export type { Inspection } from "./migrate/inspect";
export { resolveOptions } from "./migrate/options";
export type { MigrateOptions } from "./migrate/options";
export type { MigrationMode, MigrationReport, Outcome, TableReport, CommandSet } from "./migrate/report";
export type { ViewsReport, ViewRefusal } from "./views";
export { refusedViewsOf } from "./views";
export { measureByReading } from "./quality/measure";
export {
  evaluateGate,
  backupToolFindings,
  checkHealth,
  checkThresholds,
  parseAcceptances,
  parseThreshold,
  CHECKS,
  DEFAULT_MIN_QUALITY,
  DEFAULT_THRESHOLDS,
  SCORE_FORMULA,
} from "./quality";
export type { Acceptance, Thresholds } from "./quality";
export type { Finding, QualityReport, CheckKind, CheckThreshold } from "./quality";
export type { MigrationPlan, TablePlan, ColumnPlan, BadValuePolicy, PlanNote } from "./plan";
export type { PlanOptions, RenameMap } from "./plan";
export { shownColumns, shownType } from "./plan/shown-type";
export { parseDateRange } from "./formats/number-readings";
export type { ProgressEvent, ProgressListener, Phase } from "./progress";
export { throttled } from "./progress";
export {
  connect,
  describeConnection,
  redactPassword,
  requireCreatePrivilege,
  serverAnswers,
  urlFromPgEnvironment,
  withClient,
} from "./sql/connect";
export * as versions from "./versions";
export {
  restoreCommand,
  restoreSchema,
  backupSchema,
  backupFolder,
  listBackups,
  pruneBackups,
  parseCompression,
  parseDumpName,
} from "./backup";
export { percent, roundedQuality } from "./figures";
export type { BackupEntry, BackupStatus } from "./backup";
export { generateServicedeskDatabase } from "./generate";
export { defaultReportDirectory, reportMarkdown, writeReportFiles } from "./migrate/report-files";
export { measureWithCache } from "./quality/measure-cache";
export { readReaders, REVIEW_MARKER, reviewExport, reviewMarkdown, reviewSummary, writeReviewFiles } from "./review";
export type { ReadersState, Review, ReviewOptions } from "./review";
