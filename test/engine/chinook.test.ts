/**
 * The real dataset: chinook.sqlite (11 tables, ~15k rows, mixed-case
 * bracketed identifiers, DATETIME and NUMERIC(10,2), a composite key).
 * Every fact is read from PostgreSQL and compared with what SQLite holds:
 * counts, types, keys, foreign keys, checksums, and a per-column content
 * check computed in JavaScript from SQLite.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Client } from "pg";
import { to as copyTo } from "pg-copy-streams";
import { inspectSource, migrate, MigrationReport } from "../../engine";
import { forEachTableJob } from "../../engine/load/table-jobs";
import { readTable } from "../../engine/load/read-table";
import { CORPUS_DIR } from "../support/corpus";
import { queryRows, useTestDatabase } from "../support/database";
import { columnTypes, pgCount, quoteIdent, rejectsOf } from "./engine-fixtures";

const CHINOOK = path.join(CORPUS_DIR, "chinook.sqlite");
const PREFIX = "chinook";

const database = useTestDatabase("chinook");
let report: MigrationReport;
let sqlite: Database.Database;
let fileDigestBefore: string;
let backups: string;

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

interface SqliteColumn {
  name: string;
  type: string;
  pk: number;
}

function tablesOfSqlite(): string[] {
  return sqlite
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
}

function columnsOfSqlite(table: string): SqliteColumn[] {
  return sqlite.prepare("SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid").all(table) as SqliteColumn[];
}

function keyOf(table: string): string[] {
  return columnsOfSqlite(table)
    .filter((c) => c.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((c) => c.name);
}

beforeAll(async () => {
  fileDigestBefore = sha256(readFileSync(CHINOOK));
  sqlite = new Database(CHINOOK, { readonly: true, fileMustExist: true });
  // The default mode (complete): gate, canary on a closed sample, load, cutover.
  backups = mkdtempSync(path.join(tmpdir(), "sdm-chinook-backups-"));
  report = await migrate({ sourcePath: CHINOOK, databaseUrl: database.url, schemaPrefix: PREFIX, backupDirectory: backups });
});

afterAll(() => {
  sqlite?.close();
  rmSync(backups, { recursive: true, force: true });
});

it("loads every row of every table, with no rejects", async () => {
  expect(report.outcome).toBe("loaded");
  const tables = tablesOfSqlite();
  expect(tables).toHaveLength(11);
  expect(report.tables.map((t) => t.table).sort()).toEqual(tables);
  for (const table of tables) {
    const rows = Number(
      sqlite
        .prepare(`SELECT count(*) FROM ${quoteIdent(table)}`)
        .pluck()
        .get(),
    );
    const loaded = await pgCount(database.url, report.schema!, table);
    const viaStableView = await pgCount(database.url, PREFIX, table);
    const reported = report.tables.find((t) => t.table === table)!;
    expect({ table, loaded, viaStableView, reported: reported.rowsLoaded, rejected: reported.rejected, nulled: reported.nulled }).toEqual({
      table,
      loaded: rows,
      viaStableView: rows,
      reported: rows,
      rejected: 0,
      nulled: 0,
    });
  }
  expect(await rejectsOf(database.url, report.schema!)).toEqual([]);
  expect(report.mode).toBe("complete");
  expect(report.canary!.sampleRows.Track).toBeGreaterThan(0);
  // The gate measured every value: a clean export scores 100.
  expect(report.quality).toMatchObject({ score: 100, affectedRows: 0, totalRows: 15607, blocked: false });
  expect(report.quality!.findings.filter((f) => f.severity !== "ok")).toEqual([]);
});

it("types dates as timestamps, money as numeric(10,2), and keeps names and lengths", async () => {
  const schema = report.schema!;
  expect(await columnTypes(database.url, schema, "Invoice")).toEqual({
    InvoiceId: "bigint",
    CustomerId: "bigint",
    InvoiceDate: "timestamp without time zone",
    BillingAddress: "character varying(70)",
    BillingCity: "character varying(40)",
    BillingState: "character varying(40)",
    BillingCountry: "character varying(40)",
    BillingPostalCode: "character varying(10)",
    Total: "numeric(10,2)",
  });
  expect(await columnTypes(database.url, schema, "Employee")).toMatchObject({
    BirthDate: "timestamp without time zone",
    HireDate: "timestamp without time zone",
    ReportsTo: "bigint",
    Title: "character varying(30)",
  });
  expect(await columnTypes(database.url, schema, "InvoiceLine")).toMatchObject({ UnitPrice: "numeric(10,2)", Quantity: "bigint" });
  expect(await columnTypes(database.url, schema, "Track")).toMatchObject({
    UnitPrice: "numeric(10,2)",
    Name: "character varying(200)",
    Milliseconds: "bigint",
  });
  // Every source column exists under its exact (mixed-case) name.
  for (const table of tablesOfSqlite()) {
    expect(Object.keys(await columnTypes(database.url, schema, table))).toEqual(columnsOfSqlite(table).map((c) => c.name));
  }
  const nullability = await queryRows<{ column_name: string; is_nullable: string }>(
    database.url,
    `SELECT column_name, is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'Invoice' ORDER BY ordinal_position`,
    [schema],
  );
  expect(nullability.filter((c) => c.is_nullable === "NO").map((c) => c.column_name)).toEqual([
    "InvoiceId",
    "CustomerId",
    "InvoiceDate",
    "Total",
  ]);
});

it("recreates every primary key (PlaylistTrack's composite one too) and every foreign key", async () => {
  const schema = report.schema!;
  const keys = await queryRows<{ table: string; columns: string[] }>(
    database.url,
    `SELECT c.conrelid::regclass::text AS table,
            array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns
     FROM pg_constraint c WHERE c.contype = 'p' AND c.connamespace = $1::regnamespace AND c.conrelid <> to_regclass($2)`,
    [schema, `${quoteIdent(schema)}._rejects`],
  );
  const expectedKeys = tablesOfSqlite().map((t) => ({ table: `${schema}.${quoteIdent(t)}`, columns: keyOf(t) }));
  expect(sortBy(keys, (k) => k.table)).toEqual(sortBy(expectedKeys, (k) => k.table));
  expect(keys.find((k) => k.table.endsWith('"PlaylistTrack"'))?.columns).toEqual(["PlaylistId", "TrackId"]);

  const foreign = await queryRows<{ child: string; columns: string[]; parent: string; parent_columns: string[] }>(
    database.url,
    `SELECT c.conrelid::regclass::text AS child,
            array(SELECT a.attname::text FROM unnest(c.conkey) k(n) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS columns,
            c.confrelid::regclass::text AS parent,
            array(SELECT a.attname::text FROM unnest(c.confkey) k(n) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS parent_columns
     FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = $1::regnamespace`,
    [schema],
  );
  const expectedForeign = tablesOfSqlite().flatMap((t) =>
    (
      sqlite.prepare('SELECT "table" AS parent, "from" AS col, "to" AS parentCol FROM pragma_foreign_key_list(?)').all(t) as {
        parent: string;
        col: string;
        parentCol: string;
      }[]
    ).map((fk) => ({
      child: `${schema}.${quoteIdent(t)}`,
      columns: [fk.col],
      parent: `${schema}.${quoteIdent(fk.parent)}`,
      parent_columns: [fk.parentCol],
    })),
  );
  expect(expectedForeign).toHaveLength(11);
  const order = (f: { child: string; columns: string[] }) => `${f.child}/${f.columns.join()}`;
  expect(sortBy(foreign, order)).toEqual(sortBy(expectedForeign, order));

  const indexes = await queryRows<{ indexname: string }>(
    database.url,
    `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'IFK%' ORDER BY 1`,
    [schema],
  );
  expect(indexes).toHaveLength(10);
});

it("has equal checksums: the source read by the engine, the report, and PostgreSQL's own rendering", async () => {
  const inspection = await inspectSource(CHINOOK);
  const sourceDigests = new Map<string, string>();
  await forEachTableJob(
    { sourcePath: CHINOOK, source: inspection.source, evidence: inspection.evidence, plan: inspection.plan },
    async ({ table, job }) => {
      const hash = createHash("sha256");
      const read = await readTable(job, { chunk: (data) => void hash.update(data), rejects: () => undefined });
      sourceDigests.set(table.name, hash.digest("hex"));
      return { read };
    },
  );
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    const settings = [
      "DateStyle = 'ISO, YMD'",
      "TimeZone = 'UTC'",
      "extra_float_digits = 1",
      "bytea_output = 'hex'",
      "synchronize_seqscans = off",
    ];
    for (const setting of settings) await client.query(`SET ${setting}`);
    const rendered = async (sql: string) => {
      const hash = createHash("sha256");
      for await (const chunk of client.query(copyTo(`COPY (${sql}) TO STDOUT WITH (FORMAT csv)`))) hash.update(chunk as Buffer);
      return hash.digest("hex");
    };
    for (const table of report.tables) {
      const columns = await columnTypes(database.url, report.schema!, table.table);
      const select = `SELECT ${Object.keys(columns).map(quoteIdent).join(", ")} FROM ${quoteIdent(report.schema!)}.${quoteIdent(table.table)}`;
      const order = keyOf(table.source).map(quoteIdent).join(", ");
      // The engine's reading of the export is what PostgreSQL holds, in key order.
      const target = await rendered(`${select} ORDER BY ${order}`);
      expect({ table: table.table, source: sourceDigests.get(table.table) }).toEqual({ table: table.table, source: target });
      // The report's checksum is of the rows as stored (the load's order: the canary's sample first, then the rest).
      expect({ table: table.table, stored: await rendered(select) }).toEqual({ table: table.table, stored: table.checksum });
    }
  } finally {
    await client.end();
  }
});

/**
 * For every column, in key order: count, and for numbers sum, min and max;
 * for every column an md5 over its values as text. SQLite's side is computed
 * here in JavaScript from the raw values, PostgreSQL's by the server.
 */
