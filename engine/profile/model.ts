/**
 * What is known about the source before loading: a sample of every column
 * (for type inference) and the structure checks that need SQL joins (row
 * counts, orphaned references, NULL keys). Exact per-value statistics come
 * from the loader itself, which converts every value (quality/stats.ts).
 */
import type { NumberReading } from "../formats/number-readings";
import { TimestampVariant } from "../formats/timestamp-formats";

/** Evidence about one column from the sample. */
export interface ColumnEvidence {
  readonly name: string;
  readonly sampled: number;
  readonly nulls: number;
  readonly integers: number;
  readonly reals: number;
  readonly texts: number;
  readonly blobs: number;
  /**
   * Sampled numbers by the reading their magnitude gives them and the year
   * that reading falls in (as text, years are keys), so a date range can
   * count those that are dates; numbers no reading reads are `unreadable`.
   */
  readonly numberYears: Partial<Record<NumberReading, Readonly<Record<string, number>>>>;
  readonly unreadableNumbers: number;
  /** The first sampled number, exactly as text, for a finding that shows its readings. */
  readonly firstNumber: string | null;
  /** Texts spelling true/false (yes, F, off...), and all boolean-like values including 0/1. */
  readonly booleanWords: number;
  readonly booleanValues: number;
  /** Texts that are plain decimal literals. */
  readonly decimalTexts: number;
  /** Texts that parse as some timestamp variant, and the variants seen (most frequent first). */
  readonly temporalTexts: number;
  readonly variants: readonly TimestampVariant[];
  /** Sampled texts per variant label (an ambiguous slash date counts for both orders). */
  readonly variantCounts: Readonly<Record<string, number>>;
}

export interface ForeignKeyOrphans {
  readonly columns: readonly string[];
  readonly parentTable: string;
  /** Row keys (rowid, or the primary key as JSON for WITHOUT ROWID tables) of the orphans. */
  readonly rowKeys: readonly (number | string)[];
}

export interface TableEvidence {
  readonly name: string;
  readonly rows: number;
  readonly columns: readonly ColumnEvidence[];
  readonly orphans: readonly ForeignKeyOrphans[];
  /** Rows whose primary key has a NULL (SQLite allows it outside INTEGER PRIMARY KEY). */
  readonly nullKeys: readonly (number | string)[];
}

export interface SourceEvidence {
  readonly tables: readonly TableEvidence[];
  readonly seconds: number;
}
