/** Options of a migration run, with their defaults in one place. */
import { CheckKind, CheckThreshold } from "../quality";
import { Acceptance, checkThresholds, parseAcceptances } from "../quality/settings";
import { PlanOptions } from "../plan";
import { ProgressListener } from "../progress";
import { DEFAULTS } from "../defaults";
import { backsUp, defaultCutover, MigrationMode, MODES } from "../modes";
import { Inspection } from "./inspect";
import { OptionError } from "../errors";
import { compressionLabel, parseCompression } from "../backup/compression";
import { keepDaysOf } from "../backup/catalog";
import { Holder, validatePrefix } from "../versions";
import { MAX_STREAMS } from "./streams";

export interface MigrateOptions extends PlanOptions {
  /** The SQLite export. */
  readonly sourcePath: string;
  /** postgresql:// URL of the target database. */
  readonly databaseUrl: string;
  /** Defaults to "complete". */
  readonly mode?: MigrationMode;
  /** Prefix of the versioned and stable schemas. Defaults to "servicedesk". */
  readonly schemaPrefix?: string;
  /** Score below which the gate blocks (complete and canary modes). Defaults to 80. */
  readonly minQuality?: number;
  /** Warn and fail levels per check, in percent (quality/gate.ts has the defaults). */
  readonly thresholds?: Partial<Record<CheckKind, Partial<CheckThreshold>>>;
  /** Findings reviewed and accepted: `table.column:check<=count` (quality/settings.ts). Defaults to none. */
  readonly acceptFindings?: readonly string[];
  /**
   * Serve a version in which a table lost over half its source rows to
   * rejects (or is empty while the export's table is not). Defaults to
   * false: the version is kept, not served, and the run fails (TABLE_LOSS).
   */
  readonly allowTableLoss?: boolean;
  /** Canary sample share and seed. Defaults to 0.1 and 1. */
  readonly sampleRate?: number;
  readonly sampleSeed?: number;
  /** SQL run on the canary schema (search_path set to it); each must succeed. */
  readonly testQueries?: readonly string[];
  /** "auto" switches the stable schema to the new version; "manual" leaves that to the cutover command. */
  readonly cutover?: "auto" | "manual";
  /** Previous versions kept besides the active one. Defaults to 1. */
  readonly retainVersions?: number;
  /** Versions retention must not drop whatever their age (those another Pulumi stack holds). */
  readonly keepVersions?: readonly string[];
  /** Where backups of the active version go, in a folder per prefix. Defaults to ./backups. */
  readonly backupDirectory?: string;
  /** pg_dump's codec: none, gzip[:1-9], lz4[:1-12], zstd[:1-22] (lz4 and zstd need pg_dump 16). Defaults to gzip:1. */
  readonly backupCompression?: string;
  /** Days a backup no retained version needs is kept after it was written. Defaults to 0. */
  readonly backupKeepDays?: number;
  /**
   * "pg_dump" backs up the active version before a cutover (complete mode);
   * "none" goes without, for a server no pg_dump at hand dumps: never the
   * default, said in the report, and it needs retainVersions 1 or more.
   * Defaults to "pg_dump".
   */
  readonly backup?: "pg_dump" | "none";
  /** The folder of the pg_dump and pg_restore to use; by default PATH's, or a Debian client folder that dumps the server. */
  readonly pgBinDir?: string;
  readonly minFreeDiskBytes?: number;
  readonly minFreeMemoryBytes?: number;
  /** How long to wait for another run on the same prefix. Defaults to 10 minutes. */
  readonly lockTimeoutMs?: number;
  /** Tables loaded at once, each in a session of its own, or "auto" (the default; see DEFAULTS.streams). */
  readonly streams?: number | "auto";
  /** Adopt a retained version loaded from the same export with the same options. Defaults to true. */
  readonly reuse?: boolean;
  /** Recorded in the version's metadata, e.g. "pulumi:dev". */
  readonly loadedBy?: string;
  /**
   * Who will hold the version this run serves (a Pulumi stack's resource):
   * its claim is written under the prefix lock, after retention, which
   * keeps every version other holders hold.
   */
  readonly holder?: Holder;
  readonly onProgress?: ProgressListener;
  /** Reuse an inspection already made (preview computes one). */
  readonly inspection?: Inspection;
}

export interface ResolvedOptions extends MigrateOptions {
  readonly mode: MigrationMode;
  readonly schemaPrefix: string;
  readonly minQuality: number;
  readonly cutover: "auto" | "manual";
  readonly retainVersions: number;
  readonly backupDirectory: string;
  readonly backupCompression: string;
  readonly backupKeepDays: number;
  readonly reuse: boolean;
  readonly streams: number | "auto";
  readonly acceptances: readonly Acceptance[];
  readonly allowTableLoss: boolean;
  readonly backup: "pg_dump" | "none";
}

export function resolveOptions(options: MigrateOptions): ResolvedOptions {
  const mode = options.mode ?? DEFAULTS.mode;
  if (!MODES.includes(mode)) throw new OptionError("mode", `must be one of ${MODES.join(", ")}, got "${mode}"`);
  const schemaPrefix = options.schemaPrefix ?? DEFAULTS.schemaPrefix;
  validatePrefix(schemaPrefix);
  const minQuality = options.minQuality ?? DEFAULTS.minQuality;
  if (!(minQuality >= 0 && minQuality <= 100)) throw new OptionError("minQuality", `must be between 0 and 100, got ${minQuality}`);
  const retainVersions = options.retainVersions ?? DEFAULTS.retainVersions;
  if (!Number.isInteger(retainVersions) || retainVersions < 0)
    throw new OptionError("retainVersions", `must be a whole number >= 0, got ${retainVersions}`);
  const backupKeepDays = keepDaysOf(options.backupKeepDays);
  const cutover = options.cutover ?? defaultCutover(mode);
  const streams = options.streams ?? DEFAULTS.streams;
  if (streams !== "auto" && !(Number.isInteger(streams) && streams >= 1 && streams <= MAX_STREAMS))
    throw new OptionError("streams", `must be "auto" or a whole number from 1 to ${MAX_STREAMS}, got ${JSON.stringify(streams)}`);
  if (cutover !== "auto" && cutover !== "manual") throw new OptionError("cutover", `must be "auto" or "manual", got "${cutover}"`);
  if (options.thresholds) checkThresholds(options.thresholds);
  const backup = options.backup ?? DEFAULTS.backup;
  if (backup !== "pg_dump" && backup !== "none")
    throw new OptionError("backup", `must be "pg_dump" or "none", got ${JSON.stringify(backup)}`);
  // Without a dump, the replaced version is the only way back: retention must keep it.
  if (backup === "none" && backsUp(mode) && retainVersions < 1)
    throw new OptionError("backup", `"none" needs retainVersions 1 or more: the replaced version is then the only way back`);
  return {
    ...options,
    mode,
    schemaPrefix,
    minQuality,
    cutover,
    retainVersions,
    backupDirectory: options.backupDirectory ?? DEFAULTS.backupDirectory,
    backupCompression: compressionLabel(parseCompression(options.backupCompression ?? DEFAULTS.backupCompression)),
    backupKeepDays,
    reuse: options.reuse ?? true,
    streams,
    acceptances: parseAcceptances(options.acceptFindings ?? []),
    backup,
    allowTableLoss: options.allowTableLoss ?? false,
  };
}
