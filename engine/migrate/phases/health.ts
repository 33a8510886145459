/**
 * The health phase: before anything is written, the machine's checks (free
 * disk for the backup and the scratch files, free memory, a pg_dump that
 * dumps the server) and the gate on the sample's evidence.
 *   start     runs the checks and the gate; a block ends the run here
 *   complete  nothing: it writes nothing
 *   undo      nothing
 */
import { Client } from "pg";
import { backupFolder } from "../../backup";
import { backupServerOf, nearestTools, PgClientTool } from "../../backup/pg-tools";
import { DEFAULTS } from "../../defaults";
import { backsUp } from "../../modes";
import { Finding } from "../../quality";
import { checkHealth } from "../../quality/health";
import { ResolvedOptions } from "../options";
import { gateBlocked, qualityOf } from "../report-builder";
import { nothing, Phase } from "./phase";

/**
 * A dump's size over the tables' size: an uncompressed custom-format dump
 * came out at 0.95x, so 1.0 leaves room; gzip:1 wrote 0.22x of that on
 * ServiceDesk data, and any codec is expected below half.
 */
const BACKUP_SIZE_RATIO = { uncompressed: 1.0, compressed: 0.5 };

export const healthPhase = (): Phase => ({
  name: "health",
  async start(run) {
    const { options, inspection } = run;
    const health = await run.timed("health", () => healthFindings(run.client, options, run.active, inspection.sourceBytes));
    run.health = health.findings;
    run.pgDump = health.pgDump;
    const quality = qualityOf(inspection, [], options, "sample", health.findings, run.previousRows);
    if (quality.blocked) throw gateBlocked(run, quality);
  },
  complete: nothing,
  undo: nothing,
});

export async function schemaBytes(client: Client, schema: string): Promise<number> {
  const { rows } = await client.query<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  );
  return Number(rows[0].bytes ?? 0);
}

/**
 * The health checks. The disk check covers the prefix's backup folder,
 * where the backup (over an active version) and the run's scratch files go.
 */
export async function healthFindings(
  client: Client,
  options: ResolvedOptions,
  active: string | null,
  sourceBytes: number,
): Promise<{ findings: Finding[]; pgDump: PgClientTool | null }> {
  const backingUp = backsUp(options.mode) && options.backup === "pg_dump";
  const ratio = options.backupCompression === "none" ? BACKUP_SIZE_RATIO.uncompressed : BACKUP_SIZE_RATIO.compressed;
  const backupBytes = active && backingUp ? Math.ceil((await schemaBytes(client, active)) * ratio) : 0;
  // Checked on every run that backs up, with or without a version to back up now: the next run will need it.
  const server = backingUp ? await backupServerOf(client, options.pgBinDir) : undefined;
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
