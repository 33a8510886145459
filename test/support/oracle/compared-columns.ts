/**
 * The columns compared on both sides: matched by name, each with the meaning
 * domain (family) its PostgreSQL type chooses, and for temporal columns the
 * readings decided over the whole column.
 */

import type { Canon } from "./canonical-values";
import type { PgColumn } from "./catalog";
import type { OracleDifference } from "./public-types";
import type { SqliteRow, SqliteTable } from "./sqlite-tables";

export type Family = "integer" | "numeric" | "double" | "boolean" | "instant" | "text" | "char" | "bytes" | "uuid" | "other";

function familyOf(pgType: string): Family {
  if (/^(bigint|integer|smallint)$/.test(pgType)) return "integer";
  if (/^numeric(\(\d+(,-?\d+)?\))?$/.test(pgType)) return "numeric";
  if (pgType === "double precision" || pgType === "real") return "double";
  if (pgType === "boolean") return "boolean";
  if (/^(date|timestamp(\(\d\))? with(out)? time zone)$/.test(pgType)) return "instant";
  if (/^(text|character varying(\(\d+\))?)$/.test(pgType)) return "text";
  if (/^character(\(\d+\))?$/.test(pgType)) return "char";
  if (pgType === "bytea") return "bytes";
  if (pgType === "uuid") return "uuid";
  return "other";
}

export interface ComparedColumn {
  name: string;
  /** Position of the column in SqliteRow.values. */
  index: number;
  pgType: string;
  family: Family;
  /** For instants: what a number means (date-numbers.ts). */
  readNumber: ((v: bigint | number) => Canon) | null;
  /** The referee kind for its texts: `instant DMY` or `instant MDY` (how slash dates read), `type <t>` for other types. */
  askKind: string;
}

/** The columns of both sides, by name; a different list or order is itself a difference. */
export function matchColumns(table: SqliteTable, pgColumns: PgColumn[]): { columns: ComparedColumn[]; differences: OracleDifference[] } {
  const sqliteNames = table.columns.map((c) => c.name);
  const pgNames = pgColumns.map((c) => c.name);
  const differences: OracleDifference[] = [];
  if (sqliteNames.join("\u0000") !== pgNames.join("\u0000")) {
    differences.push({
      table: table.name,
      column: null,
      rowKey: null,
      sqlite: sqliteNames.join(", "),
      postgres: pgNames.join(", "),
      rule: "same columns in the same order",
    });
  }
  const columns: ComparedColumn[] = [];
  table.columns.forEach((c, index) => {
    const pg = pgColumns.find((p) => p.name === c.name);
    if (pg) columns.push({ name: c.name, index, pgType: pg.type, family: familyOf(pg.type), readNumber: null, askKind: `type ${pg.type}` });
  });
  return { columns, differences };
}

const SLASH_DATE = /^\s*(\d{1,2})\/(\d{1,2})\/\d{4}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$/;

/** Column-wide readings of temporal values: slash dates decided over every SQLite value of the column, numbers by `readNumber`. */
export function settleTemporalColumn(column: ComparedColumn, rows: SqliteRow[], readNumber: (v: bigint | number) => Canon): void {
  let firstAbove12 = false;
  let secondAbove12 = false;
  for (const row of rows) {
    const v = row.values[column.index];
    if (typeof v === "string") {
      const slash = SLASH_DATE.exec(v);
      if (slash) {
        firstAbove12 ||= Number(slash[1]) > 12;
        secondAbove12 ||= Number(slash[2]) > 12;
      }
    }
  }
  column.readNumber = readNumber;
  column.askKind = `instant ${secondAbove12 && !firstAbove12 ? "MDY" : "DMY"}`;
}
