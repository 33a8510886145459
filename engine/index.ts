/**
 * The migration engine: Pulumi-free, used by the CLI and the
 * ServicedeskMigration resource alike.
 */
export * from "./errors";
export { DEFAULTS, defaultCutover } from "./defaults";
export { migrate, GateBlockedError } from "./migrate/migrate";
export { inspectSource, sourceDigest } from "./migrate/inspect";
export type { Inspection } from "./migrate/inspect";
export { resolveOptions, MODES } from "./migrate/options";
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
  CHECKS,
  DEFAULT_MIN_QUALITY,
  DEFAULT_THRESHOLDS,
  SCORE_FORMULA,
} from "./quality";
export type { Acceptance, Thresholds } from "./quality";
export type { Finding, QualityReport, CheckKind, CheckThreshold } from "./quality";
export type { MigrationPlan, TablePlan, ColumnPlan, BadValuePolicy, PlanNote } from "./plan";
export type { PlanOptions, RenameMap } from "./plan";
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
export { restoreCommand, restoreSchema, backupSchema, backupFolder, listBackups, pruneBackups, parseCompression } from "./backup";
export type { BackupEntry, BackupStatus } from "./backup";
export { generateServicedeskDatabase } from "./generate";
export { defaultReportDirectory, reportMarkdown, writeReportFiles } from "./migrate/report-files";
export { measureWithCache } from "./quality/measure-cache";
