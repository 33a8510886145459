/**
 * Adoption: a retained version already holds this export with these
 * options, so it is served instead of reloading (git revert + pulumi up is
 * an instant rollback). The one thing it must not skip: in complete mode,
 * when retention would drop the active version as soon as the adopted one
 * is active (retainVersions 0, say), the active version is backed up first,
 * so no cutover ever leaves a version gone without a backup.
 */
import { Client } from "pg";
import { BackupResult } from "../../backup";
import { qualified } from "../../sql/identifiers";
import { findReusableVersion, garbageVersions, listVersions, VersionMetadata, writeVersionMetadata } from "../../versions";
import { ResolvedOptions } from "../options";
import { backupNow } from "./backup";
import { Served, serveVersion, versionsToKeep } from "./serve";
import { backsUp } from "../../modes";

export async function adoptVersion(
  client: Client,
  options: ResolvedOptions,
  version: VersionMetadata,
  active: string | null,
  timed: <T>(name: string, fn: () => Promise<T>) => Promise<T>,
): Promise<{ backup: BackupResult | null; served: Served }> {
  options.onProgress?.({ phase: "cutover", message: `adopting ${version.schema}: it holds this export with these options already` });
  let backup: BackupResult | null = null;
  if (backsUp(options.mode) && options.cutover === "auto" && active !== null && active !== version.schema) {
    const keep = await versionsToKeep(client, options, version.schema);
    const doomed = garbageVersions(await listVersions(client, options.schemaPrefix), version.schema, options.retainVersions + 1, keep);
    if (doomed.includes(active)) backup = await timed("backup", () => backupNow(client, options, active));
    // The adopted version now names the backup of the one it replaces, so pruning keeps it while it is retained.
    if (backup) await writeVersionMetadata(client, { ...version, replaced: { schema: active, backupFile: backup.file } });
  }
  const tables = Object.entries(version.tables).map(([table, t]) => ({ table, sourceRows: t.rows + t.rejects, rejected: t.rejects }));
  return { backup, served: await serveVersion(client, options, version.schema, tables, active, timed) };
}

/**
 * A retained version with the same export digest and options fingerprint,
 * still holding the rows its metadata records: adopting it is an instant
 * rollback (git revert + pulumi up).
 */
export async function adoptableVersion(
  client: Client,
  prefix: string,
  digest: string,
  fingerprint: string,
): Promise<VersionMetadata | null> {
  const candidate = await findReusableVersion(client, prefix, digest, fingerprint);
  if (!candidate) return null;
  for (const [table, expected] of Object.entries(candidate.tables)) {
    try {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(candidate.schema, table)}`);
      if (Number(rows[0].n) !== expected.rows) return null;
    } catch {
      return null;
    }
  }
  return candidate;
}
