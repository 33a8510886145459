/**
 * The backup phase: pg_dump of the active version, run on its own
 * connection beside the canary and the load.
 *   start     launches it (nothing to do without an active version, or
 *             with backup: none)
 *   complete  waits for the finished file; the load completes after this,
 *             so no version ever exists whose predecessor is not safe on disk
 *   undo      a run that changes nothing keeps no backup: waits for
 *             pg_dump and removes its file
 */
import { unlink } from "node:fs/promises";
import { Client } from "pg";
import { backupFolder, backupSchema, BackupResult, removePartialBackups } from "../../backup";
import { backupServerOf, backupToolMismatch, nearestTools, PgClientTool, toolLabel } from "../../backup/pg-tools";
import { ResolvedOptions } from "../options";
import { nothing, Phase } from "./phase";

export function backupPhase(): Phase {
  let running: Promise<BackupResult | null> = Promise.resolve(null);
  return {
    name: "backup",
    async start(run) {
      let started!: () => void;
      const dumping = new Promise<void>((resolve) => (started = resolve));
      // The health phase found the pg_dump that dumps the server (none with backup: none).
      running = runBackup(run.options, run.active, run.pgDump, started);
      // Awaited by complete() or undo(); this only keeps an early failure from being unhandled meanwhile.
      const settled = running.then(nothing, nothing);
      // The canary's sampling holds this thread for seconds: pg_dump is started before it.
      await Promise.race([dumping, settled]);
    },
    async complete(run) {
      run.backup = await run.timed("backup", () => running);
    },
    async undo() {
      const backup = await running.catch(() => null);
      if (backup) await unlink(backup.file).catch(() => undefined);
    },
  };
}

/**
 * Backs up `schema` now, and waits for it (an adoption that would let
 * retention drop the active version), with a pg_dump that dumps the server,
 * else BACKUP_TOOL_MISMATCH before anything changes.
 */
export async function backupNow(client: Client, options: ResolvedOptions, schema: string): Promise<BackupResult | null> {
  if (options.backup === "none") return null;
  const server = await backupServerOf(client, options.pgBinDir);
  const tools = nearestTools(server.found, server.major, "pgDump");
  if (!tools) throw backupToolMismatch(server.version, server.major, server.found);
  return runBackup(options, schema, tools.pgDump);
}

async function runBackup(
  options: ResolvedOptions,
  active: string | null,
  pgDump: PgClientTool | null,
  onStarted?: () => void,
): Promise<BackupResult | null> {
  if (!active || pgDump === null) return null;
  const folder = backupFolder(options.backupDirectory, options.schemaPrefix);
  const removed = await removePartialBackups(folder);
  if (removed.length > 0)
    options.onProgress?.({
      phase: "backup",
      message: `removed ${removed.length} partial backup(s) a stopped run left: ${removed.join(", ")}`,
    });
  options.onProgress?.({
    phase: "backup",
    message: `backing up ${active} with ${toolLabel(pgDump)} (${options.backupCompression}) into ${folder}`,
  });
  return backupSchema({
    databaseUrl: options.databaseUrl,
    schema: active,
    directory: folder,
    compression: options.backupCompression,
    pgDump,
    ...(onStarted ? { onStarted } : {}),
  });
}
