/** Checks of a run that talk to PostgreSQL before it loads: which version can be adopted, and health. */
import { Client } from "pg";
import { backupFolder } from "../backup";
import { foundClientTools, nearestTools, PgClientTool } from "../backup/pg-tools";
import { serverVersion } from "../sql/connect";
import { Finding } from "../quality";
import { checkHealth } from "../quality/health";
import { qualified } from "../sql/identifiers";
import { findReusableVersion, VersionMetadata } from "../versions";
import { ResolvedOptions } from "./options";
import { DEFAULTS } from "../defaults";

/**
 * A dump's size over the tables' size: an uncompressed custom-format dump
 * came out at 0.95x, so 1.0 leaves room; gzip:1 wrote 0.22x of that on
 * ServiceDesk data, and any codec is expected below half.
 */
const BACKUP_SIZE_RATIO = { uncompressed: 1.0, compressed: 0.5 };

export async function schemaBytes(client: Client, schema: string): Promise<number> {
  const { rows } = await client.query<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  );
  return Number(rows[0].bytes ?? 0);
}

/**
 * The health checks of complete and canary modes. The disk check covers
 * the prefix's backup folder, where the backup (complete mode, over an
 * active version) and the run's scratch files go.
 */
export async function healthFindings(
  client: Client,
  options: ResolvedOptions,
  active: string | null,
  sourceBytes: number,
): Promise<{ findings: Finding[]; pgDump: PgClientTool | null }> {
  const backingUp = options.mode === "complete" && options.backup === "pg_dump";
  const ratio = options.backupCompression === "none" ? BACKUP_SIZE_RATIO.uncompressed : BACKUP_SIZE_RATIO.compressed;
  const backupBytes = active && backingUp ? Math.ceil((await schemaBytes(client, active)) * ratio) : 0;
  // Checked on every complete run, with or without a version to back up now: the next run will need it.
  const server = backingUp ? await backupServerOf(client, options) : undefined;
  const findings = await checkHealth({
    backupDirectory: backupFolder(options.backupDirectory, options.schemaPrefix),
    backupBytes,
    scratchBytes: scratchEstimate(sourceBytes, options.sampleRate ?? DEFAULTS.sampleRate),
    backupCompression: backingUp ? options.backupCompression : undefined,
    backupServer: server,
    minFreeDiskBytes: options.minFreeDiskBytes,
    minFreeMemoryBytes: options.minFreeMemoryBytes,
  });
  return { findings, pgDump: server ? (nearestTools(server.found, server.major, "pgDump")?.pgDump ?? null) : null };
}

/** The server a backup dumps, and the client tools found (pgBinDir's, else PATH's and Debian's). */
export async function backupServerOf(client: Client, options: Pick<ResolvedOptions, "pgBinDir">) {
  return { ...(await serverVersion(client)), found: await foundClientTools(options.pgBinDir) };
}

/**
 * Scratch bytes a run may need at most: the canary's sample holds row
 * identities of at most the sampled share of the export; one table's
 * reject spool at a time holds at most its values with their reasons,
 * which an export all of bad values makes about the export's size (the
 * gate blocks long before that, but the check must not count on it).
 */
export function scratchEstimate(sourceBytes: number, sampleRate: number): number {
  return Math.ceil(sourceBytes * sampleRate) + sourceBytes;
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
