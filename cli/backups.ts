/**
 * `backups` lists a prefix's backups with what each is for; `prune`
 * removes those no retained version needs once older than --backup-keep-days
 * (and dumps a stopped run left half written), under the prefix lock.
 */
import * as path from "node:path";
import { BackupEntry, DEFAULTS, listBackups, pruneBackups } from "../engine";
import { targetDatabaseUrl, targetGiven } from "./database";
import { lockTimeoutMs, numberFlag } from "./options";
import { print } from "./output";

export interface BackupsFlags {
  databaseUrl?: string;
  schemaPrefix: string;
  backupDir?: string;
  backupKeepDays?: string;
  json: boolean;
}

export interface PruneFlags extends BackupsFlags {
  dryRun: boolean;
  lockTimeout?: string;
}

const backupDirectory = (flags: BackupsFlags) => path.resolve(flags.backupDir ?? DEFAULTS.backupDirectory);

function entryLine(entry: BackupEntry): string {
  const why = entry.neededBy ? ` (the way back from ${entry.neededBy})` : "";
  return `${entry.createdAt.toISOString()}  ${entry.version}  ${entry.bytes.toLocaleString("en-US")} bytes  ${entry.compression}  ${entry.status}${why}  ${entry.path}`;
}

/** Listing reads files only; the database, when one is given, says which backups retained versions need. */
export async function runBackups(flags: BackupsFlags): Promise<void> {
  const entries = await listBackups({
    backupDirectory: backupDirectory(flags),
    prefix: flags.schemaPrefix,
    databaseUrl: targetGiven(flags.databaseUrl) ? targetDatabaseUrl(flags.databaseUrl) : undefined,
    keepDays: numberFlag(flags.backupKeepDays, "--backup-keep-days"),
  });
  print(flags, { backups: entries }, entries.length ? entries.map(entryLine) : [`no backups of prefix "${flags.schemaPrefix}"`]);
}

export async function runPrune(flags: PruneFlags): Promise<void> {
  const { removed, kept } = await pruneBackups({
    backupDirectory: backupDirectory(flags),
    prefix: flags.schemaPrefix,
    databaseUrl: targetDatabaseUrl(flags.databaseUrl),
    keepDays: numberFlag(flags.backupKeepDays, "--backup-keep-days"),
    dryRun: flags.dryRun,
    lockTimeoutMs: lockTimeoutMs(flags),
  });
  const verb = flags.dryRun ? "would remove" : "removed";
  print(flags, { dryRun: flags.dryRun, removed, kept }, [
    ...removed.map((entry) => `${verb} ${entryLine(entry)}`),
    ...kept.map((entry) => `kept    ${entryLine(entry)}`),
    `${verb} ${removed.length} backup(s), kept ${kept.length}`,
  ]);
}
