/**
 * The lifecycle of ServicedeskMigration as data: every input, its type and
 * default, what a change of it does, and why. diff() reads its decisions
 * from here, the defaults and the validation come from here, and a test
 * holds Pulumi.yaml, the README's configuration reference and the CLI's
 * defaults to it (test/components/lifecycle-table.test.ts).
 *
 * A change is "replace" when it changes the data a version holds: a new
 * resource is created first (it adopts a retained version that already
 * holds that data, or loads one), then the old one is deleted, which never
 * drops a version its replacement serves. "update" changes how the
 * resource is run or kept and is applied in place, under the prefix lock.
 */
import {
  checkThresholds,
  DEFAULTS,
  defaultCutover,
  MAX_STREAMS,
  parseAcceptances,
  parseCompression,
  parseDateRange,
  type Thresholds,
} from "../engine";
import type { MigrationInputs } from "./inputs";

/** "shown": what the preview computes to show; never a change by itself. */
export type InputChange = "replace" | "update" | "shown";
/** The type as Pulumi.yaml declares the stack config key of the same name. */
export type ConfigType = "string" | "integer" | "boolean" | "object" | "array";

export interface InputSpec {
  readonly name: keyof MigrationInputs;
  readonly type: ConfigType;
  readonly secret?: boolean;
  /** undefined: required. */
  readonly default: unknown;
  readonly change: InputChange;
  /** Why a change of it does what `change` says. */
  readonly why: string;
  /** null when valid, else the reason (check() reports it as the property's failure). */
  readonly validate: (value: never) => string | null;
  /** Computed by the program (describeSource, the stack's name), not a stack config key. */
  readonly computed?: boolean;
}

const oneOf = (choices: readonly string[]) => (v: string) =>
  choices.includes(v) ? null : `must be one of ${choices.join(", ")}, got "${v}"`;
const numberIn =
  (min: number, max: number, integer = false) =>
  (v: number) =>
    typeof v !== "number" || Number.isNaN(v) || v < min || v > max || (integer && !Number.isInteger(v))
      ? `must be ${integer ? "a whole number" : "a number"} between ${min} and ${max}, got ${JSON.stringify(v)}`
      : null;
const stringList = (v: unknown) => (Array.isArray(v) && v.every((x) => typeof x === "string") ? null : "must be a list of strings");
const anything = () => null;
const isObject = (v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? null : "must be an object");

const DATA = "it changes the data the version holds";

/** The engine's own check of a setting, as a reason (its field prefix dropped), or null. */
function optionProblem(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (error) {
    return (error as Error).message.replace(/^[\w.-]+: /, "");
  }
}

