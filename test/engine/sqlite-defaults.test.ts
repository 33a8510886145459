/**
 * DEFAULT clauses by SQLite's own rules. SQLite is the referee: a row
 * inserted with DEFAULT VALUES into a copy of the export holds what each
 * default means; the same insert into the loaded table must hold the same
 * values, read as PostgreSQL prints them. The family: quoting styles (a
 * double-quoted token in a DEFAULT is a string, as no column is in scope),
 * signed and hexadecimal numbers, blobs, TRUE and FALSE, parentheses, and
 * CURRENT_DATE, CURRENT_TIME and CURRENT_TIMESTAMP (SQLite's UTC texts).
 */
import { copyFileSync } from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Client } from "pg";
import { migrate } from "../../engine";
import { useTestDatabase } from "../support/database";
import { sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("defaults");
const tmp = useTempDir("defaults");

const SCHEMA = `
  CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    empty TEXT DEFAULT "",
    kind TEXT DEFAULT "isbn",
    quoted TEXT DEFAULT 'it''s',
    doubled TEXT DEFAULT "say ""hi""",
    published DATETIME DEFAULT "2000-01-01 00:00:00+00:00",
    negative INTEGER DEFAULT -1,
    positive REAL DEFAULT +2.5,
    hex INTEGER DEFAULT 0x1F,
    negative_hex INTEGER DEFAULT -0x10,
    exponent REAL DEFAULT 1e3,
    nested INTEGER DEFAULT ((42)),
    cover BLOB DEFAULT x'00ff',
    available BOOLEAN DEFAULT TRUE,
    archived BOOLEAN DEFAULT FALSE,
    added DATE DEFAULT CURRENT_DATE,
    at_time TIME DEFAULT CURRENT_TIME,
    touched DATETIME DEFAULT CURRENT_TIMESTAMP,
    unset TEXT DEFAULT NULL
  );
  INSERT INTO books (id, empty, kind, quoted, doubled, published, negative, positive, hex, negative_hex, exponent, nested,
                     cover, available, archived, added, at_time, touched, unset)
  VALUES (1, 'a', 'b', 'c', 'd', '2001-02-03 04:05:06+00:00', 5, 1.5, 7, 8, 9.5, 10, x'01', 1, 0, '2024-01-01', '10:00:00',
          '2024-01-01 10:00:00', 'x');`;

/** The default row as SQLite writes it, in a copy of the export (which is only ever read). */
function sqliteDefaults(file: string): Record<string, unknown> {
  const copy = path.join(tmp.dir, "referee.sqlite");
  copyFileSync(file, copy);
  const db = new Database(copy);
  try {
    db.prepare("INSERT INTO books DEFAULT VALUES").run();
    return db.prepare("SELECT * FROM books WHERE id = 2").get() as Record<string, unknown>;
  } finally {
    db.close();
  }
}

async function postgresDefaults(schema: string): Promise<Record<string, string | null>> {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query("SET TimeZone = 'UTC'");
    await client.query(`INSERT INTO "${schema}".books (id) VALUES (2)`);
    const { rows } = await client.query(`SELECT books::text AS whole, to_jsonb(books) AS row FROM "${schema}".books WHERE id = 2`);
    return Object.fromEntries(Object.entries(rows[0].row as Record<string, unknown>).map(([k, v]) => [k, v === null ? null : String(v)]));
  } finally {
    await client.end();
  }
}

it("loads each DEFAULT SQLite makes a constant, meaning what SQLite's own default row holds", async () => {
  const file = sqliteFile(tmp.dir, "books", SCHEMA);
  const report = await migrate({
    sourcePath: file,
    databaseUrl: database.url,
    schemaPrefix: "df",
    backupDirectory: path.join(tmp.dir, "b"),
  });
  expect(report.notes.filter((n) => n.message.includes("DEFAULT"))).toEqual([]);
  const sqlite = sqliteDefaults(file);
  const pg = await postgresDefaults(report.schema!);
  expect({
    empty: pg.empty,
    kind: pg.kind,
    quoted: pg.quoted,
    doubled: pg.doubled,
    negative: pg.negative,
    positive: pg.positive,
    hex: pg.hex,
    negative_hex: pg.negative_hex,
    exponent: pg.exponent,
    nested: pg.nested,
    unset: pg.unset,
  }).toEqual({
    empty: sqlite.empty,
    kind: sqlite.kind,
    quoted: sqlite.quoted,
    doubled: sqlite.doubled,
    negative: String(sqlite.negative),
    positive: String(sqlite.positive),
    hex: String(sqlite.hex),
    negative_hex: String(sqlite.negative_hex),
    exponent: String(sqlite.exponent),
    nested: String(sqlite.nested),
    unset: null,
  });
  // SQLite's text means this instant; PostgreSQL's jsonb prints it as ISO.
  expect(new Date(pg.published!).toISOString()).toBe(new Date(String(sqlite.published).replace(" ", "T")).toISOString());
  expect(pg.cover).toBe(`\\x${(sqlite.cover as Buffer).toString("hex")}`);
  expect([pg.available, pg.archived]).toEqual([Boolean(sqlite.available).toString(), Boolean(sqlite.archived).toString()]);
  // SQLite's CURRENT_* are UTC: the same day, and times within the seconds between the two inserts.
  expect(pg.added).toBe(String(sqlite.added));
  expect(pg.at_time!.length).toBe(String(sqlite.at_time).length);
  expect(Math.abs(new Date(pg.touched!).getTime() - new Date(`${String(sqlite.touched).replace(" ", "T")}Z`).getTime())).toBeLessThan(
    60_000,
  );
});
