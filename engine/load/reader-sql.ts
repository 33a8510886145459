/** The SELECT the reader runs: row key first, then every column, in the plan's read order. */
import { rowKeyCondition, rowKeyExpression } from "../profile";
import { subsetCondition } from "../source/row-subset";
import { quoteIdent } from "../sql/identifiers";
import { targetType } from "../types/target-types";
import { ReaderJob } from "./protocol";

/** A column as the reader selects it: its type says how its values must arrive (target-types.ts). */
function columnExpression(column: ReaderJob["columns"][number]): string {
  return targetType(column.converter).reader(quoteIdent(column.source));
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
  return `SELECT CAST(${quoteIdent(column)} AS BLOB) FROM ${quoteIdent(job.table)} WHERE ${rowKeyCondition(job)}`;
}
