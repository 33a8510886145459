/**
 * `restore`: a backup migrate wrote, back into the database as the version
 * it was (pg_restore in one transaction: a failed restore changes nothing),
 * under the prefix lock, and with --activate made the active version.
 */
import * as path from "node:path";
import { MigrationError, OptionError, parseDumpName, restoreSchema, versions, withClient } from "../engine";
import { targetDatabaseUrl } from "./database";
import { lockTimeoutMs } from "./options";
import { print } from "./output";

export interface RestoreFlags {
  databaseUrl?: string;
  schemaPrefix: string;
  file: string;
  activate: boolean;
  pgBinDir?: string;
  lockTimeout?: string;
  json: boolean;
}

/** The version a backup holds, from the name backupSchema gives it: <schema>_<YYYYMMDDTHHMMSSZ>.dump. */
export function backedUpVersion(file: string, prefix: string): string {
  const dump = parseDumpName(path.basename(file), prefix);
  if (!dump || dump.partial)
    throw new OptionError(
      "--file",
      `${file} is not a backup of a version of prefix "${prefix}" (backups are named <${prefix}_vYYYYMMDD_HHMMSS>_<YYYYMMDDTHHMMSSZ>.dump)`,
    );
  return dump.version;
}

export async function runRestore(flags: RestoreFlags): Promise<void> {
  const file = path.resolve(flags.file);
  const schema = backedUpVersion(file, flags.schemaPrefix);
  const databaseUrl = targetDatabaseUrl(flags.databaseUrl);
  await withClient(databaseUrl, (client) =>
    versions.withPrefixLock(client, flags.schemaPrefix, { timeoutMs: lockTimeoutMs(flags) }, async () => {
      const state = await versions.stableState(client, flags.schemaPrefix);
      // pg_restore --clean would drop and recreate it under the stable views that read it.
      if (state?.active === schema)
        throw new MigrationError(
          "SCHEMA_CONFLICT",
          `${schema} is the active version of prefix "${flags.schemaPrefix}": a restore cannot replace it; switch away first (servicedesk-migrate rollback or cutover --to)`,
        );
      const restored = await restoreSchema({ databaseUrl, file, pgBinDir: flags.pgBinDir && path.resolve(flags.pgBinDir) });
      const meta = await versions.readVersionMetadata(client, schema);
      if (!meta) throw new MigrationError("RESTORE_FAILED", `restore of "${file}" left no version ${schema} (not a backup of a version?)`);
      // Said on the version, so a review can tell readers that are on it why (engine/review).
      await versions.writeVersionMetadata(client, { ...meta, restoredAt: new Date().toISOString() });
      const switched = flags.activate ? await versions.switchTo(client, flags.schemaPrefix, schema) : null;
      const rows = Object.fromEntries(Object.entries(meta.tables).map(([table, t]) => [table, t.rows]));
      const result = {
        file,
        schema,
        seconds: restored.seconds,
        tool: restored.tool,
        rows,
        active: switched ? schema : (state?.active ?? null),
      };
      const text = [
        `restored ${schema} from ${file} with ${restored.tool} in ${restored.seconds.toFixed(1)} s: ${Object.entries(rows)
          .map(([table, n]) => `${table} ${n}`)
          .join(", ")}`,
        switched
          ? `${flags.schemaPrefix} now points at ${schema} (was ${switched.previous ?? "nothing"})`
          : `not active (make it so with --activate or cutover --to ${schema})`,
      ];
      print(flags, result, text);
    }),
  );
}
