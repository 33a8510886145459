/** What the view translator is told of the export's relations, and how it folds SQLite's date calls. */
import type { Affinity } from "../types/declared";

export interface ColumnInfo {
  /** The name in SQLite. */
  readonly source: string;
  /** The name in PostgreSQL. */
  readonly name: string;
  /** The PostgreSQL type, as format_type() gives it. */
  readonly type: string;
  readonly affinity: Affinity;
  /**
   * A to_char() pattern that gives back, value for value, the text SQLite
   * stored (every value was text in one ISO format), or null when unknown.
   */
  readonly textFormat: string | null;
}

export interface RelationInfo {
  /** The name in PostgreSQL. */
  readonly name: string;
  readonly columns: readonly ColumnInfo[];
}

export interface TranslationContext {
  /** A source table or view by its SQLite name (case-insensitive), or undefined. */
  relation(name: string): RelationInfo | undefined;
  /** SQLite's own result of a date/time call of literals, as a PostgreSQL literal; undefined when not foldable. */
  fold(call: string): string | undefined;
}
