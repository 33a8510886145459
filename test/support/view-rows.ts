/**
 * The oracle of the views tests: a view's rows as SQLite's own view returns
 * them, and the rows of its stable view in PostgreSQL, both in one canonical
 * form built here from the raw values (PostgreSQL's text output, SQLite's
 * stored values), independently of the engine's converters:
 *   - a number (or text that reads as one) is compared to 10 significant
 *     digits, because SQLite adds doubles where PostgreSQL multiplies numeric;
 *   - an ISO date-time is compared as date, time and fraction without
 *     trailing zeros, because '1996-07-04 00:00:00.000' is what SQLite stored
 *     and '1996-07-04 00:00:00' what PostgreSQL prints for the same instant.
 * Rows are compared as sorted lists: a view's order is not part of its meaning.
 */
import Database from "better-sqlite3";
import { Client } from "pg";

export interface ViewRows {
  readonly columns: string[];
  readonly rows: string[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2})(?::(\d{2}))?(?:\.(\d+))?)?$/;

export function canonical(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return `x:${value.toString("hex")}`;
  if (typeof value === "bigint") return `n:${Number(value).toPrecision(10)}`;
  if (typeof value === "number") return `n:${value.toPrecision(10)}`;
  const text = String(value);
  if (text.startsWith("\\x")) return `x:${text.slice(2)}`;
  if (NUMBER.test(text) && Number.isFinite(Number(text))) return `n:${Number(text).toPrecision(10)}`;
  const dt = DATE_TIME.exec(text);
  if (dt) {
    const [, date, hm, seconds, fraction] = dt;
    const trimmed = (fraction ?? "").replace(/0+$/, "");
    return `t:${date} ${hm ?? "00:00"}:${seconds ?? "00"}${trimmed ? `.${trimmed}` : ""}`;
  }
  return `s:${text}`;
}

const rowKey = (values: unknown[]) => JSON.stringify(values.map(canonical));

/** SELECT * of the view in SQLite itself. */
export function sqliteViewRows(file: string, view: string): ViewRows {
  const db = new Database(file, { readonly: true });
  try {
    const statement = db.prepare(`SELECT * FROM "${view.replace(/"/g, '""')}"`).raw(true);
    const columns = statement.columns().map((c) => c.name);
    return { columns, rows: (statement.all() as unknown[][]).map(rowKey).sort() };
  } finally {
    db.close();
  }
}

/** SELECT * of `schema`.`view` in PostgreSQL, every value as PostgreSQL's text. */
export async function postgresViewRows(url: string, schema: string, view: string): Promise<ViewRows> {
  const client = new Client({ connectionString: url, types: { getTypeParser: () => (text: string) => text } });
  await client.connect();
  try {
    const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
    const result = await client.query({ text: `SELECT * FROM ${quote(schema)}.${quote(view)}`, rowMode: "array" });
    return { columns: result.fields.map((f) => f.name), rows: (result.rows as unknown[][]).map(rowKey).sort() };
  } finally {
    await client.end();
  }
}
