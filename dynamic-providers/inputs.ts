/**
 * The ServicedeskMigration resource's inputs as the provider sees them
 * (unwrapped), their defaults, and their validation. Validation returns
 * {property, reason} failures rather than throwing, and skips values that
 * are still unknown during a preview.
 */
import { type BadValuePolicy, defaultCutover, MODES, type RenameMap, type Thresholds } from "../engine";
import { INPUTS } from "./lifecycle";

/** The value Pulumi puts in place of an input not known until apply. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type ResourceMode = "simple" | "blue-green" | "complete";

/** Per table: row count, primary key and column -> PostgreSQL type. Shown in the preview diff. */
export type SchemaPlan = Record<string, { rows: number; primaryKey: string[]; columns: Record<string, string> }>;

export interface MigrationInputs {
  /** Path of the SQLite export (relative to the project, or absolute). */
  source: string;
  /** postgresql:// URL of the target database: a secret. */
  connection: string;
  schemaPrefix: string;
  mode: ResourceMode;
  minQuality: number;
  sampleRate: number;
  sampleSeed: number;
  badValuePolicy: BadValuePolicy;
  typeOverrides: Record<string, Record<string, string>>;
  /** PostgreSQL names for source tables and columns. */
  renames: RenameMap;
  includeTables: string[];
  excludeTables: string[];
  /** IANA zone of naive timestamps ("" keeps them as timestamp without time zone). */
  timezone: string;
  /** Years a number in a date column must fall in, in its reading, to be a date ("1900-2200"). */
  dateRange: string;
  /** Warn and fail levels per check, in percent: {"type_conformity": {"warn": 0.1, "fail": 10}}. */
  thresholds: Thresholds;
  /** Findings reviewed and accepted: "table.column:check<=count". */
  acceptFindings: string[];
  /** Serve a version in which a table lost over half its rows to rejects. */
  allowTableLoss: boolean;
  /** "" leaves it to the mode: manual for blue-green, auto otherwise (see effectiveCutover). */
  cutover: "" | "auto" | "manual";
  retainVersions: number;
  backupDirectory: string;
  /** pg_dump's codec: none, gzip[:1-9], lz4[:level], zstd[:level] (lz4 and zstd need pg_dump 16). */
  backupCompression: string;
  /** Days pruning keeps a backup no retained version needs. */
  backupKeepDays: number;
  /** "pg_dump", or "none": a stated choice to go without a backup (retainVersions 1 or more). */
  backup: "pg_dump" | "none";
  /** The folder of the pg_dump and pg_restore to use ("": PATH's, or a Debian client folder that suits the server). */
  pgBinDir: string;
  minFreeDiskBytes: number;
  minFreeMemoryBytes: number;
  /** Tables loaded at once, each in a session of its own, or "auto". */
  streams: number | "auto";
  testQueries: string[];
  /** sha256 of the export, computed by the program at preview time. */
  sourceDigest: string;
  /** The schema the export produces, computed by the program at preview time. */
  schemaPlan: SchemaPlan;
  /** Who loads: "pulumi:<project>/<stack>", recorded on the version and used to tell a replacement from a destroy. */
  owner: string;
  /** The review of the export against the version readers are on, as the preview printed it: shown, never a change. */
  review: Record<string, string>;
}

export interface MigrationOutputs extends MigrationInputs {
  /** This resource's instance (one per create): how a delete tells a replacement from a destroy. Absent in older state. */
  instanceId?: string;
  schemaName: string;
  previousSchemaName: string;
  /** The version readers are on (the stable schema serves it), as the last up or refresh found it; "" when none. */
  servedSchemaName: string;
  stableSchema: string;
  rowCounts: Record<string, number>;
  rejectCounts: Record<string, number>;
  quality: { score: number; minQuality: number; basis: string; findings: { check: string; severity: string; message: string }[] } | null;
  canary: { sampleRate: number; sampleRows: Record<string, number>; queries: number; seconds: number } | null;
  timings: Record<string, number>;
  backupFile: string;
  /** The pg_dump that made backupFile ("pg_dump 15.20 (on PATH)"), "none (backup: none)" when a run went without one, else "". */
  backupTool: string;
  cutoverCommand: string;
  rollbackCommand: string;
  restoreCommand: string;
  /** "loaded" when this version was loaded, "adopted" when a retained identical one was reused. */
  origin: "loaded" | "adopted";
  reportFile: string;
  reportMarkdownFile: string;
  createdAt: string;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

const known = (value: unknown) => value !== UNKNOWN && value !== undefined;

/** Failures for every known input that is out of range, and for inputs that contradict each other. */
export function validateInputs(inputs: Partial<MigrationInputs>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const input of INPUTS) {
    const value = inputs[input.name];
    if (!known(value)) continue;
    const reason = input.validate(value as never);
    if (reason) failures.push({ property: input.name, reason });
  }
  const mode = MODES.find((m) => m === inputs.mode);
  if (mode && defaultCutover(mode) === "manual" && inputs.cutover === "auto") {
    failures.push({
      property: "cutover",
      reason: `${mode} switches the stable schema only on the cutover command: leave cutover unset (or "manual"), or use mode complete or simple`,
    });
  }
  return failures;
}

/** Inputs with defaults filled in for what the program left out. */
export function withDefaults(inputs: Partial<MigrationInputs>): MigrationInputs {
  const given = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined && v !== null)) as Partial<MigrationInputs>;
  const defaults = Object.fromEntries(INPUTS.map((i) => [i.name, i.default ?? ""]));
  return { ...defaults, ...given } as MigrationInputs;
}

/** True when any input is still unknown (a preview before its dependencies exist). */
export function hasUnknowns(inputs: object): boolean {
  return JSON.stringify(inputs).includes(UNKNOWN);
}
