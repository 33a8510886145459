/**
 * The meaning check. The content checksum compares the bytes the loader
 * sent with the bytes PostgreSQL stored, so it cannot notice a converter
 * that changed what a value means (an offset dropped, a time of day lost,
 * an integer rounded through a double). This check does not use the
 * converters: for a spread sample of each table's rows, the raw SQLite
 * values go to PostgreSQL as text, PostgreSQL's own input functions read
 * them (timestamptz, numeric, float8, boolean), and the result is compared
 * with what the load stored, in the value's meaning: the instant of a
 * timestamp (a naive one read in UTC or the configured zone), the exact
 * decimal, the double, the text, the bytes. Rejected rows and nulled
 * values are left out as _rejects records them.
 *
 * It runs inside the load's transaction, in a savepoint that is always
 * rolled back: its scratch table and session settings leave no trace.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Client } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { csvField } from "../csv/csv";
import { ColumnPlan, REJECTS_TABLE, TablePlan } from "../plan/model";
import { rowKeyExpression } from "../profile/structure";
import { attachSubset, openSource, rowidBounds, RowSubset, SourceTable, subsetCondition } from "../source";
import { qualified, quoteIdent, quoteLiteral } from "../sql/identifiers";
import { exactDecimalText } from "../formats/float8-digits";
import { targetType } from "../types/target-types";

/** Rows checked per table: spread over it, away from the rows type inference sampled. */
export const MEANING_SAMPLE_ROWS = 1000;
const SCRATCH_TABLE = "_sdm_meaning_check";
const SHOWN_MISMATCHES = 3;

export interface MeaningCheckInput {
  readonly client: Client;
  readonly schema: string;
  readonly sourcePath: string;
  readonly subset?: RowSubset;
  readonly source: SourceTable;
  /** The table as loaded (widened columns included). */
  readonly table: TablePlan;
}

/** One line per sampled row whose stored values do not mean what the source's do (empty when all do). */
export async function checkMeaning(input: MeaningCheckInput): Promise<string[]> {
  const rows = sampleSourceRows(input);
  if (rows.length === 0) return [];
  const { client } = input;
  await client.query("SAVEPOINT sdm_meaning");
  try {
    await client.query(scratchTableSql(input));
    await copyRows(client, qualified(input.schema, SCRATCH_TABLE), rows);
    for (const setting of readingSettings(input.table)) await client.query(setting);
    const { rows: found } = await client.query<{ row_key: string; expected: string; stored: string | null }>(mismatchSql(input), [
      input.table.source,
    ]);
    return found.map((f) => mismatchLine(input.table, f));
  } catch (error) {
    return [`"${input.table.name}": PostgreSQL could not read the sampled source values back as their types (${(error as Error).message})`];
  } finally {
    await client.query("ROLLBACK TO SAVEPOINT sdm_meaning");
    await client.query("RELEASE SAVEPOINT sdm_meaning");
  }
}

type SourceValue = bigint | number | string | Buffer | null;

/** [row key, then per column: SQLite storage class, value as text] */
function sampleSourceRows({ sourcePath, subset, source, table }: MeaningCheckInput): (string | null)[][] {
  const db = openSource(sourcePath);
  try {
    attachSubset(db, subset);
    const columns = table.columns.map((c) => quoteIdent(c.source)).join(", ");
    const inSubset = subsetCondition(source, subset);
    const from = `SELECT ${rowKeyExpression(source)}, ${columns} FROM ${quoteIdent(source.name)}`;
    let raw: SourceValue[][];
    if (source.withoutRowid) {
      const order = source.primaryKey.map(quoteIdent).join(", ");
      raw = db
        .prepare(`${from}${inSubset ? ` WHERE ${inSubset}` : ""} ORDER BY ${order} LIMIT ${MEANING_SAMPLE_ROWS}`)
        .raw(true)
        .safeIntegers(true)
        .all() as SourceValue[][];
    } else {
      const bounds = rowidBounds(db, source.name, subset);
      if (bounds === null) return [];
      const rowids = spreadRowids(bounds.lo, bounds.hi);
      const where = [`rowid IN (SELECT value FROM json_each(?))`, ...(inSubset ? [inSubset] : [])].join(" AND ");
      raw = db.prepare(`${from} WHERE ${where}`).raw(true).safeIntegers(true).all(JSON.stringify(rowids)) as SourceValue[][];
    }
    return raw.map(([key, ...values]) => [String(key), ...values.flatMap(describe)]);
  } finally {
    db.close();
  }
}

