/**
 * What the engine must know of a PostgreSQL target type, in one shape: an
 * entry of the table in target-types.ts has every field, so a type the
 * engine gains is complete or does not compile. Each field names the part
 * of the engine that asks it.
 */
import type { ColumnEvidence } from "../profile/model";
import type { Converter, Rejection } from "./conversion";
import type { DateRange } from "../formats/number-readings";
import type { DeclaredType } from "./declared";

/** SQLite's CURRENT_* defaults, which a type may have a PostgreSQL equivalent of. */
export type CurrentKeyword = "CURRENT_TIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME";

/** What a declared type and the sample say of a column (plan/cast-table.ts). */
export interface CastContext {
  readonly declared: DeclaredType;
  readonly evidence: ColumnEvidence;
  /** IANA zone for naive timestamps; when set they become timestamptz. */
  readonly timezone: string | null;
  /** Years a number must fall in, in its reading, to be a date. */
  readonly dateRange: DateRange;
}

/** The type a column gets, and why. */
export interface CastDecision<AnySpec> {
  readonly converter: AnySpec;
  readonly maxLength: number | null;
  readonly reason: string;
  readonly warnings: readonly string[];
  /** A date column whose numbers are no dates: why it stays a number column (a not_a_date finding). */
  readonly notADate?: string;
}

/** What an override spelling makes: the spec, and a varchar's length. */
export interface OverrideContext {
  readonly evidence: ColumnEvidence;
  readonly timezone: string | null;
  readonly dateRange: DateRange;
  /** The reading of numbers stated after a colon (`timestamptz:unix-ms`), for a type that takes one. */
  readonly reading: string | undefined;
}

export interface TargetType<Spec, AnySpec> {
  /** The PostgreSQL type, as format_type() prints it (a varchar's length is the plan's). */
  readonly pgType: (spec: Spec) => string;
  /**
   * SQLite value to the text PostgreSQL stores (types/conversion.ts): a
   * Rejection when it cannot; `widen` answers a value a wider spec holds;
   * `onFormat` hears the format of each value (the report's "formats found").
   */
  readonly converter: (
    spec: Spec,
    hooks: { widen: (to: AnySpec, reason: string) => Rejection; onFormat?: (label: string) => void },
  ) => Converter;
  /** Its values reach PostgreSQL as text the loader checks for NUL, invalid UTF-8 and a varchar's length (load/row-encoder.ts). */
  readonly textual: boolean;
  /** The reader's SELECT of the column (load/reader-sql.ts): integers must arrive exact. */
  readonly reader: (column: string) => string;
  /** Validation's meaning check (validate/meaning.ts): a stored value's meaning as text, and a source value's (`storage`: its class). */
  readonly meaning: {
    readonly stored: (spec: Spec, column: string) => string;
    readonly source: (spec: Spec, storage: string, value: string) => string;
    /** A session setting the source meaning is read under (one per table), or null. */
    readonly session: (spec: Spec) => string | null;
    /** The type a key's meaning text casts to, to find stored rows through the key's index; null compares meanings. */
    readonly lookup: string | null;
    /** Whether it holds a text with a NUL byte (only bytes do). */
    readonly holdsNul: boolean;
  };
  /** As a key: when two converted values are one key (load/exclusions.ts: duplicates once converted), and whether PostgreSQL orders it as SQLite does. */
  readonly key: {
    /** A converted value's form that two values share exactly when PostgreSQL's equality holds them equal (numeric 1.0 and 1). */
    readonly sameKey: (converted: string) => string;
    /**
     * Storage classes it converts one to one: a key column whose values are all of one of these is as distinct in
     * PostgreSQL as SQLite's own uniqueness left it, and needs no converting to find duplicates.
     */
    readonly oneToOne: readonly ("integer" | "real" | "text" | "blob")[];
    /** The collation under which PostgreSQL orders its values as SQLite orders the source ("" none needed), or false (plan/keys.ts). */
    readonly ordersAsSqlite: false | string;
  };
  /** Widening (plan/widen.ts): whether it holds every value of any type, and which of two of its specs holds both. */
  readonly widen: { readonly holdsEverything: boolean; readonly wider: (a: Spec, b: Spec) => Spec };
  /** PostgreSQL SQL for SQLite's CURRENT_* defaults (plan/defaults.ts), where it has one. */
  readonly currentDefault: (spec: Spec, keyword: CurrentKeyword) => string | undefined;
  /** Type override spellings (plan/overrides.ts), and whether it takes a reading of numbers after a colon. */
  readonly overrides: {
    readonly patterns: readonly {
      readonly pattern: RegExp;
      /** The name the option's help lists. */
      readonly shown: string;
      readonly make: (match: RegExpExecArray, ctx: OverrideContext) => { spec: Spec; maxLength: number | null };
    }[];
    readonly takesReading: boolean;
  };
  /** Declared families it owns (types/declared.ts), with the cast rule that decides their columns (plan/cast-table.ts). */
  readonly declared: Readonly<Record<string, (ctx: CastContext) => CastDecision<AnySpec>>>;
}
