/**
 * The gate's settings an operator reasons with: each check's warn and fail
 * levels, and findings accepted after review. Both come in the same shape
 * from the CLI, the stack config and the resource's inputs, and are checked
 * here, once.
 *
 * An acceptance names one finding, `table.column:check<=count` (or
 * `table:check<=count` for a table's finding, `check<=count` for the
 * export's): that finding no longer blocks while it concerns at most
 * `count` rows or values. A new finding, or this one grown past the count,
 * still does.
 */
import { OptionError } from "../errors";
import type { CheckKind, CheckThreshold, Finding } from "./model";

/** Each check's warn and fail levels, in percent of the values or rows concerned (as dbt and Soda configure tests). */
export const DEFAULT_THRESHOLDS: Readonly<Record<CheckKind, CheckThreshold>> = {
  type_conformity: { warn: 0.1, fail: 5 },
  // A widened column holds every value exactly: always reported, never failing.
  type_widened: { warn: 0, fail: 100 },
  timestamp_parse_rate: { warn: 0.1, fail: 5 },
  invalid_utf8: { warn: 0, fail: 1 },
  nul_bytes: { warn: 0, fail: 1 },
  orphans: { warn: 0, fail: 5 },
  duplicate_keys: { warn: 0, fail: 1 },
  null_keys: { warn: 0, fail: 1 },
  row_shrinkage: { warn: 10, fail: 50 },
  // Reported for a person to look at; the values load exactly (as numbers, or each in its own reading).
  not_a_date: { warn: 0, fail: 100 },
  date_reading: { warn: 0, fail: 100 },
  // A refused view is left out; the data loads whole: reported, failing only when set to.
  view_refused: { warn: 0, fail: 100 },
  empty_source: { warn: 0, fail: 0 },
  disk_space: { warn: 0, fail: 0 },
  backup_codec: { warn: 0, fail: 0 },
  backup_tool: { warn: 0, fail: 0 },
  memory: { warn: 0, fail: 0 },
};

/** The checks, by name. */
export const CHECKS = Object.keys(DEFAULT_THRESHOLDS) as CheckKind[];

/** Checks of the machine, not of the export: no acceptance makes a disk big enough. */
export const HEALTH_CHECKS: ReadonlySet<CheckKind> = new Set(["disk_space", "memory", "backup_codec", "backup_tool"]);

export type Thresholds = Partial<Record<CheckKind, Partial<CheckThreshold>>>;

export interface Acceptance {
  /** The finding's name: `table.column:check`, `table:check` or `check` (findingKey). */
  readonly key: string;
  readonly check: CheckKind;
  readonly max: number;
}

/** Validates levels against the checks `known`. */
export function checkThresholds(thresholds: Thresholds, known: readonly CheckKind[] = CHECKS, field = "thresholds"): Thresholds {
  for (const [check, levels] of Object.entries(thresholds)) {
    if (!known.includes(check as CheckKind)) throw new OptionError(field, `unknown check "${check}"; checks: ${known.join(", ")}`);
    for (const [level, value] of Object.entries(levels ?? {})) {
      if (level !== "warn" && level !== "fail") throw new OptionError(`${field}.${check}`, `levels are warn and fail, got "${level}"`);
      if (typeof value !== "number" || !(value >= 0 && value <= 100))
        throw new OptionError(`${field}.${check}.${level}`, `must be a percentage from 0 to 100, got ${JSON.stringify(value)}`);
    }
    if (levels?.warn !== undefined && levels.fail !== undefined && levels.warn > levels.fail)
      throw new OptionError(`${field}.${check}`, `warn (${levels.warn}) must not be above fail (${levels.fail})`);
  }
  return thresholds;
}

/** `check=warn:fail` (either may be empty), as the CLI's --threshold spells it. */
export function parseThreshold(spec: string, field = "--threshold"): Thresholds {
  const match = /^([a-z][a-z0-9_]*)=(\d+(?:\.\d+)?)?:(\d+(?:\.\d+)?)?$/.exec(spec.trim());
  if (!match || (match[2] === undefined && match[3] === undefined))
    throw new OptionError(field, `expected check=warn:fail in percent (e.g. type_conformity=0.1:10), got "${spec}"`);
  const levels: Partial<CheckThreshold> = {
    ...(match[2] !== undefined ? { warn: Number(match[2]) } : {}),
    ...(match[3] !== undefined ? { fail: Number(match[3]) } : {}),
  };
  return { [match[1] as CheckKind]: levels };
}

/** Parses acceptances, refusing unknown checks and the machine's. */
export function parseAcceptances(specs: readonly string[], known: readonly CheckKind[] = CHECKS, field = "acceptFindings"): Acceptance[] {
  return specs.map((text) => {
    // A check's name may hold digits (invalid_utf8).
    const match = /^((?:.+:)?([a-z][a-z0-9_]*))<=(\d+)$/s.exec(text.trim());
    if (!match)
      throw new OptionError(
        field,
        `expected table.column:check<=count, table:check<=count or check<=count (e.g. ticket.time:type_conformity<=1), got "${text}"`,
      );
    const check = match[2] as CheckKind;
    if (!known.includes(check)) throw new OptionError(field, `unknown check "${check}" in "${text}"; checks: ${known.join(", ")}`);
    if (HEALTH_CHECKS.has(check))
      throw new OptionError(field, `"${text}": ${check} is a check of the machine, not of the export, and cannot be accepted`);
    return { key: match[1], check, max: Number(match[3]) };
  });
}

/** A finding's name as an acceptance spells it: the same text the block message proposes. */
export function findingKey(finding: Finding): string {
  const where = finding.table === undefined ? "" : `${finding.table}${finding.column === undefined ? "" : `.${finding.column}`}:`;
  return `${where}${finding.check}`;
}

/** The acceptance that covers `finding` as it stands, if any. */
export function acceptanceOf(finding: Finding, acceptances: readonly Acceptance[]): Acceptance | undefined {
  const key = findingKey(finding);
  return acceptances.find((a) => a.key === key && finding.count <= a.max);
}

/** How an operator accepts `finding` as it stands. */
export const acceptanceText = (finding: Finding) => `${findingKey(finding)}<=${finding.count}`;
