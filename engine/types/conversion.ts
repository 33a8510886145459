/**
 * A converter turns one SQLite value into the exact text PostgreSQL will
 * store and print back for it, or into a Rejection saying why it cannot.
 * A converter never rounds, truncates or drops part of a value: when the
 * column's type cannot hold a value exactly but a wider type can, it
 * answers with a Widening, and the loader widens the column (or, for a key
 * column, rejects the row).
 */
import type { ConverterSpec } from "./target-types";

/** Why a value cannot be converted (the loader applies the bad-value policy). */
export class Rejection {
  /** `rawValue` overrides how the value is shown (hex of bytes that are not text). */
  constructor(
    readonly reason: string,
    readonly rawValue?: string,
  ) {}
}

/** The column's type cannot hold the value exactly; `to` can. */
export class Widening extends Rejection {
  constructor(
    readonly to: ConverterSpec,
    reason: string,
  ) {
    super(reason);
  }
}

export type SqliteValue = number | bigint | string | Buffer | null;

/** Returns the PostgreSQL text of a non-null value, or a Rejection. */
export type Converter = (value: Exclude<SqliteValue, null>) => string | Rejection;

/** How a value is shown in reports and the rejects table: text, or hex for bytes. */
export function describeRawValue(value: SqliteValue, maxLength = 200): string {
  if (value === null) return "NULL";
  if (Buffer.isBuffer(value)) return `x'${value.subarray(0, maxLength / 2).toString("hex")}'${value.length > maxLength / 2 ? "…" : ""}`;
  // PostgreSQL text cannot hold NUL: it is shown escaped, as \x00.
  const text = String(value).replaceAll("\0", "\\x00");
  return text.length > maxLength ? `${text.slice(0, maxLength)}…` : text;
}
