/**
 * Keys that are one key once converted, in every storage class and every
 * key type: a column without affinity keeps 440.0, '440' and x'343430'
 * apart in SQLite (440 and 440.0 are one number there), and PostgreSQL may
 * hold them equal. The loader must set
 * aside every later row of such a group (else the primary key cannot be
 * built and the load fails) and no row PostgreSQL holds distinct (else a
 * value is lost). PostgreSQL is the referee: each row's value is written
 * here as a PostgreSQL expression of what it means, and PostgreSQL's own
 * equality (DISTINCT ON) says which rows must be loaded. The run is the
 * default mode's.
 */
import Database from "better-sqlite3";
import { MigrationReport } from "../../engine";
import { queryRows, useTestDatabase } from "../support/database";
import { migrateInto, quoteIdent, rejectsOf, sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("duplicate_keys");
const tmp = useTempDir("duplicate-keys");
const migrate = migrateInto(database, tmp);

interface KeyCase {
  /** The key's PostgreSQL type (a type override), or null to let the engine infer it. */
  readonly type: string | null;
  readonly withoutRowid?: boolean;
  /** Each row's key: an SQLite literal, and a PostgreSQL expression of the value it must load as. */
  readonly keys: readonly (readonly [sqlite: string, postgres: string])[];
}

const CASES: Readonly<Record<string, KeyCase>> = {
  k_text: {
    type: null,
    keys: [
      ["440.0", "(440.0::float8)::text"],
      ["'440'", "'440'"],
      ["441", "(441::bigint)::text"],
      ["'441'", "'441'"],
      ["X'343430'", "convert_from('\\x343430', 'UTF8')"],
      ["'440.0'", "'440.0'"],
      // 15 digits (SQLite's text of a double) make these two one value; PostgreSQL's shortest exact text does not.
      ["0.30000000000000004", "(0.30000000000000004::float8)::text"],
      ["'0.3'", "'0.3'"],
      ["0.3", "(0.3::float8)::text"],
      ["1e20", "(1e20::float8)::text"],
      ["'1e+20'", "'1e+20'"],
      ["'a'", "'a'"],
    ],
  },
  k_bigint: {
    type: "bigint",
    keys: [
      ["7", "7::bigint"],
      ["'7'", "'7'::bigint"],
      ["'007'", "'007'::bigint"],
      ["9007199254740993", "9007199254740993::bigint"],
      ["'9007199254740993'", "'9007199254740993'::bigint"],
      ["9007199254740992", "9007199254740992::bigint"],
      ["8.0", "8::bigint"],
      ["'8'", "'8'::bigint"],
      ["0", "0::bigint"],
      ["'-0'", "'-0'::bigint"],
    ],
  },
  k_numeric: {
    type: "numeric",
    keys: [
      ["1.5", "1.5::numeric"],
      ["'1.50'", "'1.50'::numeric"],
      ["'1.500'", "'1.500'::numeric"],
      ["2", "2::numeric"],
      ["'2.0'", "'2.0'::numeric"],
      ["3.0", "3::numeric"],
      ["'3.000'", "'3.000'::numeric"],
      ["'2.5'", "'2.5'::numeric"],
      ["0", "0::numeric"],
      ["'0.00'", "'0.00'::numeric"],
    ],
  },
  k_float: {
    type: "double precision",
    keys: [
      ["0.0", "0::float8"],
      ["'-0'", "'-0'::float8"],
      ["'0'", "'0'::float8"],
      ["1.5", "1.5::float8"],
      ["'1.50'", "'1.50'::float8"],
      ["1e300", "1e300::float8"],
      ["0.1", "0.1::float8"],
      ["'0.10'", "'0.10'::float8"],
    ],
  },
  k_bytea: {
    type: "bytea",
    keys: [
      ["X'6162'", "'\\x6162'::bytea"],
      ["'ab'", "convert_to('ab', 'UTF8')"],
      ["X'00'", "'\\x00'::bytea"],
      ["'abc'", "convert_to('abc', 'UTF8')"],
    ],
  },
  k_instant: {
    type: "timestamptz",
    keys: [
      ["'2024-01-01 10:00:00+02:00'", "'2024-01-01 10:00:00+02:00'::timestamptz"],
      ["'2024-01-01 08:00:00+00:00'", "'2024-01-01 08:00:00+00:00'::timestamptz"],
      ["'2024-01-01 03:00:00-05:00'", "'2024-01-01 03:00:00-05:00'::timestamptz"],
      ["'2024-01-02 08:00:00+00:00'", "'2024-01-02 08:00:00+00:00'::timestamptz"],
    ],
  },
  // One storage class per key: nothing is one key that SQLite kept apart, however close the values.
  k_one_text: {
    type: null,
    keys: [
      ["'a'", "'a'"],
      ["'A'", "'A'"],
      ["'a '", "'a '"],
      ["'ä'", "'ä'"],
      ["'a' || char(776)", "'a' || chr(776)"],
    ],
  },
  k_one_real: {
    type: "double precision",
    keys: [
      ["0.3", "0.3::float8"],
      ["0.30000000000000004", "0.30000000000000004::float8"],
      ["0.5", "0.5::float8"],
      ["-0.0", "'-0'::float8"],
    ],
  },
  k_one_blob: {
    type: "bytea",
    keys: [
      ["X''", "''::bytea"],
      ["X'00'", "'\\x00'::bytea"],
      ["X'0000'", "'\\x0000'::bytea"],
      ["X'61'", "'\\x61'::bytea"],
    ],
  },
  k_one_integer: {
    type: "bigint",
    keys: [
      ["9007199254740993", "9007199254740993::bigint"],
      ["9007199254740992", "9007199254740992::bigint"],
      ["-1", "-1::bigint"],
    ],
  },
  // No rowid: the first row in key order keeps the key (SQLite orders numbers before text).
  k_no_rowid: {
    type: null,
    withoutRowid: true,
    keys: [
      ["'440'", "'440'"],
      ["440.0", "(440.0::float8)::text"],
      ["7", "(7::bigint)::text"],
      ["'7'", "'7'"],
      ["'7.0'", "'7.0'"],
    ],
  },
};

function keysExport(): string {
  const ddl = Object.entries(CASES)
    .map(([table, c]) => `CREATE TABLE ${table} (k, label TEXT NOT NULL, PRIMARY KEY (k))${c.withoutRowid ? " WITHOUT ROWID" : ""};`)
    .join("\n");
  const rows = Object.entries(CASES)
    .map(([table, c]) => `INSERT INTO ${table} VALUES ${c.keys.map(([key], i) => `(${key}, 'row ${i + 1}')`).join(", ")};`)
    .join("\n");
  return sqliteFile(tmp.dir, "keys", `${ddl}\n${rows}`);
}

/** The rows PostgreSQL's equality keeps: per value, the first row (by `position`), as [key text, label], in byte order. */
async function keptByPostgres(c: KeyCase, position: (label: string) => number): Promise<string[][]> {
  const values = c.keys.map(([, pg], i) => `(${position(`row ${i + 1}`)}, ${pg}, 'row ${i + 1}')`).join(", ");
  const rows = await queryRows<{ k: string; label: string }>(
    database.url,
    `SELECT k, label FROM (SELECT DISTINCT ON (v) v::text AS k, label FROM (VALUES ${values}) AS s(n, v, label) ORDER BY v, n) kept
     ORDER BY k COLLATE "C"`,
  );
  return rows.map((r) => [r.k, r.label]);
}

describe("keys that are one key once converted", () => {
  let file: string;
  let report: MigrationReport;
  const duplicatesOf = (table: string) => CASES[table].keys.length;

  beforeAll(async () => {
    file = keysExport();
    const distinct = await Promise.all(Object.values(CASES).map((c) => keptByPostgres(c, (label) => Number(label.slice(4)))));
    const overrides = Object.fromEntries(
      Object.entries(CASES)
        .filter(([, c]) => c.type !== null)
        .map(([table, c]) => [table, { k: c.type! }]),
    );
    report = await migrate(file, "dupkeys", {
      typeOverrides: overrides,
      minQuality: 0,
      acceptFindings: Object.keys(CASES).map((table, i) => `${table}.k:duplicate_keys<=${duplicatesOf(table) - distinct[i].length}`),
    });
  });

  it("loads in the default mode", () => {
    expect(report.mode).toBe("complete");
    expect(report.outcome).toBe("loaded");
    expect(report.error).toBeNull();
  });

  it.each(Object.keys(CASES))("%s: holds exactly the first row of each value PostgreSQL tells apart", async (table) => {
    const c = CASES[table];
    // Where the table has no rowid, "first" is SQLite's key order.
    const db = new Database(file, { readonly: true });
    const order = c.withoutRowid ? (db.prepare(`SELECT label FROM ${table} ORDER BY k`).pluck().all() as string[]) : null;
    db.close();
    const expected = await keptByPostgres(c, (label) => (order ? order.indexOf(label) : Number(label.slice(4))));
    const loaded = await queryRows<{ k: string; label: string }>(
      database.url,
      `SELECT k::text AS k, label FROM ${quoteIdent(report.schema!)}.${quoteIdent(table)} ORDER BY k::text COLLATE "C"`,
    );
    expect(loaded.map((r) => [r.k, r.label])).toEqual(expected);

    const keptLabels = new Set(expected.map(([, label]) => label));
    const setAside = (await rejectsOf(database.url, report.schema!)).filter((r) => r.table_name === table);
    expect(setAside.map((r) => r.reason)).toEqual(
      Array(c.keys.length - expected.length).fill("duplicate primary key (k) once converted; the first row keeps it"),
    );
    expect(setAside.length + keptLabels.size).toBe(c.keys.length);
    expect(report.tables.find((t) => t.source === table)).toMatchObject({ rowsLoaded: expected.length });
    const finding = report.quality!.findings.find((f) => f.check === "duplicate_keys" && f.message.includes(`of "${table}"`));
    if (expected.length < c.keys.length)
      expect(finding?.message).toContain(`${c.keys.length - expected.length} rows of "${table}" have a duplicate primary key (k)`);
    else expect(finding).toBeUndefined();
  });
});
