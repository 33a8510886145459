/**
 * The ServicedeskMigration resource's inputs as the provider sees them
 * (unwrapped), their defaults, and their validation. Validation returns
 * {property, reason} failures rather than throwing, and skips values that
 * are still unknown during a preview.
 */
import type { BadValuePolicy } from "../engine";

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
  includeTables: string[];
  excludeTables: string[];
  /** IANA zone of naive timestamps ("" keeps them as timestamp without time zone). */
  timezone: string;
  cutover: "auto" | "manual";
  retainVersions: number;
  backupDirectory: string;
  minFreeDiskBytes: number;
  minFreeMemoryBytes: number;
  testQueries: string[];
  /** sha256 of the export, computed by the program at preview time. */
  sourceDigest: string;
  /** The schema the export produces, computed by the program at preview time. */
  schemaPlan: SchemaPlan;
  /** Who loads: "pulumi:<project>/<stack>", recorded on the version and used to tell a replacement from a destroy. */
  owner: string;
}

export interface MigrationOutputs extends MigrationInputs {
  schemaName: string;
  previousSchemaName: string;
  stableSchema: string;
  rowCounts: Record<string, number>;
  rejectCounts: Record<string, number>;
  quality: { score: number; minQuality: number; basis: string; findings: { check: string; severity: string; message: string }[] } | null;
  canary: { sampleRate: number; sampleRows: Record<string, number>; queries: number; seconds: number } | null;
  timings: Record<string, number>;
  backupFile: string;
  cutoverCommand: string;
  rollbackCommand: string;
  restoreCommand: string;
  /** "loaded" when this version was loaded, "adopted" when a retained identical one was reused. */
  origin: "loaded" | "adopted";
  reportFile: string;
  reportMarkdownFile: string;
  createdAt: string;
}

export const DEFAULTS = {
  schemaPrefix: "servicedesk",
  mode: "complete" as ResourceMode,
  minQuality: 80,
  sampleRate: 0.1,
  sampleSeed: 1,
  badValuePolicy: "reject" as BadValuePolicy,
  cutover: "auto" as const,
  retainVersions: 1,
  backupDirectory: "backups",
  minFreeDiskBytes: 256 * 1024 ** 2,
  minFreeMemoryBytes: 512 * 1024 ** 2,
  timezone: "",
};

export interface CheckFailure {
  property: string;
  reason: string;
}

const known = (value: unknown) => value !== UNKNOWN && value !== undefined;

type Rule = [keyof MigrationInputs, (value: never) => string | null];

const oneOf = (choices: readonly string[]) => (v: string) => (choices.includes(v) ? null : `must be one of ${choices.join(", ")}, got "${v}"`);
const numberIn = (min: number, max: number, integer = false) => (v: number) =>
  typeof v !== "number" || Number.isNaN(v) || v < min || v > max || (integer && !Number.isInteger(v))
    ? `must be ${integer ? "a whole number" : "a number"} between ${min} and ${max}, got ${JSON.stringify(v)}`
    : null;
const stringList = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === "string") ? null : "must be a list of strings");

const RULES: readonly Rule[] = [
  ["source", (v: string) => (typeof v === "string" && v.length > 0 ? null : "the path of the SQLite export is required")],
  ["connection", (v: string) => (typeof v === "string" && /^postgres(ql)?:\/\//.test(v) ? null : "must be a postgresql:// URL")],
  ["schemaPrefix", (v: string) => (typeof v === "string" && /^[a-z_][a-z0-9_]{0,45}$/.test(v) ? null : "must match [a-z_][a-z0-9_]* and be at most 46 bytes")],
  ["mode", oneOf(["simple", "blue-green", "complete"])],
  ["minQuality", numberIn(0, 100)],
  ["sampleRate", (v: number) => (typeof v === "number" && v > 0 && v <= 1 ? null : `must be above 0 and at most 1, got ${JSON.stringify(v)}`)],
  ["sampleSeed", numberIn(0, Number.MAX_SAFE_INTEGER, true)],
  ["badValuePolicy", oneOf(["reject", "null", "fail"])],
  ["cutover", oneOf(["auto", "manual"])],
  ["retainVersions", numberIn(0, 100, true)],
  ["backupDirectory", (v: string) => (typeof v === "string" && v.length > 0 ? null : "must be a folder path")],
  ["minFreeDiskBytes", numberIn(0, Number.MAX_SAFE_INTEGER)],
  ["minFreeMemoryBytes", numberIn(0, Number.MAX_SAFE_INTEGER)],
  ["includeTables", stringList],
  ["excludeTables", stringList],
  ["testQueries", stringList],
  ["timezone", (v: string) => (typeof v === "string" ? null : "must be an IANA zone name or empty")],
];

/** Failures for every known input that is out of range. */
export function validateInputs(inputs: Partial<MigrationInputs>): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const [property, rule] of RULES) {
    const value = inputs[property];
    if (!known(value)) continue;
    const reason = rule(value as never);
    if (reason) failures.push({ property, reason });
  }
  return failures;
}

/** Inputs with defaults filled in for what the program left out. */
export function withDefaults(inputs: Partial<MigrationInputs>): MigrationInputs {
  const given = Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined && v !== null)) as Partial<MigrationInputs>;
  return {
    ...DEFAULTS,
    source: "",
    connection: "",
    typeOverrides: {},
    includeTables: [],
    excludeTables: [],
    testQueries: [],
    sourceDigest: "",
    schemaPlan: {},
    owner: "",
    ...given,
  };
}

/** True when any input is still unknown (a preview before its dependencies exist). */
export function hasUnknowns(inputs: object): boolean {
  return JSON.stringify(inputs).includes(UNKNOWN);
}