export const INPUTS: readonly InputSpec[] = [
  {
    name: "source",
    type: "string",
    default: undefined,
    change: "update",
    why: "the path alone; its content is sourceDigest",
    validate: (v: string) => (typeof v === "string" && v.length > 0 ? null : "the path of the SQLite export is required"),
  },
  {
    name: "connection",
    type: "string",
    secret: true,
    default: undefined,
    change: "update",
    why: "a new password or host for the same database",
    validate: (v: string) => (typeof v === "string" && /^postgres(ql)?:\/\//.test(v) ? null : "must be a postgresql:// URL"),
  },
  { name: "sourceDigest", type: "string", default: "", change: "replace", why: DATA, validate: anything, computed: true },
  { name: "schemaPlan", type: "object", default: {}, change: "replace", why: DATA, validate: isObject, computed: true },
  {
    name: "schemaPrefix",
    type: "string",
    default: DEFAULTS.schemaPrefix,
    change: "replace",
    why: "another family of versions and stable schema",
    validate: (v: string) =>
      typeof v !== "string" || !/^[a-z_][a-z0-9_]{0,45}$/.test(v)
        ? "must match [a-z_][a-z0-9_]* and be at most 46 bytes"
        : v.startsWith("pg_")
          ? "must not start with pg_, which PostgreSQL reserves for its own schemas"
          : null,
  },
  {
    name: "mode",
    type: "string",
    default: DEFAULTS.mode,
    change: "update",
    why: "how the next load runs; the data stays as it is",
    validate: oneOf(["simple", "blue-green", "complete"]),
  },
  {
    name: "minQuality",
    type: "integer",
    default: DEFAULTS.minQuality,
    change: "update",
    why: "the gate's threshold for the next load",
    validate: numberIn(0, 100),
  },
  {
    name: "sampleRate",
    type: "string",
    default: DEFAULTS.sampleRate,
    change: "update",
    why: "the canary of the next load",
    validate: (v: number) => (typeof v === "number" && v > 0 && v <= 1 ? null : `must be above 0 and at most 1, got ${JSON.stringify(v)}`),
  },
  {
    name: "sampleSeed",
    type: "integer",
    default: DEFAULTS.sampleSeed,
    change: "update",
    why: "the canary of the next load",
    validate: numberIn(0, Number.MAX_SAFE_INTEGER, true),
  },
  {
    name: "badValuePolicy",
    type: "string",
    default: DEFAULTS.badValuePolicy,
    change: "replace",
    why: DATA,
    validate: oneOf(["reject", "null", "fail"]),
  },
  { name: "typeOverrides", type: "object", default: {}, change: "replace", why: DATA, validate: isObject },
  { name: "renames", type: "object", default: {}, change: "replace", why: DATA, validate: isObject },
  { name: "includeTables", type: "array", default: [], change: "replace", why: DATA, validate: stringList },
  { name: "excludeTables", type: "array", default: [], change: "replace", why: DATA, validate: stringList },
  {
    name: "timezone",
    type: "string",
    default: "",
    change: "replace",
    why: DATA,
    validate: (v: string) => (typeof v === "string" ? null : "must be an IANA zone name or empty"),
  },
  {
    name: "dateRange",
    type: "string",
    default: DEFAULTS.dateRange,
    change: "replace",
    why: DATA,
    validate: (v: string) =>
      typeof v === "string" && parseDateRange(v) ? null : `must be two years "from-to", from before to (e.g. "1900-2200")`,
  },
  {
    name: "thresholds",
    type: "object",
    default: {},
    change: "update",
    why: "the gate's levels for the next load",
    validate: (v: Thresholds) => optionProblem(() => checkThresholds(v)) ?? isObject(v),
  },
  {
    name: "acceptFindings",
    type: "array",
    default: [],
    change: "update",
    why: "the gate's verdict on the next load",
    validate: (v: string[]) => stringList(v) ?? optionProblem(() => parseAcceptances(v)),
  },
  {
    name: "allowTableLoss",
    type: "boolean",
    default: false,
    change: "update",
    why: "whether the next load may be served with a table that lost most of its rows",
    validate: (v: boolean) => (typeof v === "boolean" ? null : "must be true or false"),
  },
  {
    name: "cutover",
    type: "string",
    default: "",
    change: "update",
    why: "when the stable schema switches; auto switches to the resource's version on update",
    validate: oneOf(["", "auto", "manual"]),
  },
  {
    name: "retainVersions",
    type: "integer",
    default: DEFAULTS.retainVersions,
    change: "update",
    why: "how many previous versions retention keeps",
    validate: numberIn(0, 100, true),
  },
  {
    name: "backupDirectory",
    type: "string",
    default: DEFAULTS.backupDirectory,
    change: "update",
    why: "where the next backups go",
    validate: (v: string) => (typeof v === "string" && v.length > 0 ? null : "must be a folder path"),
  },
  {
    name: "backupCompression",
    type: "string",
    default: DEFAULTS.backupCompression,
    change: "update",
    why: "how the next backups are written; restore reads every codec",
    validate: (v: string) => {
      try {
        parseCompression(v);
        return null;
      } catch (error) {
        return (error as Error).message.replace(/^backupCompression: /, "");
      }
    },
  },
  {
    name: "backupKeepDays",
    type: "integer",
    default: DEFAULTS.backupKeepDays,
    change: "update",
    why: "how long pruning keeps backups no retained version needs",
    validate: numberIn(0, 3650, true),
  },
  {
    name: "backup",
    type: "string",
    default: DEFAULTS.backup,
    change: "update",
    why: "how the next load backs up the version it replaces",
    validate: oneOf(["pg_dump", "none"]),
  },
  {
    name: "pgBinDir",
    type: "string",
    default: "",
    change: "update",
    why: "which pg_dump and pg_restore the next runs use",
    validate: (v: string) => (typeof v === "string" ? null : "must be a folder path or empty"),
  },
  {
    name: "minFreeDiskBytes",
    type: "integer",
    default: DEFAULTS.minFreeDiskBytes,
    change: "update",
    why: "a health check of the next load",
    validate: numberIn(0, Number.MAX_SAFE_INTEGER),
  },
  {
    name: "minFreeMemoryBytes",
    type: "integer",
    default: DEFAULTS.minFreeMemoryBytes,
    change: "update",
    why: "a health check of the next load",
    validate: numberIn(0, Number.MAX_SAFE_INTEGER),
  },
  {
    name: "streams",
    type: "string",
    default: DEFAULTS.streams,
    change: "update",
    why: "how the next load runs; the data stays as it is",
    validate: (v: number | "auto") =>
      v === "auto" || (Number.isInteger(v) && v >= 1 && v <= MAX_STREAMS)
        ? null
        : `must be "auto" or a whole number from 1 to ${MAX_STREAMS}, got ${JSON.stringify(v)}`,
  },
  { name: "testQueries", type: "array", default: [], change: "update", why: "the canary of the next load", validate: stringList },
  {
    name: "review",
    type: "object",
    default: {},
    change: "shown",
    why: "what the preview found of the export against the version readers are on; it changes when they change",
    validate: isObject,
    computed: true,
  },
  {
    name: "owner",
    type: "string",
    default: "",
    change: "update",
    why: "who holds the version; the claim moves with it",
    validate: anything,
    computed: true,
  },
];

export const REPLACING_INPUTS = INPUTS.filter((i) => i.change === "replace").map((i) => i.name);
export const UPDATING_INPUTS = INPUTS.filter((i) => i.change === "update").map((i) => i.name);
/** Computed to be shown in the preview (the review): diff never counts them. */
export const SHOWN_INPUTS = INPUTS.filter((i) => i.change === "shown").map((i) => i.name);

/** The cutover an input set means: its own, else its mode's (blue-green waits for the command). */
export function effectiveCutover(inputs: Pick<MigrationInputs, "cutover" | "mode">): "auto" | "manual" {
  return inputs.cutover === "" ? defaultCutover(inputs.mode) : inputs.cutover;
}