/** Rowids half a step off the inference sample's, so the check also meets values inference never saw. */
function spreadRowids(lo: number, hi: number): number[] {
  const step = Math.max(1, Math.floor((hi - lo + 1) / MEANING_SAMPLE_ROWS));
  const rowids: number[] = [];
  for (let id = lo + Math.floor(step / 2); id <= hi && rowids.length < MEANING_SAMPLE_ROWS; id += step) rowids.push(id);
  return rowids;
}

/**
 * A SQLite value as (storage class, text): integers exact, doubles as their
 * exact decimal value (-0 kept; a date reading rounds it to the
 * microsecond, which 17 digits, themselves rounded, could tip), blobs as hex.
 */
function describe(value: SourceValue): [string, string | null] {
  if (value === null) return ["null", null];
  if (typeof value === "bigint") return ["integer", value.toString()];
  if (typeof value === "number")
    return ["real", Object.is(value, -0) ? "-0" : Number.isFinite(value) ? exactDecimalText(value) : String(value)];
  // COPY cannot carry a NUL in text: such a text goes as the hex of its UTF-8 (only bytea can hold it).
  if (typeof value === "string") return value.includes("\0") ? ["nul-text", Buffer.from(value, "utf8").toString("hex")] : ["text", value];
  return ["blob", value.toString("hex")];
}

function scratchTableSql({ schema, table }: MeaningCheckInput): string {
  const columns = table.columns.flatMap((_, i) => [`t${i} text`, `v${i} text`]);
  return `CREATE TABLE ${qualified(schema, SCRATCH_TABLE)} (row_key text NOT NULL, ${columns.join(", ")})`;
}

async function copyRows(client: Client, target: string, rows: readonly (string | null)[][]): Promise<void> {
  const csv = rows.map((row) => row.map((v) => (v === null ? "" : csvField(v))).join(",") + "\n");
  await pipeline(Readable.from(csv), client.query(copyFrom(`COPY ${target} FROM STDIN WITH (FORMAT csv)`)));
}

/** Session settings the source meanings read under (a zone for naive timestamps), once per table. */
function readingSettings(table: TablePlan): string[] {
  return [...new Set(table.columns.flatMap((c) => targetType(c.converter).meaning.session(c.converter) ?? []))];
}

/** What a stored value means, as text, by the column's type. */
const storedMeaning = (column: ColumnPlan, c: string): string => targetType(column.converter).meaning.stored(column.converter, c);

/** What a source value (storage class t, text v) means, read by PostgreSQL's input function for the column's type. */
const sourceMeaning = (column: ColumnPlan, t: string, v: string): string =>
  targetType(column.converter).meaning.source(column.converter, t, v);

/**
 * Sampled rows (not rejected) with no stored row meaning the same, each
 * with the stored row of the same key when the table has a key. Stored
 * rows are looked up by key; a table without one is searched by its first
 * column's meaning.
 */
