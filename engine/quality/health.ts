/**
 * Health checks before anything is written: room on disk for the backup
 * and enough free memory for the load. Failures are findings with clear
 * messages; the gate turns them into a block.
 */
import { statfs } from "node:fs/promises";
import { freemem } from "node:os";
import { Finding } from "./model";

export interface HealthOptions {
  /** Folder the backup goes to, and the bytes it is expected to take. */
  readonly backupDirectory?: string;
  readonly backupBytes?: number;
  /** Free disk to keep beyond the backup. Defaults to 256 MiB. */
  readonly minFreeDiskBytes?: number;
  /** Free memory the load needs. Defaults to 512 MiB. */
  readonly minFreeMemoryBytes?: number;
}

export const DEFAULT_MIN_FREE_DISK = 256 * 1024 ** 2;
export const DEFAULT_MIN_FREE_MEMORY = 512 * 1024 ** 2;

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

export async function checkHealth(options: HealthOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const minMemory = options.minFreeMemoryBytes ?? DEFAULT_MIN_FREE_MEMORY;
  const free = freemem();
  findings.push({
    check: "memory", count: free, total: minMemory, ratePercent: 0,
    severity: free < minMemory ? "critical" : "ok",
    message: free < minMemory ? `only ${mib(free)} of memory is free; the load needs ${mib(minMemory)}` : `${mib(free)} of memory free (needs ${mib(minMemory)})`,
  });
  if (options.backupDirectory !== undefined) {
    const needed = (options.backupBytes ?? 0) + (options.minFreeDiskBytes ?? DEFAULT_MIN_FREE_DISK);
    const available = await freeDiskBytes(options.backupDirectory);
    findings.push({
      check: "disk_space", count: available, total: needed, ratePercent: 0,
      severity: available < needed ? "critical" : "ok",
      message: available < needed
        ? `only ${mib(available)} free in ${options.backupDirectory}; the backup needs about ${mib(options.backupBytes ?? 0)} plus ${mib(needed - (options.backupBytes ?? 0))} spare`
        : `${mib(available)} free in ${options.backupDirectory} (backup needs about ${mib(options.backupBytes ?? 0)})`,
    });
  }
  return findings;
}

/** Free bytes of the filesystem holding dir (or its nearest existing parent). */
async function freeDiskBytes(dir: string): Promise<number> {
  let path = dir;
  for (;;) {
    try {
      const stats = await statfs(path);
      return stats.bavail * stats.bsize;
    } catch (error) {
      const parent = path.replace(/\/[^/]*\/?$/, "") || "/";
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || parent === path) throw error;
      path = parent;
    }
  }
}
