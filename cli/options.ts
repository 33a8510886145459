/** Command-line flags to engine options, with errors naming the flag. */
import { checkThresholds, DEFAULTS, OptionError, parseAcceptances, parseDateRange, parseThreshold, Thresholds } from "../engine";
import * as path from "node:path";
import type { BadValuePolicy, CheckKind, MigrateOptions, PlanOptions, RenameMap } from "../engine";
import { targetDatabaseUrl } from "./database";
import type { ProgressMode } from "./progress";

/** The flags of migrate, which takes them all; other commands take a subset (cli/flags.ts). */
export interface MigrateFlags {
  source?: string;
  databaseUrl?: string;
  schemaPrefix: string;
  minQuality?: string;
  sampleRate?: string;
  sampleSeed?: string;
  onBadValue: string;
  type: string[];
  renameTable: string[];
  renameColumn: string[];
  include: string[];
  exclude: string[];
  timezone?: string;
  dateRange: string;
  threshold: string[];
  accept: string[];
  allowTableLoss: boolean;
  testQuery: string[];
  cutover?: string;
  retain?: string;
  streams?: string;
  backupDir?: string;
  backupCompression?: string;
  backupKeepDays?: string;
  backup: "pg_dump" | "none";
  pgBinDir?: string;
  reportDir?: string;
  lockTimeout?: string;
  reuse: boolean;
  json: boolean;
  progress: ProgressMode;
  quiet: boolean;
}

/** The flags that shape the plan, as PlanOptions. */
export type PlanFlags = Pick<
  MigrateFlags,
  "onBadValue" | "type" | "renameTable" | "renameColumn" | "include" | "exclude" | "timezone" | "dateRange"
>;

/** The flags of the quality gate. */
export type GateFlags = Pick<MigrateFlags, "minQuality" | "threshold" | "accept">;

export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new OptionError(flag, `must be a number, got "${value}"`);
  return n;
}

/** --type table.column=type, repeated: the last dot separates table from column. */
export function typeOverrides(specs: readonly string[]): Record<string, Record<string, string>> {
  const overrides: Record<string, Record<string, string>> = {};
  for (const spec of specs) {
    const match = /^(.+)\.([^.=]+)=(.+)$/.exec(spec);
    if (!match) throw new OptionError("--type", `expected table.column=type, got "${spec}"`);
    (overrides[match[1]] ??= {})[match[2]] = match[3];
  }
  return overrides;
}

/** --rename-table old=new and --rename-column table.column=new, repeated. */
export function renames(tables: readonly string[], columns: readonly string[]): RenameMap {
  const tableMap: Record<string, string> = {};
  const columnMap: Record<string, Record<string, string>> = {};
  for (const spec of tables) {
    const match = /^(.+)=(.+)$/.exec(spec);
    if (!match) throw new OptionError("--rename-table", `expected table=new_name, got "${spec}"`);
    tableMap[match[1]] = match[2];
  }
  for (const spec of columns) {
    const match = /^(.+)\.([^.=]+)=(.+)$/.exec(spec);
    if (!match) throw new OptionError("--rename-column", `expected table.column=new_name, got "${spec}"`);
    (columnMap[match[1]] ??= {})[match[2]] = match[3];
  }
  return { tables: tableMap, columns: columnMap };
}

export function requireSource(flags: { source?: string }): string {
  if (!flags.source) throw new OptionError("--source", "the SQLite export to migrate is required");
  return flags.source;
}

export function planOptions(flags: PlanFlags): PlanOptions {
  return {
    // commander's choices() has checked the policy.
    badValuePolicy: flags.onBadValue as BadValuePolicy,
    typeOverrides: typeOverrides(flags.type),
    renames: renames(flags.renameTable, flags.renameColumn),
    includeTables: flags.include,
    excludeTables: flags.exclude,
    timezone: flags.timezone ?? null,
    dateRange: dateRange(flags.dateRange),
  };
}

function dateRange(text: string): string {
  if (!parseDateRange(text))
    throw new OptionError("--date-range", `expected two years from-to, from before to (e.g. 1900-2200), got "${text}"`);
  return text;
}

/** --threshold check=warn:fail, repeated, merged per check. */
export function thresholds(specs: readonly string[]): Thresholds {
  const merged: Thresholds = {};
  for (const spec of specs)
    for (const [check, levels] of Object.entries(parseThreshold(spec)))
      merged[check as CheckKind] = { ...merged[check as CheckKind], ...levels };
  return merged;
}

/** The gate's flags, checked here so an error names the flag. */
export function gateOptions(flags: GateFlags): Pick<MigrateOptions, "minQuality" | "thresholds" | "acceptFindings"> {
  const levels = checkThresholds(thresholds(flags.threshold), undefined, "--threshold");
  parseAcceptances(flags.accept, undefined, "--accept");
  return { minQuality: numberFlag(flags.minQuality, "--min-quality"), thresholds: levels, acceptFindings: flags.accept };
}

/** --lock-timeout in seconds, as milliseconds (undefined: the engine's default). */
export function lockTimeoutMs(flags: { lockTimeout?: string }): number | undefined {
  const seconds = numberFlag(flags.lockTimeout, "--lock-timeout");
  if (seconds !== undefined && seconds < 0)
    throw new OptionError("--lock-timeout", `must be 0 or more seconds, got "${flags.lockTimeout}"`);
  return seconds === undefined ? undefined : seconds * 1000;
}

export function migrateOptions(flags: MigrateFlags): MigrateOptions {
  return {
    ...planOptions(flags),
    ...gateOptions(flags),
    allowTableLoss: flags.allowTableLoss,
    sourcePath: requireSource(flags),
    databaseUrl: targetDatabaseUrl(flags.databaseUrl),
    schemaPrefix: flags.schemaPrefix,
    sampleRate: numberFlag(flags.sampleRate, "--sample-rate"),
    sampleSeed: numberFlag(flags.sampleSeed, "--sample-seed"),
    lockTimeoutMs: lockTimeoutMs(flags),
    testQueries: flags.testQuery,
    cutover: flags.cutover as "auto" | "manual" | undefined,
    retainVersions: numberFlag(flags.retain, "--retain"),
    // Absolute, as the Pulumi provider passes it: the report, the health check's
    // messages and the restore command then name one folder wherever they are read.
    backupDirectory: path.resolve(flags.backupDir ?? DEFAULTS.backupDirectory),
    backupCompression: flags.backupCompression,
    backupKeepDays: numberFlag(flags.backupKeepDays, "--backup-keep-days"),
    backup: flags.backup,
    pgBinDir: flags.pgBinDir === undefined ? undefined : path.resolve(flags.pgBinDir),
    reuse: flags.reuse,
    streams: flags.streams === undefined || flags.streams === "auto" ? undefined : numberFlag(flags.streams, "--streams"),
  };
}
