/** What introspection reports about a SQLite export. */

export interface SourceColumn {
  readonly name: string;
  /** The declared type as written ("NVARCHAR(40)", "" when none). */
  readonly declaredType: string;
  readonly notNull: boolean;
  /** The DEFAULT clause as SQLite stores it (SQL text), or null. */
  readonly defaultSql: string | null;
  /** 1-based position in the primary key, 0 when not part of it. */
  readonly primaryKeyOrdinal: number;
  /** A generated column: its values are read like any other, the expression is not kept. */
  readonly generated: boolean;
}

export interface SourceForeignKey {
  readonly columns: readonly string[];
  readonly parentTable: string;
  /** Parent columns; the parent's primary key when the DDL names none. */
  readonly parentColumns: readonly string[];
  readonly onDelete: string;
  readonly onUpdate: string;
}

export interface SourceIndex {
  readonly name: string;
  readonly unique: boolean;
  readonly columns: readonly { readonly name: string; readonly descending: boolean }[];
  /** "c" CREATE INDEX, "u" UNIQUE constraint, "pk" primary key. */
  readonly origin: "c" | "u" | "pk";
}

export interface SourceTable {
  readonly name: string;
  readonly withoutRowid: boolean;
  readonly strict: boolean;
  readonly columns: readonly SourceColumn[];
  /** Primary key columns in key order (empty when the table has none). */
  readonly primaryKey: readonly string[];
  /** The INTEGER PRIMARY KEY column that aliases the rowid, if any. */
  readonly rowidAlias: string | null;
  readonly foreignKeys: readonly SourceForeignKey[];
  readonly indexes: readonly SourceIndex[];
}

/** A view of the export: recreated in every version when PostgreSQL accepts its (translated) SQL. */
export interface SourceView {
  readonly name: string;
  /** The CREATE VIEW statement as SQLite stores it. */
  readonly sql: string;
  /** Its result columns, named and typed as SQLite reports them (the type of the column they come from, or ""). */
  readonly columns: readonly { readonly name: string; readonly declaredType: string }[];
}

export interface SkippedObject {
  readonly name: string;
  readonly kind: "trigger" | "virtual table" | "index";
  readonly reason: string;
}

export interface SourceSchema {
  readonly tables: readonly SourceTable[];
  readonly views: readonly SourceView[];
  /** Triggers, virtual tables and indexes that are not migrated, with why. */
  readonly skipped: readonly SkippedObject[];
}
