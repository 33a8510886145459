/** Leftover rows and a wrong row count as named differences, each with the rule it breaks. */

import type { ComparedColumn, Family } from "./compared-columns";
import type { ExpectedRow } from "./expected-rows";
import type { Leftovers } from "./leftover-pairing";
import type { OracleDifference, OracleTable } from "./public-types";
import { clip, plainText, showSqlite, withCanon } from "./shown-values";
import type { StoredRow } from "./stored-rows";

function ruleOf(column: ComparedColumn): string {
  const rules: Record<Family, string> = {
    integer: "same integer",
    numeric: "same decimal",
    double: "same double",
    boolean: "same boolean",
    instant: "same instant",
    text: "same text",
    char: "same text",
    bytes: "same bytes",
    uuid: "same UUID",
    other: `unsupported type ${column.pgType}: same ::text`,
  };
  return rules[column.family];
}

function valueDifferences(table: string, columns: ComparedColumn[], pair: [ExpectedRow, StoredRow]): OracleDifference[] {
  const [expected, stored] = pair;
  const found: OracleDifference[] = [];
  columns.forEach((column, i) => {
    if (expected.canon[i] === stored.canon[i]) return;
    const source = expected.source[i];
    const nulled = expected.nulled?.[i] ?? false;
    found.push({
      table,
      column: column.name,
      rowKey: expected.rowKey,
      sqlite: nulled ? `${showSqlite(source)} (nulled in _rejects)` : withCanon(showSqlite(source), plainText(source), expected.canon[i]),
      postgres: withCanon(stored.shown[i] ?? "NULL", stored.shown[i], stored.canon[i]),
      rule: nulled ? "nulled value is NULL" : ruleOf(column),
    });
  });
  return found;
}

function showTuple(columns: ComparedColumn[], values: string[]): string {
  return clip(columns.map((c, i) => `${c.name}=${values[i]}`).join(", "));
}

export function rowDifferences(table: string, columns: ComparedColumn[], left: Leftovers): OracleDifference[] {
  const pairs = [...left.pairs].sort((a, b) => a[0].ord - b[0].ord);
  return [
    ...pairs.flatMap((pair) => valueDifferences(table, columns, pair)),
    ...left.missing.map((row) => ({
      table,
      column: null,
      rowKey: row.rowKey,
      sqlite: showTuple(columns, row.source.map(showSqlite)),
      postgres: "(no row)",
      rule: "missing row",
    })),
    ...left.extra.map((row) => ({
      table,
      column: null,
      rowKey: null,
      sqlite: "(no row)",
      postgres: showTuple(
        columns,
        row.shown.map((v) => v ?? "NULL"),
      ),
      rule: "extra row",
    })),
  ];
}

export function countDifferences(summary: OracleTable, expectedRows: number): OracleDifference[] {
  if (summary.loadedRows === expectedRows) return [];
  return [
    {
      table: summary.table,
      column: null,
      rowKey: null,
      sqlite: `${summary.sqliteRows} rows - ${summary.rejectedRows} rejected = ${expectedRows}`,
      postgres: `${summary.loadedRows} rows`,
      rule: "row count",
    },
  ];
}
