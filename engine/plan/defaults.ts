/**
 * SQLite DEFAULT clauses in PostgreSQL. What SQLite's own rules make a
 * constant goes through the column's converter (so DEFAULT 0 on a boolean
 * becomes 'f'): a 'string', a "string" (in a DEFAULT no column is in
 * scope, so SQLite reads a double-quoted token as a string literal), a
 * signed or hexadecimal number, X'blob', NULL, TRUE and FALSE, in any
 * parentheses; CURRENT_TIMESTAMP and friends map to their PostgreSQL
 * functions (each target type's); anything else is dropped with a warning rather than guessed.
 */
import { quoteLiteral } from "../sql/identifiers";
import { Rejection } from "../types/conversion";
import type { CurrentKeyword } from "../types/target-type";
import { buildConverter, ConverterSpec, targetType } from "../types/target-types";

const CURRENT_KEYWORDS: ReadonlySet<string> = new Set<CurrentKeyword>(["CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"]);

export interface DefaultTranslation {
  readonly sql: string | null;
  readonly warning: string | null;
}

const NOT_A_LITERAL = Symbol("not a literal");

/** Strips every pair of parentheses around the whole text: ((1)) is 1. */
function unwrapped(sqliteDefault: string): string {
  let text = sqliteDefault.trim();
  while (/^\(.*\)$/s.test(text) && balanced(text.slice(1, -1))) text = text.slice(1, -1).trim();
  return text;
}

/** Whether parentheses balance outside quotes, so "(a) + (b)" is not taken for one group. */
function balanced(text: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(") depth++;
    else if (c === ")" && --depth < 0) return false;
  }
  return depth === 0 && quote === null;
}

/** The value of a constant DEFAULT by SQLite's rules, or NOT_A_LITERAL for anything else. */
function literalValue(sqliteDefault: string): string | number | bigint | Buffer | null | typeof NOT_A_LITERAL {
  const text = unwrapped(sqliteDefault);
  if (/^'(?:[^']|'')*'$/s.test(text)) return text.slice(1, -1).replace(/''/g, "'");
  if (/^"(?:[^"]|"")*"$/s.test(text)) return text.slice(1, -1).replace(/""/g, '"');
  if (/^x'([0-9a-f]{2})*'$/i.test(text)) return Buffer.from(text.slice(2, -1), "hex");
  if (/^[+-]?0x[0-9a-f]+$/i.test(text)) {
    // SQLite reads a hexadecimal literal as a 64-bit two's complement integer.
    const magnitude = BigInt.asIntN(64, BigInt(text.replace(/^[+-]/, "")));
    return text.startsWith("-") ? -magnitude : magnitude;
  }
  if (/^[+-]?\d+$/.test(text)) return Number.isSafeInteger(Number(text)) ? Number(text) : BigInt(text);
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  if (/^NULL$/i.test(text)) return null;
  if (/^TRUE$/i.test(text)) return 1;
  if (/^FALSE$/i.test(text)) return 0;
  return NOT_A_LITERAL;
}

export function translateDefault(sqliteDefault: string | null, spec: ConverterSpec, where: string): DefaultTranslation {
  if (sqliteDefault === null) return { sql: null, warning: null };
  const keyword = unwrapped(sqliteDefault).toUpperCase();
  if (CURRENT_KEYWORDS.has(keyword)) {
    // SQLite's CURRENT_* are UTC texts: each target type says what it makes of them (the table of target types).
    const sql = targetType(spec).currentDefault(spec, keyword as CurrentKeyword);
    return sql
      ? { sql, warning: null }
      : { sql: null, warning: `${where}: DEFAULT ${sqliteDefault} has no equivalent for this type; dropped` };
  }
  const literal = literalValue(sqliteDefault);
  if (literal === null) return { sql: null, warning: null };
  if (literal === NOT_A_LITERAL)
    return { sql: null, warning: `${where}: DEFAULT ${sqliteDefault} is an expression that is not translated; dropped` };
  const converted = buildConverter(spec)(literal);
  if (converted instanceof Rejection) {
    return { sql: null, warning: `${where}: DEFAULT ${sqliteDefault} is not valid for the column (${converted.reason}); dropped` };
  }
  return { sql: quoteLiteral(converted), warning: null };
}
