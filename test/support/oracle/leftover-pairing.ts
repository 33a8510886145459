/**
 * Comparing expected and stored rows as multisets of tuples, then pairing the
 * leftovers (by primary key, or without one by similarity) so that a
 * difference can name its column.
 */

import type { Canon } from "./canonical-values";
import type { ComparedColumn } from "./compared-columns";
import type { ExpectedRow } from "./expected-rows";
import { groupBy } from "./group-by";
import type { SqliteTable } from "./sqlite-tables";
import type { StoredRow } from "./stored-rows";

/** Above this many candidate comparisons, leftover rows of a keyless table are not paired by similarity. */
const PAIRING_BUDGET = 1_000_000;

export interface Leftovers {
  pairs: [ExpectedRow, StoredRow][];
  missing: ExpectedRow[];
  extra: StoredRow[];
}

/**
 * A tuple as one string: no canonical value holds NUL (PostgreSQL text cannot,
 * and SQLite text with NUL is refused), and NULL becomes "", which no value is
 * (they start with "=" or "!").
 */
const tupleKey = (canon: Canon[]): string => canon.map((c) => c ?? "").join("\u0000");

/** Rows of each side not matched by an equal tuple on the other (multiset difference both ways). */
function unmatched(expected: ExpectedRow[], stored: StoredRow[]): Leftovers {
  const waiting = groupBy(expected, (row) => tupleKey(row.canon));
  const extra = stored.filter((row) => !waiting.get(tupleKey(row.canon))?.pop());
  const missing = [...waiting.values()].flat().sort((a, b) => a.ord - b.ord);
  return { pairs: [], missing, extra };
}

/** Pairs leftovers whose key columns are equal, where that key is unique on both sides. */
function pairByKey(left: Leftovers, keyColumns: number[]): Leftovers {
  const keyOf = (canon: Canon[]) => tupleKey(keyColumns.map((i) => canon[i]));
  const extraByKey = groupBy(left.extra, (row) => keyOf(row.canon));
  const missingByKey = groupBy(left.missing, (row) => keyOf(row.canon));
  const pairs: [ExpectedRow, StoredRow][] = [];
  const paired = new Set<StoredRow>();
  const missing = left.missing.filter((row) => {
    const key = keyOf(row.canon);
    const candidates = extraByKey.get(key);
    if (missingByKey.get(key)?.length !== 1 || candidates?.length !== 1) return true;
    pairs.push([row, candidates[0]]);
    paired.add(candidates[0]);
    return false;
  });
  return { pairs, missing, extra: left.extra.filter((row) => !paired.has(row)) };
}

/** Without a key: first rows differing in exactly one column, then the most similar rows, while cheap. */
function pairBySimilarity(left: Leftovers, width: number): Leftovers {
  let current = left;
  for (let column = 0; column < width && current.missing.length && current.extra.length; column++) {
    const without = (canon: Canon[]) => tupleKey(canon.filter((_, i) => i !== column));
    current = pairOn(current, without);
  }
  if (current.missing.length * current.extra.length * width > PAIRING_BUDGET) return current;
  const pairs = [...current.pairs];
  const extra = [...current.extra];
  const missing = current.missing.filter((row) => {
    const best = mostSimilar(row.canon, extra);
    if (best < 0 || 2 * sameColumns(row.canon, extra[best].canon) < width) return true;
    pairs.push([row, extra.splice(best, 1)[0]]);
    return false;
  });
  return { pairs, missing, extra };
}

/** One pass pairing leftovers that agree on `keyOf`; among equals, any pairing will do. */
function pairOn(left: Leftovers, keyOf: (canon: Canon[]) => string): Leftovers {
  const byKey = groupBy(left.extra, (row) => keyOf(row.canon));
  const pairs = [...left.pairs];
  const paired = new Set<StoredRow>();
  const missing = left.missing.filter((row) => {
    const candidate = byKey.get(keyOf(row.canon))?.pop();
    if (!candidate) return true;
    pairs.push([row, candidate]);
    paired.add(candidate);
    return false;
  });
  return { pairs, missing, extra: left.extra.filter((row) => !paired.has(row)) };
}

function sameColumns(a: Canon[], b: Canon[]): number {
  return a.reduce((n, v, i) => (v === b[i] ? n + 1 : n), 0);
}

function mostSimilar(canon: Canon[], candidates: StoredRow[]): number {
  let best = -1;
  let bestScore = 0;
  candidates.forEach((row, i) => {
    const score = sameColumns(canon, row.canon);
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  return best;
}

/** Positions of the primary key among the compared columns; null without a key or when a key column is not compared. */
function keyIndexes(table: SqliteTable, columns: ComparedColumn[]): number[] | null {
  const key = table.columns.filter((c) => c.pk > 0);
  const indexes = key.map((k) => columns.findIndex((c) => c.name === k.name));
  return key.length > 0 && indexes.every((i) => i >= 0) ? indexes : null;
}

/** The rows of each side that found no equal row on the other, paired where a column can be named. */
export function pairLeftovers(table: SqliteTable, columns: ComparedColumn[], expected: ExpectedRow[], stored: StoredRow[]): Leftovers {
  const left = unmatched(expected, stored);
  if (left.missing.length === 0 || left.extra.length === 0) return left;
  const key = keyIndexes(table, columns);
  return key ? pairByKey(left, key) : pairBySimilarity(left, columns.length);
}
