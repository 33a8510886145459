/**
 * The backups of one prefix, in `<backupDirectory>/<prefix>/`, and their
 * pruning. A backup is the dump of the version a newer one replaced; that
 * newer version's metadata names it (`replaced.backupFile`), and the backup
 * is needed exactly as long as that version is retained: it is the way
 * back from it once the replaced version is dropped. A backup no retained
 * version names is kept until it is `keepDays` days old, then pruned.
 *
 * Dumps written before backups had a folder per prefix lie in
 * `<backupDirectory>/` itself; those whose name is a version of the prefix
 * are listed and pruned with the prefix's own.
 *
 * The database a dump was taken from is in its header: a dump of another
 * database (another server's stack sharing the folder) is listed as
 * "unchecked" and never pruned, since this database's versions say
 * nothing about whether it is needed.
 */
import { readdir, stat, unlink } from "node:fs/promises";
import * as path from "node:path";
import type { ClientBase } from "pg";
import { DEFAULTS } from "../defaults";
import { MigrationError, OptionError } from "../errors";
import { withClient } from "../sql/connect";
import { isVersionSchemaName, listVersions, validatePrefix, withPrefixLock } from "../versions";
import { isAbandonedPartial, PARTIAL_SUFFIX } from "./dump-files";
import { readHeader } from "./dump-header";

export type BackupStatus =
  /** A retained version names it as the backup of the version it replaced. */
  | "protects-retained-version"
  /** No retained version needs it, but it is younger than keepDays. */
  | "within-keep-days"
  /** No retained version needs it and it is older than keepDays: pruning removes it. */
  | "expired"
  /** Being written, or left half written by a run that stopped (pruning removes those). */
  | "partial"
  /** Its need was not checked: no database was given, or it is a dump of another database. */
  | "unchecked";

export interface BackupEntry {
  path: string;
  prefix: string;
  /** The version schema the dump holds. */
  version: string;
  bytes: number;
  /** When the dump started (the UTC second in its name). */
  createdAt: Date;
  /** The codec in the dump's header: "none", "gzip", "gzip:1", "lz4", "zstd"; "unknown" when the header is unreadable. */
  compression: string;
  status: BackupStatus;
  /** The retained version that names it, when status is protects-retained-version. */
  neededBy: string | null;
  /** The database it was dumped from (its header), null when unreadable. */
  database: string | null;
}

export interface ListBackupsOptions {
  backupDirectory: string;
  prefix: string;
  /** Without it, no version is read and every complete dump is "unchecked". */
  databaseUrl?: string;
  /** Defaults to DEFAULTS.backupKeepDays. */
  keepDays?: number;
}

export interface PruneBackupsOptions {
  backupDirectory: string;
  prefix: string;
  databaseUrl: string;
  keepDays?: number;
  /** List what would be removed and remove nothing. */
  dryRun?: boolean;
  /** How long to wait for a run holding the prefix lock. Defaults to DEFAULTS.lockTimeoutMs. */
  lockTimeoutMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** `<schema>_<YYYYMMDDTHHMMSSZ>.dump`, as dumpFileName writes it, then `.<host>.<pid>.partial` while written. */
const DUMP_NAME = /^(.+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.dump(\..+\.partial|\.partial)?$/;
/** Compression algorithms of archive format 1.15 (pg_dump 16), in pg_compress_algorithm order. */

/** The folder of `prefix`'s backups. */
export function backupFolder(backupDirectory: string, prefix: string): string {
  validatePrefix(prefix); // [a-z0-9_] only: the folder name can neither climb out nor clash
  return path.join(backupDirectory, prefix);
}

/** keepDays, or its default; OptionError (INVALID_OPTION) when it is not a number of days >= 0. */
export function keepDaysOf(keepDays: number | undefined): number {
  const days = keepDays ?? DEFAULTS.backupKeepDays;
  if (typeof days !== "number" || !Number.isFinite(days) || days < 0)
    throw new OptionError("backupKeepDays", `must be a number of days >= 0, got ${JSON.stringify(days)}`);
  return days;
}

interface DumpFile {
  path: string;
  version: string;
  createdAt: Date;
  partial: boolean;
}

/** The dumps of `prefix` in `folder`: named `<version of prefix>_<stamp>.dump[...partial]`. */
async function dumpFiles(folder: string, prefix: string, partials: boolean): Promise<DumpFile[]> {
  const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return [] as string[];
    throw new MigrationError("BACKUP_FAILED", `cannot read the backup folder "${folder}": ${error.message}`, { cause: error });
  });
  const files: DumpFile[] = [];
  for (const name of names) {
    const dump = parseDumpName(name, prefix);
    if (!dump || (dump.partial && !partials)) continue;
    files.push({ path: path.join(folder, name), ...dump });
  }
  return files;
}

