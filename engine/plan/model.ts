/** The migration plan: what PostgreSQL will hold, decided before loading. */
import type { BadValuePolicy } from "../defaults";
import { ConverterSpec } from "../types/target-types";

export type { BadValuePolicy };

export interface ColumnPlan {
  /** Name in SQLite. */
  readonly source: string;
  /** Name in PostgreSQL (the source name unless renamed). */
  readonly name: string;
  readonly declaredType: string;
  /** PostgreSQL type, as the plan shows it ("timestamp with time zone", "numeric(10,2)"). */
  readonly type: string;
  readonly converter: ConverterSpec;
  /** Maximum length in characters for varchar(n); null otherwise. */
  readonly maxLength: number | null;
  readonly notNull: boolean;
  /** The DEFAULT expression in PostgreSQL SQL, or null. */
  readonly defaultSql: string | null;
  /** Why this type: the declared type and what the sample showed. */
  readonly reason: string;
  /**
   * Where the type came from, which decides what a value it cannot hold
   * does: "declared" (the declared type) widens the column to the next type
   * that holds it (plan/widen.ts); "inferred" (no declared type, or one
   * SQLite does not know: the sample alone) widens it too, to text if
   * nothing narrower holds it; "override" (the user's typeOverrides) never
   * widens: the value follows the bad-value policy.
   */
  readonly typeSource: "declared" | "inferred" | "override";
  /** Set when values outside the sample needed a wider type than planned (plan/widen.ts). */
  readonly widened?: ColumnWidened;
  /** A declared date or time column kept as numbers, because none of its sampled numbers is a date: why (a not_a_date finding). */
  readonly notADate?: string;
}

/** A column whose planned type could not hold every value exactly, and was widened. */
export interface ColumnWidened {
  /** The type planned from the sample. */
  readonly from: string;
  /** Why, for the first value that needed it ("carries a UTC offset, ..."). */
  readonly reason: string;
  /** Values that needed the wider type. */
  readonly values: number;
  readonly example: { readonly rowKey: string; readonly value: string };
}

export interface ForeignKeyPlan {
  readonly name: string;
  readonly columns: readonly string[];
  readonly parentTable: string;
  readonly parentColumns: readonly string[];
  readonly onDelete: string;
  readonly onUpdate: string;
}

export interface IndexPlan {
  readonly name: string;
  readonly unique: boolean;
  readonly columns: readonly { readonly name: string; readonly descending: boolean }[];
}

/** How rows are ordered when read, so both sides of validation can be hashed in one order. */
export type ReadOrder =
  | { readonly kind: "rowid" }
  /** Source primary key columns, compared bytewise; the same in PostgreSQL with COLLATE "C". */
  | { readonly kind: "key"; readonly columns: readonly string[] }
  /** No usable order: validation hashes rows one by one and sums. */
  | { readonly kind: "none" };

export interface TablePlan {
  readonly source: string;
  readonly name: string;
  readonly columns: readonly ColumnPlan[];
  readonly primaryKey: readonly string[];
  readonly primaryKeyName: string | null;
  readonly foreignKeys: readonly ForeignKeyPlan[];
  readonly indexes: readonly IndexPlan[];
  readonly withoutRowid: boolean;
  readonly readOrder: ReadOrder;
  /** Rows in SQLite when planned. */
  readonly rows: number;
}

export interface PlanNote {
  readonly level: "info" | "warning";
  readonly message: string;
}

export interface MigrationPlan {
  /** Tables in load order: parents before the tables that reference them. */
  readonly tables: readonly TablePlan[];
  readonly notes: readonly PlanNote[];
  readonly badValuePolicy: BadValuePolicy;
  /** sha256 of everything that shapes the loaded data (options fingerprint). */
  readonly fingerprint: string;
}

/** The name of the rejects table inside every loaded schema. */
export const REJECTS_TABLE = "_rejects";

/** A column whose planned type cannot hold some of its values exactly, and the type that can. */
export interface ColumnWidening {
  /** Index of the column in the job. */
  readonly column: number;
  readonly to: ConverterSpec;
  /** Why, for the first value that needed it. */
  readonly reason: string;
  /** Values that needed it. */
  readonly values: number;
  readonly example: { readonly rowKey: string; readonly value: string };
}
