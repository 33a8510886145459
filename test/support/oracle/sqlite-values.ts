/** SQLite values as read, and the texts and bytes they stand for. */

import { isUtf8 } from "node:buffer";

/**
 * A SQLite value as better-sqlite3 returns it with safeIntegers: NULL as null,
 * integer as bigint, real as number, text as string, blob as Buffer; a text
 * whose bytes are not valid UTF-8 (better-sqlite3 would show U+FFFD) as
 * InvalidText. Primitives, not objects: a table holds up to a million values.
 */
export type SqliteValue = null | bigint | number | string | Buffer | InvalidText;
export type Present = Exclude<SqliteValue, null>;
export type Textual = string | Buffer | InvalidText;

export class InvalidText {
  constructor(readonly bytes: Buffer) {}
}

/** The round-trip text of a double, keeping -0 (String(-0) is "0"). */
export function realText(n: number): string {
  return Object.is(n, -0) ? "-0" : String(n);
}

/** An integer's decimal digits, a real's round-trip text. */
export function numberText(v: bigint | number): string {
  return typeof v === "bigint" ? v.toString() : realText(v);
}

export function isText(v: Textual): v is string | InvalidText {
  return typeof v === "string" || v instanceof InvalidText;
}

export function bytesOf(v: Textual): Buffer {
  if (typeof v === "string") return Buffer.from(v, "utf8");
  return v instanceof InvalidText ? v.bytes : v;
}

/** The text PostgreSQL would receive for a text, or a blob read as UTF-8, or why there is none. */
export function textOf(v: Textual): { text: string } | { why: string } {
  const storage = isText(v) ? "text" : "blob";
  if (v instanceof InvalidText || (Buffer.isBuffer(v) && !isUtf8(v))) return { why: `${storage} is not valid UTF-8` };
  // Buffer's UTF-8 decoding keeps a leading BOM as the character it is.
  const text = typeof v === "string" ? v : v.toString("utf8");
  if (text.includes("\u0000")) return { why: `${storage} holds a NUL character, which PostgreSQL text cannot` };
  return { text };
}
