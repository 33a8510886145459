/**
 * A sample of each table, spread over it (the first rows and evenly spaced
 * rows after them), and the evidence about each column that type inference
 * reads. Cheap: a few thousand rows per table whatever the export's size.
 */
import { quoteIdent } from "../sql/identifiers";
import { rowidBounds, SourceDatabase, SourceTable } from "../source";
import { BOOLEAN_DIGITS, BOOLEAN_WORDS, PLAIN_DECIMAL } from "../formats/literals";
import { civilFromDays } from "../formats/civil";
import { instantMicros, NumberReading, readingOf } from "../formats/number-readings";
import { parseVariant, TIMESTAMP_VARIANTS, TimestampVariant } from "../formats/timestamp-formats";
import { ColumnEvidence } from "./model";

export const SAMPLE_HEAD_ROWS = 1000;
export const SAMPLE_SPREAD_ROWS = 9000;

/**
 * Sampled rows, as arrays in column order: the first rows, then rows at
 * evenly spaced rowids, fetched by rowid (a stride condition would scan the
 * whole table; these are index lookups).
 */
export function sampleRows(db: SourceDatabase, table: SourceTable): unknown[][] {
  const from = quoteIdent(table.name);
  const columns = table.columns.map((c) => quoteIdent(c.name)).join(", ");
  const limit = SAMPLE_HEAD_ROWS + SAMPLE_SPREAD_ROWS;
  if (table.withoutRowid) return db.prepare(`SELECT ${columns} FROM ${from} LIMIT ${limit}`).raw(true).all() as unknown[][];
  const bounds = rowidBounds(db, table.name);
  if (bounds === null) return [];
  const head = db.prepare(`SELECT ${columns} FROM ${from} ORDER BY rowid LIMIT ${SAMPLE_HEAD_ROWS}`).raw(true).all() as unknown[][];
  const start = bounds.lo + SAMPLE_HEAD_ROWS;
  if (start > bounds.hi) return head;
  const step = Math.max(1, Math.floor((bounds.hi - start) / SAMPLE_SPREAD_ROWS));
  const rowids: number[] = [];
  for (let id = start; id <= bounds.hi && rowids.length < SAMPLE_SPREAD_ROWS; id += step) rowids.push(id);
  const spread = db
    .prepare(`SELECT ${columns} FROM ${from} WHERE rowid IN (SELECT value FROM json_each(?))`)
    .raw(true)
    .all(JSON.stringify(rowids)) as unknown[][];
  return [...head, ...spread];
}

/** The year of an instant (microseconds since the epoch), proleptic Gregorian. */
function yearOf(micros: bigint): number {
  return civilFromDays(Math.floor(Number(micros / 1_000_000n) / 86400))[0];
}

/** Longer than any boolean word with the spaces around it a form might add. */
const MAX_BOOLEAN_TEXT = 32;

/** Variants that parse a text, in catalogue order. */
export function variantsOf(text: string): TimestampVariant[] {
  return TIMESTAMP_VARIANTS.filter((variant) => variant.length === text.length && parseVariant(variant, text) !== null);
}

export function columnEvidence(name: string, values: readonly unknown[]): ColumnEvidence {
  const e = {
    name,
    sampled: values.length,
    nulls: 0,
    integers: 0,
    reals: 0,
    texts: 0,
    blobs: 0,
    booleanWords: 0,
    booleanValues: 0,
    decimalTexts: 0,
    temporalTexts: 0,
  };
  const numberYears: Partial<Record<NumberReading, Record<string, number>>> = {};
  let unreadableNumbers = 0;
  let firstNumber: string | null = null;
  const variantCounts = new Map<TimestampVariant, number>();
  for (const value of values) {
    if (value === null) e.nulls++;
    else if (typeof value === "number" || typeof value === "bigint") {
      const n = Number(value);
      if (Number.isInteger(n)) e.integers++;
      else e.reals++;
      firstNumber ??= String(value);
      const reading = readingOf(value);
      if (reading === null) unreadableNumbers++;
      else {
        const years = (numberYears[reading] ??= {});
        const year = String(yearOf(instantMicros(value, reading)));
        years[year] = (years[year] ?? 0) + 1;
      }
      if (n === 0 || n === 1) e.booleanValues++;
    } else if (typeof value === "string") {
      e.texts++;
      // Boolean words are short: a long text (a 100 MB description) is not
      // copied, trimmed and lower-cased only to learn that.
      if (value.length <= MAX_BOOLEAN_TEXT) {
        const word = value.trim().toLowerCase();
        if (BOOLEAN_WORDS.has(word)) e.booleanWords++;
        if (BOOLEAN_WORDS.has(word) || BOOLEAN_DIGITS.has(word)) e.booleanValues++;
      }
      if (PLAIN_DECIMAL.test(value)) e.decimalTexts++;
      const variants = variantsOf(value);
      if (variants.length > 0) e.temporalTexts++;
      for (const variant of variants) variantCounts.set(variant, (variantCounts.get(variant) ?? 0) + 1);
    } else e.blobs++;
  }
  const sorted = [...variantCounts.entries()].sort((a, b) => b[1] - a[1]);
  return {
    ...e,
    numberYears,
    unreadableNumbers,
    firstNumber,
    variants: sorted.map(([variant]) => variant),
    variantCounts: Object.fromEntries(sorted.map(([variant, count]) => [variant.label, count])),
  };
}
