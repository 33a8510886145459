/**
 * The backup phase: pg_dump of the active version, run on its own
 * connection alongside the canary and the load.
 *   start     launches it (nothing to do without an active version, or
 *             outside complete mode)
 *   complete  waits for the finished file; the new version may commit only
 *             after this, so no version ever exists whose predecessor is
 *             not safe on disk
 *   undo      a run that changes nothing keeps no backup: waits for
 *             pg_dump and removes its file
 */
import { unlink } from "node:fs/promises";
import { backupFolder, backupSchema, BackupResult, removePartialBackups } from "../../backup";
import { ResolvedOptions } from "../options";

export interface BackupPhase {
  complete(): Promise<BackupResult | null>;
  undo(): Promise<void>;
}

export function startBackup(options: ResolvedOptions, active: string | null): BackupPhase {
  const running = runBackup(options, active);
  // Awaited by complete() or undo(); this only keeps an early failure from being unhandled meanwhile.
  running.catch(() => undefined);
  return {
    complete: () => running,
    async undo() {
      const backup = await running.catch(() => null);
      if (backup) await unlink(backup.file).catch(() => undefined);
    },
  };
}

/** Backs up `schema` now, and waits for it (an adoption that would let retention drop the active version). */
export function backupNow(options: ResolvedOptions, schema: string): Promise<BackupResult | null> {
  return runBackup(options, schema);
}

async function runBackup(options: ResolvedOptions, active: string | null): Promise<BackupResult | null> {
  if (!active || options.mode !== "complete") return null;
  const folder = backupFolder(options.backupDirectory, options.schemaPrefix);
  const removed = await removePartialBackups(folder);
  if (removed.length > 0)
    options.onProgress?.({
      phase: "backup",
      message: `removed ${removed.length} partial backup(s) a stopped run left: ${removed.join(", ")}`,
    });
  options.onProgress?.({ phase: "backup", message: `backing up ${active} with pg_dump (${options.backupCompression}) into ${folder}` });
  return backupSchema({
    databaseUrl: options.databaseUrl,
    schema: active,
    directory: folder,
    compression: options.backupCompression,
  });
}
