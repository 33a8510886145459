/** Messages between the loader and its reader worker. */
import type { ColumnWidening } from "../plan/model";
import { BadValuePolicy, ReadOrder } from "../plan/model";
import type { RowSubset } from "../source/row-subset";
import { ConverterSpec } from "../types/target-types";

export interface ReaderColumn {
  readonly source: string;
  readonly name: string;
  readonly converter: ConverterSpec;
  readonly maxLength: number | null;
  readonly notNull: boolean;
  /** Part of the primary key: a bad value here rejects the row under every policy but fail. */
  readonly key: boolean;
  /** Why the column's type stays as planned (a value needing a wider one is then a bad value), or null when it may widen. */
  readonly fixedType: "key" | "reference" | "override" | null;
  /** The type was inferred from the sample: a value it cannot hold at all widens the column to text. */
  readonly widensToText: boolean;
}

/** A row set aside before conversion (orphan, NULL key), by row key. */
export interface Exclusion {
  readonly rowKey: number | string;
  readonly column: string | null;
  readonly reason: string;
  /** Columns (indexes) that may be set to NULL instead, under the null policy. */
  readonly nullable: readonly number[];
}

/** Keys of rejected parent rows a foreign key of this table points at. */
export interface ParentRejections {
  readonly parentTable: string;
  /** Indexes of the foreign key columns in this table. */
  readonly columns: readonly number[];
  readonly keys: readonly string[];
}

export interface ReaderJob {
  readonly sourcePath: string;
  readonly table: string;
  readonly withoutRowid: boolean;
  readonly primaryKey: readonly string[];
  readonly readOrder: ReadOrder;
  readonly columns: readonly ReaderColumn[];
  readonly policy: BadValuePolicy;
  readonly exclusions: readonly Exclusion[];
  readonly parentRejections: readonly ParentRejections[];
  /** Column index sets of this table that children reference: rejected rows report these keys. */
  readonly referencedKeys: readonly (readonly number[])[];
  /** Target size of a chunk of CSV. */
  readonly chunkBytes: number;
  /** Hash rows one by one (tables without a reproducible order). */
  readonly hashRows: boolean;
  /** Rowids to read (rowid tables); the loader splits it between workers. */
  readonly rowidRange: { readonly lo: number; readonly hi: number } | null;
  /** Only these rows of the table (the canary's sample). */
  readonly subset?: RowSubset;
  /** Report the row key of the nth emitted row (1-based) instead of loading. */
  readonly findRow?: number;
}

export interface RejectRecord {
  readonly rowKey: string;
  readonly column: string | null;
  readonly rawValue: string | null;
  readonly reason: string;
  /** "rejected": the row is not loaded; "nulled": the value was set to NULL. */
  readonly action: "rejected" | "nulled";
}

export interface ColumnReadStats {
  nulls: number;
  converted: number;
  /** Bad values by reason, with the first examples. */
  rejections: Record<string, { count: number; examples: { rowKey: string; value: string }[] }>;
  /** Timestamp variants parsed, by label (and "epoch" for numbers). */
  formats: Record<string, number>;
}

export interface TableReadStats {
  rowsRead: number;
  rowsEmitted: number;
  rowsRejected: number;
  valuesNulled: number;
  columns: ColumnReadStats[];
  seconds: number;
}

export type WorkerMessage =
  /** `data` is transferred, not copied; its first `length` bytes are the chunk. */
  | { type: "chunk"; data: ArrayBuffer; length: number; rows: number }
  | { type: "rejects"; records: RejectRecord[] }
  | { type: "done"; stats: TableReadStats; rejectedKeys: string[][]; rowHash: string | null }
  | { type: "found"; rowKey: string | null }
  /** A column needs a wider type: the worker stops emitting chunks and reads on only to find every widening. */
  | { type: "surveying" }
  /** Sent instead of "done" after surveying: the table must be read again with these columns widened. */
  | { type: "widen"; widenings: ColumnWidening[] }
  | { type: "error"; error: { name: string; message: string; fields?: Record<string, string> } };

/**
 * Parent to worker: one more chunk may be in flight, with the buffer of a
 * consumed chunk given back (transferred) to be filled again; or stop
 * emitting and survey (another part needs widening).
 */
export type ParentMessage = { type: "credit"; buffer: ArrayBuffer } | { type: "survey" };

export type { ColumnWidening };
