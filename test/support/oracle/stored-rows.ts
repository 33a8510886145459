/** The stored rows of a table, each value with its canonical text computed by SQL. */

import type { Client } from "pg";
import type { Canon } from "./canonical-values";
import type { ComparedColumn, Family } from "./compared-columns";
import { quoteIdent } from "./quote-ident";

/** SQL for the canonical text of a stored value; none of these can fail. */
function storedCanonSql(family: Family, q: string): string {
  switch (family) {
    case "numeric":
      return `trim_scale(${q})::text`;
    case "double":
      // float4 widens exactly, so a real column is compared as the double it holds.
      return `${q}::float8::text`;
    case "instant":
      // A naive timestamp or a date becomes an instant in the session TimeZone, set to options.timezone.
      return `trim_scale(extract(epoch from ${q}::timestamptz))::text`;
    case "bytes":
      return `encode(${q}, 'hex')`;
    default:
      // Also char(n): its ::text drops the trailing spaces, as the expected side does.
      return `${q}::text`;
  }
}

export interface StoredRow {
  /** ::text of each compared column, for reports. */
  shown: (string | null)[];
  canon: Canon[];
}

export async function readStoredRows(client: Client, schema: string, table: string, columns: ComparedColumn[]): Promise<StoredRow[]> {
  const select = columns.flatMap((c) => {
    const q = quoteIdent(c.name);
    return [`${q}::text`, `'=' || ${storedCanonSql(c.family, q)}`];
  });
  const result = await client.query<(string | null)[]>({
    text: `SELECT ${select.join(", ")} FROM ${quoteIdent(schema)}.${quoteIdent(table)}`,
    rowMode: "array",
  });
  return result.rows.map((row) => ({
    shown: row.filter((_, i) => i % 2 === 0),
    canon: row.filter((_, i) => i % 2 === 1),
  }));
}
