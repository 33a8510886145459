/** pg_dump backups of a schema, their codecs, their catalog and pruning, and their restore. */
export { backupSchema } from "./backup";
export type { BackupOptions, BackupProgress, BackupResult } from "./backup";
export { dumpFileName, isAbandonedPartial, partialFileName, PARTIAL_SUFFIX, removePartialBackups } from "./dump-files";
export { pgConnectionEnv, pgDumpInvocation, pgRestoreInvocation, restoreCommand } from "./pg-invocation";
export type { PgToolInvocation } from "./pg-invocation";
export { restoreSchema } from "./restore";
export type { RestoreOptions } from "./restore";
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