it("holds the same content, column by column, as SQLite", async () => {
  const schema = report.schema!;
  const NULL_MARK = "\u2400";
  for (const table of tablesOfSqlite()) {
    const types = await columnTypes(database.url, schema, table);
    const key = keyOf(table).map(quoteIdent).join(", ");
    const rows = sqlite
      .prepare(`SELECT * FROM ${quoteIdent(table)} ORDER BY ${key}`)
      .safeIntegers(true)
      .all() as Record<string, unknown>[];
    const aggregates = Object.keys(types).map((c, i) => {
      const q = quoteIdent(c);
      const numeric = types[c] === "bigint" || types[c].startsWith("numeric");
      return (
        `count(${q}) AS n${i}, md5(string_agg(coalesce(${q}::text, '${NULL_MARK}'), E'\\x1f' ORDER BY ${key})) AS md5${i}` +
        (numeric ? `, sum(${q})::text AS sum${i}, min(${q})::text AS min${i}, max(${q})::text AS max${i}` : "")
      );
    });
    const [pg] = await queryRows<Record<string, string>>(
      database.url,
      `SELECT ${aggregates.join(", ")} FROM ${quoteIdent(schema)}.${quoteIdent(table)}`,
    );
    Object.keys(types).forEach((column, i) => {
      const rendered = rows.map((r) => renderAsPostgres(r[column], types[column]));
      const present = rendered.filter((v): v is string => v !== null);
      const expected: Record<string, string> = {
        n: String(present.length),
        md5: createHash("md5")
          .update(rendered.map((v) => v ?? NULL_MARK).join("\x1f"), "utf8")
          .digest("hex"),
      };
      const actual: Record<string, string> = { n: String(pg[`n${i}`]), md5: pg[`md5${i}`] };
      if (types[column] === "bigint" || types[column].startsWith("numeric")) {
        Object.assign(expected, numberSummary(present, types[column]));
        Object.assign(actual, { sum: pg[`sum${i}`], min: pg[`min${i}`], max: pg[`max${i}`] });
      }
      expect({ table, column, ...actual }).toEqual({ table, column, ...expected });
    });
  }
});

