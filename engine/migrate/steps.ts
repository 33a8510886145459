/** Checks of a run that talk to PostgreSQL before it loads: which version can be adopted, and health. */
import { Client } from "pg";
import { Finding } from "../quality";
import { checkHealth } from "../quality/health";
import { qualified } from "../sql/identifiers";
import { findReusableVersion, VersionMetadata } from "../versions";
import { ResolvedOptions } from "./options";

/** An uncompressed custom-format dump came out at 0.95x the tables' size; 1.0 leaves room. */
const BACKUP_SIZE_RATIO = 1.0;

export async function schemaBytes(client: Client, schema: string): Promise<number> {
  const { rows } = await client.query<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  );
  return Number(rows[0].bytes ?? 0);
}

export async function healthFindings(client: Client, options: ResolvedOptions, active: string | null): Promise<Finding[]> {
  const backupBytes = active ? Math.ceil((await schemaBytes(client, active)) * BACKUP_SIZE_RATIO) : 0;
  return checkHealth({
    backupDirectory: active && options.mode === "complete" ? options.backupDirectory : undefined,
    backupBytes,
    minFreeDiskBytes: options.minFreeDiskBytes,
    minFreeMemoryBytes: options.minFreeMemoryBytes,
  });
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
