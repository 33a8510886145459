/** The SELECT the reader runs: row key first, then every column, in the plan's read order. */
import { rowKeyExpression } from "../profile";
import { subsetCondition } from "../source/row-subset";
import { quoteIdent } from "../sql/identifiers";
import { ReaderJob } from "./protocol";

/** JavaScript numbers hold integers exactly up to 2^53; larger ones are read as their decimal text. */
const SAFE = "9007199254740991";

/**
 * A column as the reader selects it. Integers must arrive exact: past 2^53
 * as text, and in text and bytea columns always as text (1000000000000000
 * stays that, not a double printed as 1e+15).
 */
function columnExpression(column: ReaderJob["columns"][number]): string {
  const c = quoteIdent(column.source);
  const kind = column.converter.kind;
  if (kind === "text" || kind === "bytea") return `CASE WHEN typeof(${c}) = 'integer' THEN CAST(${c} AS TEXT) ELSE ${c} END`;
  return `CASE WHEN typeof(${c}) = 'integer' AND (${c} > ${SAFE} OR ${c} < -${SAFE}) THEN CAST(${c} AS TEXT) ELSE ${c} END`;
}

function orderBy(job: ReaderJob): string {
  switch (job.readOrder.kind) {
    case "rowid":
      return " ORDER BY rowid";
    case "key":
      return ` ORDER BY ${job.readOrder.columns.map((c) => `${quoteIdent(c)} COLLATE BINARY`).join(", ")}`;
    case "none":
      return "";
  }
}

/** The reader's query; with a rowid range it takes two parameters, lo and hi. */
export function readerSql(job: ReaderJob): string {
  const key = rowKeyExpression(job);
  const conditions = [
    ...(job.rowidRange ? ["rowid BETWEEN ? AND ?"] : []),
    ...(job.subset ? [subsetCondition({ name: job.table, withoutRowid: job.withoutRowid, primaryKey: job.primaryKey }, job.subset)] : []),
  ];
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(" AND ")}` : "";
  return `SELECT ${key}, ${job.columns.map(columnExpression).join(", ")} FROM ${quoteIdent(job.table)}${where}${orderBy(job)}`;
}

/** Raw bytes of one value, to tell invalid UTF-8 from a genuine U+FFFD. */
export function rawBytesSql(job: ReaderJob, column: string): string {
  const where = job.withoutRowid
    ? job.primaryKey.map((k, i) => `${quoteIdent(k)} IS json_extract(?, '$[${i}]')`).join(" AND ")
    : "rowid = ?";
  return `SELECT CAST(${quoteIdent(column)} AS BLOB) FROM ${quoteIdent(job.table)} WHERE ${where}`;
}