it("never touches the source file", () => {
  expect(sha256(readFileSync(CHINOOK))).toBe(fileDigestBefore);
});

/** A SQLite value as PostgreSQL prints it in the column's type (the types chinook uses). */
function renderAsPostgres(value: unknown, type: string): string | null {
  if (value === null) return null;
  if (type === "bigint") return String(value as bigint);
  if (type === "numeric(10,2)") return (typeof value === "bigint" ? Number(value) : (value as number)).toFixed(2);
  return String(value);
}

/** Sum, min and max of rendered numbers, exactly (scaled integers, no floating point). */
function numberSummary(values: readonly string[], type: string): { sum: string | null; min: string | null; max: string | null } {
  if (values.length === 0) return { sum: null, min: null, max: null };
  const scale = type === "bigint" ? 0 : 2;
  const scaled = values.map((v) => BigInt(v.replace(".", "")));
  const text = (n: bigint) => {
    if (scale === 0) return String(n);
    const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, "0");
    return `${n < 0n ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  };
  const sum = scaled.reduce((a, b) => a + b, 0n);
  const min = scaled.reduce((a, b) => (b < a ? b : a));
  const max = scaled.reduce((a, b) => (b > a ? b : a));
  return { sum: text(sum), min: text(min), max: text(max) };
}

function sortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
