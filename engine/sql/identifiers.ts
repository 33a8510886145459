/**
 * Identifiers that reach SQL: always quoted, never longer than PostgreSQL's
 * limit. PostgreSQL silently truncates identifiers to NAMEDATALEN - 1 = 63
 * bytes, so two long source names can become one; the engine refuses that
 * up front instead.
 */
import { FailureLocation, IdentifierError } from "../errors";

export const MAX_IDENTIFIER_BYTES = 63;

/** Quotes an identifier for PostgreSQL (or SQLite): "a""b". */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** schema.table, both quoted. */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Quotes a string literal for PostgreSQL (standard_conforming_strings on). */
export function quoteLiteral(value: string): string {
  if (value.includes("\0")) throw new Error("a SQL literal cannot hold a NUL byte");
  return `'${value.replace(/'/g, "''")}'`;
}

export function identifierBytes(name: string): number {
  return Buffer.byteLength(name, "utf8");
}

/** Throws IDENTIFIER_TOO_LONG naming `what` when name exceeds 63 bytes. */
export function assertIdentifierFits(name: string, what: string, location: FailureLocation = {}): void {
  const bytes = identifierBytes(name);
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new IdentifierError(
      "IDENTIFIER_TOO_LONG",
      [name],
      `${what} "${name}" is ${bytes} bytes; PostgreSQL keeps only ${MAX_IDENTIFIER_BYTES} and would silently truncate it. ` +
        "Give it a shorter name with the rename map (--rename-table / --rename-column).",
      location,
    );
  }
}

/** The name PostgreSQL would actually store (truncated on a UTF-8 boundary). */
export function truncatedIdentifier(name: string): string {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length <= MAX_IDENTIFIER_BYTES) return name;
  let end = MAX_IDENTIFIER_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}