function mismatchSql({ schema, table }: MeaningCheckInput): string {
  const rejects = qualified(schema, REJECTS_TABLE);
  // The sampled rows' nulled columns, gathered once: a lookup per value scanned every reject once per value.
  const nulled = (column: ColumnPlan) => `${quoteLiteral(column.source)} = ANY (n.columns)`;
  const expectedValues = table.columns.map((c, i) => {
    const nulText = targetType(c.converter).meaning.holdsNul ? `m.v${i}` : "'a text with a NUL byte, which only bytea holds'";
    return `CASE WHEN m.t${i} = 'null' OR ${nulled(c)} THEN NULL WHEN m.t${i} = 'nul-text' THEN ${nulText} ELSE ${sourceMeaning(c, `m.t${i}`, `m.v${i}`)} END`;
  });
  const storedValues = table.columns.map((c) => storedMeaning(c, `s.${quoteIdent(c.name)}`));
  const keyIndexes = table.primaryKey.map((k) => table.columns.findIndex((c) => c.name === k));
  const keyOf = (values: string[]) =>
    keyIndexes.length > 0 ? `json_build_array(${keyIndexes.map((i) => values[i]).join(", ")})::text` : "NULL::text";
  // Stored rows are found by key, through the key's index where its type has a plain text form.
  const lookup = keyIndexes.length > 0 ? keyIndexes : [0];
  const lookupType = (i: number) => targetType(table.columns[i].converter).meaning.lookup;
  const typedKey = (i: number) => {
    const type = lookupType(i);
    return type === null || type === "text" ? `l${i}` : `l${i}::${type}`;
  };
  const storedKey = (i: number) => (lookupType(i) === null ? storedValues[i] : `s.${quoteIdent(table.columns[i].name)}`);
  return `
    WITH expected AS MATERIALIZED (
      SELECT m.row_key, json_build_array(${expectedValues.join(", ")})::text AS doc, ${keyOf(expectedValues)} AS key,
             ${lookup.map((i) => `${expectedValues[i]} AS l${i}`).join(", ")}
      FROM ${qualified(schema, SCRATCH_TABLE)} m
      LEFT JOIN (
        SELECT r.row_key, array_agg(r.column_name) AS columns FROM ${rejects} r
        WHERE r.table_name = $1 AND r.action = 'nulled' AND r.row_key IN (SELECT row_key FROM ${qualified(schema, SCRATCH_TABLE)})
        GROUP BY r.row_key
      ) n ON n.row_key = m.row_key
      WHERE NOT EXISTS (SELECT 1 FROM ${rejects} r WHERE r.table_name = $1 AND r.row_key = m.row_key AND r.action = 'rejected')
    ), stored AS MATERIALIZED (
      SELECT json_build_array(${storedValues.join(", ")})::text AS doc, ${keyOf(storedValues)} AS key
      FROM ${qualified(schema, table.name)} s
      WHERE (${lookup.map(storedKey).join(", ")}) IN (SELECT ${lookup.map(typedKey).join(", ")} FROM expected)${
        keyIndexes.length > 0
          ? ""
          : `
         OR (${storedValues[0]} IS NULL AND EXISTS (SELECT 1 FROM expected WHERE l0 IS NULL))`
      }
    ), missing AS (
      SELECT doc FROM expected EXCEPT ALL SELECT doc FROM stored
    )
    SELECT e.row_key, e.doc AS expected, (SELECT s.doc FROM stored s WHERE s.key = e.key LIMIT 1) AS stored
    FROM expected e WHERE e.doc IN (SELECT doc FROM missing)
    ORDER BY e.row_key LIMIT ${SHOWN_MISMATCHES}`;
}

function mismatchLine(table: TablePlan, found: { row_key: string; expected: string; stored: string | null }): string {
  const expected = JSON.parse(found.expected) as (string | null)[];
  if (found.stored === null)
    return `"${table.name}" row ${found.row_key}: no stored row means what the source row does (${found.expected})`;
  const stored = JSON.parse(found.stored) as (string | null)[];
  const differing = table.columns.map((c, i) => ({ c, i })).filter(({ i }) => expected[i] !== stored[i]);
  return differing
    .map(
      ({ c, i }) =>
        `"${table.name}"."${c.name}" row ${found.row_key}: the source value means ${JSON.stringify(expected[i])}, the stored one ${JSON.stringify(stored[i])}`,
    )
    .join("; ");
}
