/** The expected rows: every SQLite row not rejected, as the canonical tuple the stored row must equal. */

import type { Client } from "pg";
import { Ask, Canon, Probe } from "./canonical-values";
import type { ComparedColumn } from "./compared-columns";
import { probe } from "./probes";
import { referee } from "./referee";
import type { TableRejects } from "./rejects";
import type { SqliteRow } from "./sqlite-tables";
import type { SqliteValue } from "./sqlite-values";

export interface ExpectedRow {
  ord: number;
  rowKey: string;
  /** SQLite values of the compared columns. */
  source: SqliteValue[];
  /** Which compared columns _rejects nulled; null when none. */
  nulled: boolean[] | null;
  canon: Canon[];
}

export interface Expectation {
  rows: ExpectedRow[];
  rejectedRows: number;
  nulledValues: number;
}

/** The expected canonical tuple of every SQLite row that was not rejected. */
export async function expectRows(
  client: Client,
  rows: SqliteRow[],
  columns: ComparedColumn[],
  rejects: TableRejects,
): Promise<Expectation> {
  const asks = new Map<string, Set<string>>();
  const expected: ExpectedRow[] = [];
  // Usually every SQLite column is compared, in order, and the row's own array serves.
  const identity = columns.every((c, i) => c.index === i) && columns.length === (rows[0]?.values.length ?? 0);
  let nulledValues = 0;
  for (const row of rows) {
    if (rejects.rejected.has(row.rowKey)) continue;
    const source = identity ? row.values : columns.map((c) => row.values[c.index]);
    const nulledNames = rejects.nulled.get(row.rowKey);
    const nulled = nulledNames ? columns.map((c) => nulledNames.has(c.name)) : null;
    const cells: Probe[] = source.map((v, i) => (v === null || nulled?.[i] ? null : probe(v, columns[i])));
    for (const cell of cells) if (cell instanceof Ask) addAsk(asks, cell);
    nulledValues += nulled?.filter(Boolean).length ?? 0;
    expected.push({ ord: row.ord, rowKey: row.rowKey, source, nulled, canon: cells as Canon[] });
  }
  const answers = await referee(client, asks);
  for (const row of expected) {
    const cells = row.canon as Probe[];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i];
      if (cell instanceof Ask) cells[i] = answerOf(answers, cell);
    }
  }
  return { rows: expected, rejectedRows: rows.length - expected.length, nulledValues };
}

function answerOf(answers: Map<string, Map<string, string>>, ask: Ask): Canon {
  const answer = answers.get(ask.kind)?.get(ask.text);
  // A lost answer must not pass as NULL, which could match a stored NULL.
  if (answer === undefined) throw new Error(`oracle: no referee answer for ${ask.kind} ${JSON.stringify(ask.text)}`);
  return answer;
}

function addAsk(asks: Map<string, Set<string>>, ask: Ask): void {
  const texts = asks.get(ask.kind) ?? new Set<string>();
  asks.set(ask.kind, texts.add(ask.text));
}
