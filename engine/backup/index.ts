/** pg_dump backups of a schema, their codecs, their catalog and pruning, and their restore. */
export {
  removePartialBackups,
  isAbandonedPartial,
  partialFileName,
  PARTIAL_SUFFIX,
  backupSchema,
  dumpFileName,
  pgConnectionEnv,
  pgDumpInvocation,
  pgRestoreInvocation,
  restoreCommand,
  restoreSchema,
} from "./backup";
export type { BackupOptions, BackupProgress, BackupResult, PgToolInvocation, RestoreOptions } from "./backup";
export {
  COMPRESSION_SYNTAX,
  compressionLabel,
  parseCompression,
  parsePgDumpVersion,
  pgDumpCompressArgument,
  pgDumpMajorVersion,
  unsupportedReason,
} from "./compression";
export type { Codec, CompressionSpec } from "./compression";
export { backupFolder, keepDaysOf, listBackups, parseDumpName, pruneBackups, pruneBackupsWithClient } from "./catalog";
export { parseDumpHeader, readHeader } from "./dump-header";
export type { DumpHeader } from "./dump-header";
export { clientTool, foundClientTools, nearestTools, toolLabel } from "./pg-tools";
export type { PgClientTool, PgClientTools } from "./pg-tools";
export type { BackupEntry, BackupStatus, ListBackupsOptions, PruneBackupsOptions } from "./catalog";
