/** The SELECT the reader runs: row key first, then every column, in the plan's read order. */
import { rowKeyExpression } from "../profile";
import { quoteIdent } from "../sql/identifiers";
import { ReaderJob } from "./protocol";

/** JavaScript numbers hold integers exactly up to 2^53; larger ones are read as text. */
const SAFE = "9007199254740991";

function columnExpression(column: ReaderJob["columns"][number]): string {
  const c = quoteIdent(column.source);
  if (column.converter.kind !== "integer" && column.converter.kind !== "numeric") return c;
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
  const key = rowKeyExpression({ withoutRowid: job.withoutRowid, primaryKey: job.primaryKey } as never);
  const range = job.rowidRange ? " WHERE rowid BETWEEN ? AND ?" : "";
  return `SELECT ${key}, ${job.columns.map(columnExpression).join(", ")} FROM ${quoteIdent(job.table)}${range}${orderBy(job)}`;
}

/** Raw bytes of one value, to tell invalid UTF-8 from a genuine U+FFFD. */
export function rawBytesSql(job: ReaderJob, column: string): string {
  const where = job.withoutRowid
    ? job.primaryKey.map((k, i) => `${quoteIdent(k)} IS json_extract(?, '$[${i}]')`).join(" AND ")
    : "rowid = ?";
  return `SELECT CAST(${quoteIdent(column)} AS BLOB) FROM ${quoteIdent(job.table)} WHERE ${where}`;
}
