/** The quality gate's vocabulary: checks, findings, the score and the verdict. */
import type { MigrationErrorCode } from "../errors";

export type CheckKind =
  | "type_conformity"
  | "type_widened"
  | "timestamp_parse_rate"
  | "invalid_utf8"
  | "nul_bytes"
  | "orphans"
  | "duplicate_keys"
  | "null_keys"
  | "row_shrinkage"
  /** A declared date or time column kept as numbers: none of its sampled numbers is a date in the date range. */
  | "not_a_date"
  /** Numbers of a date column read, by their magnitude, in another reading than the column's usual one. */
  | "date_reading"
  /** An export's view refused for what it reads or calls (engine/views/vet.ts). */
  | "view_refused"
  | "empty_source"
  | "disk_space"
  | "backup_codec"
  /** The pg_dump found dumps the server's major (pg_dump refuses a newer server). */
  | "backup_tool"
  | "memory";

export type Severity = "ok" | "warn" | "fail" | "critical";

/** Warn and fail levels of a rate check, in percent of the values or rows concerned (as dbt and Soda configure tests). */
export interface CheckThreshold {
  readonly warn: number;
  readonly fail: number;
}

export interface Finding {
  readonly check: CheckKind;
  readonly severity: Severity;
  readonly table?: string;
  readonly column?: string;
  /** What was measured: a count and the rate it is of the total. */
  readonly count: number;
  readonly total: number;
  readonly ratePercent: number;
  readonly message: string;
  /** The error code of a critical health finding that has one (BACKUP_CODEC_UNSUPPORTED). */
  readonly code?: MigrationErrorCode;
  /** A few offending values with their row keys. */
  readonly examples?: readonly { readonly rowKey: string; readonly value: string }[];
  /** The acceptance (acceptFindings) that covers it: it does not block. */
  readonly accepted?: string;
}

export interface QualityReport {
  /** 0-100; see SCORE_FORMULA. */
  readonly score: number;
  readonly minQuality: number;
  readonly formula: string;
  /** Rows that cannot be loaded as they are (rejected or a value nulled), over all rows. */
  readonly affectedRows: number;
  readonly totalRows: number;
  readonly findings: readonly Finding[];
  readonly blocked: boolean;
  /** Why the gate blocks: the score, failing checks, critical findings (the circuit breaker). */
  readonly blockedBy: readonly string[];
  /** What the operator can do about each reason: the type override, the check's level, the acceptance, minQuality. */
  readonly waysForward: readonly string[];
  /** "full" when every value was converted; "sample" when measured on the canary sample. */
  readonly basis: "full" | "sample";
}