/** The version a dump file of `prefix` holds, when it was written, and whether it is still partial; null for any other name. */
export function parseDumpName(name: string, prefix: string): Omit<DumpFile, "path"> | null {
  const match = DUMP_NAME.exec(name);
  if (!match || !isVersionSchemaName(prefix, match[1])) return null;
  const [, version, y, mo, d, h, mi, s, suffix] = match;
  const partial = suffix !== undefined && suffix.endsWith(PARTIAL_SUFFIX);
  return { version, createdAt: new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`), partial };
}

/** What retained versions need: the backup file names they name, each with the version naming it. */
async function neededBackups(client: ClientBase, prefix: string): Promise<{ database: string; needed: Map<string, string> }> {
  const { rows } = await client.query<{ db: string }>(`SELECT "pg_catalog"."current_database"() AS "db"`);
  const needed = new Map<string, string>();
  for (const version of await listVersions(client, prefix)) {
    const file = version.replaced?.backupFile;
    if (file) needed.set(path.basename(file), version.schema);
  }
  return { database: rows[0].db, needed };
}

async function catalog(
  options: ListBackupsOptions,
  checked: { database: string; needed: Map<string, string> } | null,
  now = Date.now(),
): Promise<BackupEntry[]> {
  const keepDays = keepDaysOf(options.keepDays);
  const folder = backupFolder(options.backupDirectory, options.prefix);
  // The old layout's partials are not listed: their writer is not in their name, so nothing could tell an abandoned one.
  const files = [...(await dumpFiles(folder, options.prefix, true)), ...(await dumpFiles(options.backupDirectory, options.prefix, false))];
  const entries: BackupEntry[] = [];
  for (const file of files) {
    const stats = await stat(file.path).catch(() => null);
    if (!stats?.isFile()) continue; // removed meanwhile (a finished partial renamed), or not a file
    const header = await readHeader(file.path);
    const database = header?.database ?? null;
    const neededBy = checked?.needed.get(path.basename(file.path)) ?? null;
    let status: BackupStatus;
    if (file.partial) status = "partial";
    else if (checked === null || (database !== null && database !== checked.database)) status = "unchecked";
    else if (neededBy !== null) status = "protects-retained-version";
    else if (now - file.createdAt.getTime() < keepDays * DAY_MS) status = "within-keep-days";
    else status = "expired";
    entries.push({
      path: file.path,
      prefix: options.prefix,
      version: file.version,
      bytes: stats.size,
      createdAt: file.createdAt,
      compression: header?.compression ?? "unknown",
      status,
      neededBy: status === "protects-retained-version" ? neededBy : null,
      database,
    });
  }
  return entries.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.path.localeCompare(b.path));
}

/**
 * The backups of `prefix`, oldest first, each with its status (see
 * BackupStatus). With `databaseUrl` the prefix's versions are read to tell
 * which backups they need; nothing is changed.
 */
export async function listBackups(options: ListBackupsOptions): Promise<BackupEntry[]> {
  if (options.databaseUrl === undefined) return catalog(options, null);
  return withClient(options.databaseUrl, async (client) => catalog(options, await neededBackups(client, options.prefix)));
}

/**
 * Prunes with a client that holds the prefix lock (a run's, or
 * pruneBackups'): then no run is between writing a backup and committing
 * the version that names it. Removes expired backups and abandoned
 * partials; a file already gone counts as removed.
 */
export async function pruneBackupsWithClient(
  client: ClientBase,
  options: Omit<PruneBackupsOptions, "databaseUrl" | "lockTimeoutMs">,
): Promise<{ removed: BackupEntry[]; kept: BackupEntry[] }> {
  const entries = await catalog(options, await neededBackups(client, options.prefix));
  const removed: BackupEntry[] = [];
  const kept: BackupEntry[] = [];
  for (const entry of entries) {
    const doomed = entry.status === "expired" || (entry.status === "partial" && isAbandonedPartial(entry.path));
    if (!doomed) {
      kept.push(entry);
      continue;
    }
    if (!options.dryRun)
      await unlink(entry.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT")
          throw new MigrationError(
            "BACKUP_FAILED",
            `cannot remove backup "${entry.path}" of prefix "${options.prefix}": ${error.message}`,
            {
              cause: error,
            },
          );
      });
    removed.push(entry);
  }
  return { removed, kept };
}

/**
 * Removes the backups of `prefix` no retained version needs once they are
 * older than `keepDays` (default DEFAULTS.backupKeepDays), and partial
 * dumps whose writer is gone, under the prefix lock. `dryRun` removes
 * nothing and returns what would go.
 */
export async function pruneBackups(options: PruneBackupsOptions): Promise<{ removed: BackupEntry[]; kept: BackupEntry[] }> {
  keepDaysOf(options.keepDays); // refused before connecting
  return withClient(options.databaseUrl, (client) =>
    withPrefixLock(client, options.prefix, { timeoutMs: options.lockTimeoutMs ?? DEFAULTS.lockTimeoutMs }, () =>
      pruneBackupsWithClient(client, options),
    ),
  );
}
