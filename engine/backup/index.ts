/** pg_dump backups of a schema and their restore. */
export {
  removePartialBackups,
  PARTIAL_SUFFIX,
  backupSchema,
  DEFAULT_BACKUP_COMPRESSION,
  dumpFileName,
  pgConnectionEnv,
  pgDumpInvocation,
  pgRestoreInvocation,
  restoreCommand,
  restoreSchema,
} from "./backup";
export type { BackupOptions, BackupProgress, BackupResult, PgToolInvocation, RestoreOptions } from "./backup";
