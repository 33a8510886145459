/**
 * Validation after every load, inside the load's transaction: row counts,
 * column types, and a content checksum per table. The loader hashed the CSV
 * it sent, in the order it sent it; here PostgreSQL's own COPY TO renders
 * what it stored, in the same text forms, and the two hashes must be equal
 * byte for byte. A table just filled by COPY in this transaction is read back
 * in insertion order by a plain sequential scan (the session turns off
 * synchronized and parallel scans); a table changed after loading is read
 * back in key order instead, matching a source hash recomputed in that order.
 */
import { createHash } from "node:crypto";
import { Client } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { CsvRowHasher, hashedByRows } from "../csv/row-hash";
import { TablePlan } from "../plan/model";
import { qualified, quoteIdent } from "../sql/identifiers";
import { targetType } from "../types/target-types";

export interface TableValidation {
  readonly table: string;
  readonly expectedRows: number;
  readonly actualRows: number;
  readonly typeMismatches: readonly string[];
  /** Sampled rows whose stored values do not mean what the source's do (validate/meaning.ts). */
  readonly meaningMismatches?: readonly string[];
  readonly sourceDigest: string;
  readonly targetDigest: string;
  readonly ok: boolean;
  readonly seconds: number;
}

const COLUMN_TYPES = `
  SELECT attname AS name, format_type(atttypid, atttypmod) AS type
  FROM pg_attribute
  WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
  ORDER BY attnum`;

function readBackOrder(table: TablePlan): string {
  const order = table.readOrder;
  if (order.kind === "none") return "";
  const sourceColumns = order.kind === "rowid" ? [table.columns.find((c) => table.primaryKey.includes(c.name))!.source] : order.columns;
  const terms = sourceColumns.map((source) => {
    const column = table.columns.find((c) => c.source === source)!;
    const collation = targetType(column.converter).key.ordersAsSqlite;
    return collation ? `${quoteIdent(column.name)} ${collation}` : quoteIdent(column.name);
  });
  return ` ORDER BY ${terms.join(", ")}`;
}

interface ReadBack {
  readonly digest: string;
  /** The rows COPY sent, from its command tag: read it once the connection has answered a later query. */
  readonly rowCount: () => number;
}

/** Hashes what PostgreSQL stored, rendered as the loader rendered it. */
async function readBack(client: Client, schema: string, table: TablePlan, keyOrder: boolean): Promise<ReadBack> {
  const columns = table.columns.map((c) => quoteIdent(c.name)).join(", ");
  const order = keyOrder ? readBackOrder(table) : "";
  const sql = `COPY (SELECT ${columns} FROM ${qualified(schema, table.name)}${order}) TO STDOUT WITH (FORMAT csv)`;
  const stream = client.query(copyTo(sql));
  const rowCount = () => stream.rowCount;
  if (!hashedByRows(table)) {
    const hasher = createHash("sha256");
    for await (const chunk of stream) hasher.update(chunk as Buffer);
    return { digest: hasher.digest("hex"), rowCount };
  }
  const rows = await CsvRowHasher.create();
  for await (const chunk of stream) rows.update(chunk as Buffer);
  return { digest: rows.digest(), rowCount };
}

export async function validateTable(
  client: Client,
  schema: string,
  table: TablePlan,
  expected: { rows: number; digest: string; keyOrder: boolean },
): Promise<TableValidation> {
  const started = performance.now();
  // The read-back's command tag counts the rows (a count(*) scanned the table once more).
  const stored = await readBack(client, schema, table, expected.keyOrder);
  // A later query: the tag arrives after the last row, and this answer after the tag.
  const types = await client.query<{ name: string; type: string }>(COLUMN_TYPES, [qualified(schema, table.name)]);
  const actualRows = stored.rowCount();
  const typeMismatches: string[] = [];
  table.columns.forEach((column, i) => {
    const found = types.rows[i];
    if (!found || found.name !== column.name || found.type !== column.type) {
      typeMismatches.push(
        `"${table.name}"."${column.name}" is ${found ? `"${found.name}" ${found.type}` : "missing"}, planned ${column.type}`,
      );
    }
  });
  const digest = stored.digest;
  return {
    table: table.name,
    expectedRows: expected.rows,
    actualRows,
    typeMismatches,
    sourceDigest: expected.digest,
    targetDigest: digest,
    ok: actualRows === expected.rows && typeMismatches.length === 0 && digest === expected.digest,
    seconds: (performance.now() - started) / 1000,
  };
}

/** One line per failed check, naming the table. */
export function validationMismatches(results: readonly TableValidation[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.actualRows !== r.expectedRows) out.push(`"${r.table}" holds ${r.actualRows} rows, expected ${r.expectedRows}`);
    out.push(...r.typeMismatches, ...(r.meaningMismatches ?? []));
    if (r.sourceDigest !== r.targetDigest)
      out.push(`"${r.table}" content checksum differs (source ${r.sourceDigest.slice(0, 12)}, loaded ${r.targetDigest.slice(0, 12)})`);
  }
  return out;
}
