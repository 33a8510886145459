/**
 * SQLite DEFAULT clauses in PostgreSQL. Literals go through the column's
 * converter (so DEFAULT 0 on a boolean becomes 'f'); CURRENT_TIMESTAMP and
 * friends map to their PostgreSQL functions; anything else is dropped with a
 * warning rather than guessed.
 */
import { quoteLiteral } from "../sql/identifiers";
import { Rejection } from "../types/conversion";
import { buildConverter, ConverterSpec } from "../types/converter-spec";

/**
 * SQLite's CURRENT_* are UTC, in SQLite's text forms. PostgreSQL's
 * LOCALTIMESTAMP, CURRENT_DATE and LOCALTIME follow the session's TimeZone,
 * so a dashboard session in Europe/Paris would write wall-clock times an
 * hour or two off from the loaded ones: naive targets take UTC explicitly.
 */
const UTC_NOW = "(now() AT TIME ZONE 'UTC')";
const FUNCTION_DEFAULTS: Readonly<Record<string, Partial<Record<string, string>>>> = {
  CURRENT_TIMESTAMP: {
    timestamptz: "now()",
    timestamp: UTC_NOW,
    date: `(${UTC_NOW}::date)`,
    text: `to_char(${UTC_NOW}, 'YYYY-MM-DD HH24:MI:SS')`,
  },
  CURRENT_DATE: {
    date: `(${UTC_NOW}::date)`,
    timestamp: `date_trunc('day', ${UTC_NOW})`,
    timestamptz: "date_trunc('day', now(), 'UTC')",
    text: `to_char(${UTC_NOW}, 'YYYY-MM-DD')`,
  },
  CURRENT_TIME: { text: `to_char(${UTC_NOW}, 'HH24:MI:SS')` },
};

export interface DefaultTranslation {
  readonly sql: string | null;
  readonly warning: string | null;
}

function targetKey(spec: ConverterSpec): string {
  return spec.kind === "temporal" ? spec.target : spec.kind;
}

const NOT_A_LITERAL = Symbol("not a literal");

/** The value of a literal DEFAULT, or NOT_A_LITERAL for expressions. */
function literalValue(sqliteDefault: string): string | number | null | typeof NOT_A_LITERAL {
  const text = sqliteDefault
    .trim()
    .replace(/^\((.*)\)$/s, "$1")
    .trim();
  if (/^'(.*)'$/s.test(text)) return text.slice(1, -1).replace(/''/g, "'");
  if (/^[+-]?\d+$/.test(text)) return Number.isSafeInteger(Number(text)) ? Number(text) : text;
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)(e[+-]?\d+)?$/i.test(text)) return Number(text);
  if (/^NULL$/i.test(text)) return null;
  if (/^TRUE$/i.test(text)) return 1;
  if (/^FALSE$/i.test(text)) return 0;
  return NOT_A_LITERAL;
}

export function translateDefault(sqliteDefault: string | null, spec: ConverterSpec, where: string): DefaultTranslation {
  if (sqliteDefault === null) return { sql: null, warning: null };
  const keyword = sqliteDefault.trim().toUpperCase();
  if (keyword in FUNCTION_DEFAULTS) {
    const sql = FUNCTION_DEFAULTS[keyword][targetKey(spec)];
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
