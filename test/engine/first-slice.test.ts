/**
 * The canary's sample as the first slice of the load (complete mode, one
 * stream: each table's COPY sends the CSV the sample sent, then the rest
 * of the export): the version must hold exactly what a load without a canary
 * makes, whatever crosses the line between the sample and the rest. The
 * export has rows set aside on both sides of it: bad values whose rows are
 * rejected and whose children follow them out, keys that repeat once
 * converted where the first row is outside the sample and its duplicate
 * inside, and a value past the sample that widens a column the sample
 * loaded narrower (the table is then read whole). Each table and the
 * rejects are compared with simple mode's load of the same export, in
 * PostgreSQL (count and md5 of the rows' text in key order); a failing
 * canary still leaves no schema behind.
 */
import Database from "better-sqlite3";
import { buildSample } from "../../engine/canary/sample";
import { inspectSource } from "../../engine/migrate/inspect";
import { SAMPLE_HEAD_ROWS, SAMPLE_SPREAD_ROWS } from "../../engine/profile/sample";
import { ProgressEvent } from "../../engine";
import { queryRows, useTestDatabase } from "../support/database";
import { migrateInto, quoteIdent, schemasOf, sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("first_slice");
const tmp = useTempDir("first-slice");
const migrate = migrateInto(database, tmp);

const CUSTOMERS = 2000;
const TICKETS = 30000;
const CODES = 3000;
const TABLES = ["customers", "tickets", "comments", "codes"];

function cleanExport(): string {
  return sqliteFile(
    tmp.dir,
    "export",
    `CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, since DATETIME NOT NULL);
     CREATE TABLE tickets (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), title TEXT, ref_code);
     CREATE TABLE comments (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL REFERENCES tickets(id), body TEXT);
     CREATE TABLE codes (code PRIMARY KEY, label TEXT);`,
    (db) => {
      db.transaction(() => {
        const customer = db.prepare("INSERT INTO customers VALUES (?, ?, ?)");
        // Every 97th customer has a date no reading gives: its row is rejected, its tickets and their comments follow.
        for (let i = 1; i <= CUSTOMERS; i++)
          customer.run(i, `Kundin ${i} – Zoë`, i % 97 === 0 ? "sometime in spring" : `2024-0${(i % 9) + 1}-1${i % 10} 08:30:00`);
        const ticket = db.prepare("INSERT INTO tickets VALUES (?, ?, ?, ?)");
        for (let i = 1; i <= TICKETS; i++) ticket.run(i, (i % CUSTOMERS) + 1, `Störung ${i}`, BigInt(1000 + i));
        const comment = db.prepare("INSERT INTO comments VALUES (?, ?, ?)");
        for (let i = 1; i <= 2 * TICKETS; i++) comment.run(i, (i % TICKETS) + 1, `Antwort ${i} ☕`);
        // A key without affinity: 7 and '7' differ in SQLite and are one integer in PostgreSQL. The integers come
        // first (they keep the key); every tenth has a text twin further down.
        const code = db.prepare("INSERT INTO codes VALUES (?, ?)");
        for (let i = 1; i <= CODES; i++) code.run(BigInt(i), `code ${i}`);
        for (let i = 10; i <= CODES; i += 10) code.run(String(i), `twin of ${i}`);
      })();
    },
  );
}

/** Tickets neither type inference nor the canary's sample reads (by the engine's own sample of this export). */
async function ticketsPastBothSamples(file: string): Promise<number[]> {
  const inspection = await inspectSource(file);
  const sample = buildSample(file, inspection.source, inspection.plan, tmp.dir);
  try {
    const db = new Database(sample.subset.file, { readonly: true });
    const sampled = new Set(
      db
        .prepare(`SELECT k0 FROM ${quoteIdent(sample.subset.keyTables.tickets)}`)
        .pluck()
        .all() as number[],
    );
    db.close();
    const start = 1 + SAMPLE_HEAD_ROWS;
    const step = Math.floor((TICKETS - start) / SAMPLE_SPREAD_ROWS);
    const past: number[] = [];
    for (let id = TICKETS - 1; id > start && past.length < 3; id--) if ((id - start) % step !== 0 && !sampled.has(id)) past.push(id);
    return past;
  } finally {
    sample.remove();
  }
}

/** count and md5 of a table's rows as PostgreSQL prints them, in a stable order. */
async function contentOf(schema: string, table: string): Promise<{ rows: number; md5: string }> {
  const [row] = await queryRows<{ rows: string; md5: string }>(
    database.url,
    `SELECT count(*) AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS md5 FROM ${quoteIdent(schema)}.${quoteIdent(table)} t`,
  );
  return { rows: Number(row.rows), md5: row.md5 };
}

async function columnType(schema: string, table: string, column: string): Promise<string> {
  const [row] = await queryRows<{ type: string }>(
    database.url,
    "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = format('%I.%I', $1::text, $2::text)::regclass AND attname = $3",
    [schema, table, column],
  );
  return row.type;
}

it("loads in complete mode exactly what simple mode loads, across the line between the sample and the rest", async () => {
  const file = cleanExport();
  const past = await ticketsPastBothSamples(file);
  expect(past).toHaveLength(3);
  const db = new Database(file);
  db.prepare("UPDATE tickets SET ref_code = 'R-' || id WHERE id = ?").run(past[0]);
  db.close();

  const events: ProgressEvent[] = [];
  const simple = await migrate(file, "slice_simple", { mode: "simple" });
  const complete = await migrate(file, "slice_complete", {
    minQuality: 0,
    acceptFindings: [`codes.code:duplicate_keys<=${CODES / 10}`],
    onProgress: (e) => events.push(e),
  });
  expect(complete.outcome).toBe("loaded");
  expect(complete.canary!.kept).toBe(true);
  expect(complete.canary!.sampleRows.tickets).toBeGreaterThan(0);
  expect(complete.canary!.sampleRows.tickets).toBeLessThan(TICKETS / 2);
  // The sample loaded ref_code as an integer; the rest needed text, so tickets was read whole.
  const widened = events.filter((e) => e.table === "tickets" && e.message.startsWith("widening "));
  expect(widened.map((e) => e.phase)).toEqual(["load"]);
  expect(await columnType(complete.schema!, "tickets", "ref_code")).toBe("text");
  expect(await columnType(simple.schema!, "tickets", "ref_code")).toBe("text");

  for (const table of TABLES) {
    const expected = await contentOf(simple.schema!, table);
    expect({ table, ...(await contentOf(complete.schema!, table)) }).toEqual({ table, ...expected });
  }
  const rejects = async (schema: string) =>
    queryRows(
      database.url,
      `SELECT table_name, row_key, column_name, raw_value, reason, action FROM ${quoteIdent(schema)}._rejects ORDER BY 1, 2, 3, 4`,
    );
  expect(await rejects(complete.schema!)).toEqual(await rejects(simple.schema!));
  // What crossed the line: rejected customers, the tickets and comments that follow them, and the keys' twins.
  const counts = (report: typeof simple) =>
    report.tables.map(({ source, sourceRows, rowsLoaded, rejected, nulled }) => ({ source, sourceRows, rowsLoaded, rejected, nulled }));
  expect(counts(complete)).toEqual(counts(simple));
  const setAside = await queryRows<{ table_name: string; duplicates: string; others: string }>(
    database.url,
    `SELECT table_name, count(*) FILTER (WHERE reason LIKE 'duplicate primary key%') AS duplicates, count(*) FILTER (WHERE reason NOT LIKE 'duplicate primary key%') AS others
     FROM ${quoteIdent(complete.schema!)}._rejects GROUP BY table_name ORDER BY table_name`,
  );
  expect(setAside.find((r) => r.table_name === "codes")).toEqual({ table_name: "codes", duplicates: String(CODES / 10), others: "0" });
  expect(setAside.find((r) => r.table_name === "customers")).toEqual({
    table_name: "customers",
    duplicates: "0",
    others: String(Math.floor(CUSTOMERS / 97)),
  });
  expect(Number(setAside.find((r) => r.table_name === "tickets")!.others)).toBeGreaterThan(0);
  // The version carries planner statistics of every table, as simple mode's does (the canary's sample gets none:
  // they would be rolled back with it).
  const analyzed = async (schema: string) =>
    (
      await queryRows<{ tablename: string }>(
        database.url,
        "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = $1 AND tablename = ANY($2) ORDER BY 1",
        [schema, TABLES],
      )
    ).map((r) => r.tablename);
  expect(await analyzed(complete.schema!)).toEqual([...TABLES].sort());
  expect(await analyzed(simple.schema!)).toEqual([...TABLES].sort());
  // Only the version is left: the canary's schema went with the load's transaction.
  expect(await schemasOf(database.url, "slice_complete")).toEqual(["slice_complete", "slice_complete_control", complete.schema!]);
});

it("leaves no schema when the sample's test query fails, the first slice's transaction included", async () => {
  const file = cleanExport();
  await expect(migrate(file, "slice_fails", { testQueries: ["SELECT no_such_column FROM tickets"] })).rejects.toMatchObject({
    code: "CANARY_FAILED",
  });
  expect(await schemasOf(database.url, "slice_fails")).toEqual([]);
});
