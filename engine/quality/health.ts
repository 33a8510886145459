/**
 * Health checks before anything is written: a writable backup folder with
 * room on its disk for the backup and the run's scratch files (which go
 * beside the backups, see scratch/scratch.ts), and enough free memory for
 * the load, under the process's cgroup limit when it has one. Failures are
 * findings with clear messages; the gate turns them into a block.
 */
import { constants } from "node:fs";
import { access, statfs } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseCompression, pgDumpMajorVersion, unsupportedReason } from "../backup/compression";
import { backupToolProblem, nearestTools, PgClientTools, toolLabel } from "../backup/pg-tools";
import { DEFAULTS } from "../defaults";
import { memoryBudget } from "./memory";
import { Finding } from "./model";

export interface HealthOptions {
  /** Folder the backup goes to, and the bytes it is expected to take. */
  readonly backupDirectory?: string;
  readonly backupBytes?: number;
  /** Bytes the run's scratch files may take in the same folder (the canary's sample, reject spools). */
  readonly scratchBytes?: number;
  /** The backup codec setting: checked against the pg_dump on PATH, or the one chosen for `backupServer`. */
  readonly backupCompression?: string;
  /** The server a backup would dump, and the client tools found: a pg_dump must dump its major. */
  readonly backupServer?: { readonly version: string; readonly major: number; readonly found: readonly PgClientTools[] };
  /** Free disk to keep beyond the backup. Defaults to 256 MiB. */
  readonly minFreeDiskBytes?: number;
  /** Free memory the load needs. Defaults to 512 MiB. */
  readonly minFreeMemoryBytes?: number;
}

export const DEFAULT_MIN_FREE_DISK = DEFAULTS.minFreeDiskBytes;
export const DEFAULT_MIN_FREE_MEMORY = DEFAULTS.minFreeMemoryBytes;

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

export async function checkHealth(options: HealthOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const minMemory = options.minFreeMemoryBytes ?? DEFAULT_MIN_FREE_MEMORY;
  const memory = await memoryBudget();
  const free = memory.available;
  const where = memory.limit === null ? memory.source : `under the ${mib(memory.limit)} limit of ${memory.source}`;
  findings.push({
    check: "memory",
    count: free,
    total: minMemory,
    ratePercent: 0,
    severity: free < minMemory ? "critical" : "ok",
    message:
      free < minMemory
        ? `only ${mib(free)} of memory is available (${where}); the load needs ${mib(minMemory)}`
        : `${mib(free)} of memory available (${where}; needs ${mib(minMemory)})`,
  });
  if (options.backupDirectory !== undefined) findings.push(await diskFinding(options.backupDirectory, options));
  findings.push(...(await backupToolFindings(options)));
  return findings;
}

/**
 * The backup's tool and codec: a pg_dump that dumps `backupServer`, and
 * writes `backupCompression` (checked against PATH's pg_dump when no
 * server is given). Preview runs these alone: they need no disk or memory.
 */
export async function backupToolFindings(options: Pick<HealthOptions, "backupServer" | "backupCompression">): Promise<Finding[]> {
  const tool = options.backupServer ? toolFinding(options.backupServer) : null;
  const findings = tool ? [tool.finding] : [];
  if (options.backupCompression !== undefined && tool?.major !== null)
    findings.push(codecFinding(options.backupCompression, tool ? tool.major! : await pgDumpMajorVersion()));
  return findings;
}

/** pg_dump refuses a server newer than itself: refused now, not after the load, when the dump would start. */
function toolFinding(server: NonNullable<HealthOptions["backupServer"]>): { finding: Finding; major: number | null } {
  const tools = nearestTools(server.found, server.major, "pgDump");
  const finding = { check: "backup_tool", count: tools?.pgDump.major ?? 0, total: server.major, ratePercent: 0 } as const;
  if (!tools)
    return {
      finding: {
        ...finding,
        severity: "critical",
        code: "BACKUP_TOOL_MISMATCH",
        message: `BACKUP_TOOL_MISMATCH: ${backupToolProblem(server.version, server.major, server.found)}`,
      },
      major: null,
    };
  return {
    finding: { ...finding, severity: "ok", message: `${toolLabel(tools.pgDump)} dumps PostgreSQL ${server.version}` },
    major: tools.pgDump.major,
  };
}

/** lz4 and zstd need pg_dump 16: refused now, not after the load, when the dump would start. */
function codecFinding(setting: string, major: number): Finding {
  const reason = unsupportedReason(parseCompression(setting), major);
  const finding = { check: "backup_codec", count: major, total: 0, ratePercent: 0 } as const;
  return reason
    ? { ...finding, severity: "critical", code: "BACKUP_CODEC_UNSUPPORTED", message: `BACKUP_CODEC_UNSUPPORTED: ${reason}` }
    : { ...finding, severity: "ok", message: `pg_dump ${major} writes backup compression ${setting}` };
}

async function diskFinding(dir: string, options: HealthOptions): Promise<Finding> {
  const backupBytes = options.backupBytes ?? 0;
  const scratchBytes = options.scratchBytes ?? 0;
  const spare = options.minFreeDiskBytes ?? DEFAULT_MIN_FREE_DISK;
  const needed = backupBytes + scratchBytes + spare;
  let available: number;
  try {
    const space = await freeDiskSpace(dir);
    // Probed now, not when pg_dump starts: the backup runs beside the load,
    // so an unwritable folder would only show after the whole export loaded.
    // (root passes permission checks, but not a read-only mount, as its write would.)
    await access(space.folder, constants.W_OK);
    available = space.available;
  } catch (error) {
    return {
      check: "disk_space",
      count: 0,
      total: needed,
      ratePercent: 0,
      severity: "critical",
      message: `the backup directory ${dir} cannot be written: ${(error as Error).message}`,
    };
  }
  return {
    check: "disk_space",
    count: available,
    total: needed,
    ratePercent: 0,
    severity: available < needed ? "critical" : "ok",
    message:
      available < needed
        ? `only ${mib(available)} free in ${dir}; the backup needs about ${mib(backupBytes)} and scratch files about ${mib(scratchBytes)}, plus ${mib(spare)} spare`
        : `${mib(available)} free in ${dir} (backup needs about ${mib(backupBytes)}, scratch files about ${mib(scratchBytes)})`,
  };
}

/** Free bytes of the filesystem holding dir, and the nearest existing folder at or above dir (the backup creates the rest). */
async function freeDiskSpace(dir: string): Promise<{ folder: string; available: number }> {
  // Absolute first: a relative folder not yet created ("backups", the
  // default) has no parent to fall back on in its own spelling.
  let current = resolve(dir);
  for (;;) {
    try {
      const stats = await statfs(current);
      return { folder: current, available: stats.bavail * stats.bsize };
    } catch (error) {
      const parent = dirname(current);
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || parent === current) throw error;
      current = parent;
    }
  }
}
