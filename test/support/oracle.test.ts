/**
 * The oracle on hand-made loads: a SQLite file written here, and the
 * PostgreSQL schema written by hand as a correct loader would write it, then
 * with one fault planted at a time. Columns without a declared type are used
 * on the SQLite side so that each value keeps the storage class it is written
 * with (a REAL column would turn -0.0 into 0, a NUMERIC one '1.50' into 1.5).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { queryRows, useTestDatabase } from "./database";
import { compareValueByValue, OracleOptions, OracleResult } from "./oracle";

const pg = useTestDatabase("oracle");
let folder: string;

beforeAll(() => {
  folder = mkdtempSync(path.join(tmpdir(), "oracle-"));
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

const REJECTS_DDL = "CREATE TABLE _rejects (table_name text, row_key text, column_name text, raw_value text, reason text, action text);";

/** Writes `sqlite` into a new SQLite file and `postgres` into a new schema `name` (with _rejects), then runs the oracle. */
async function check(name: string, sqlite: string, postgres: string, options: Partial<OracleOptions> = {}): Promise<OracleResult> {
  const file = path.join(folder, `${name}.sqlite`);
  const db = new Database(file);
  try {
    db.exec(sqlite);
  } finally {
    db.close();
  }
  await queryRows(pg.url, `CREATE SCHEMA ${name}; SET search_path = ${name}; ${REJECTS_DDL} ${postgres}`);
  return compareValueByValue({ sqlitePath: file, databaseUrl: pg.url, schema: name, ...options });
}

/** The differences as [table, column, rule], the part every test asserts exactly. */
function found(result: OracleResult): [string, string | null, string][] {
  return result.differences.map((d) => [d.table, d.column, d.rule]);
}

const CORRECT_SQLITE = `
  CREATE TABLE ints (id INTEGER PRIMARY KEY, big, small, parsed, twice INTEGER GENERATED ALWAYS AS (small * 2) VIRTUAL);
  INSERT INTO ints (id, big, small, parsed) VALUES
    (1, 9007199254740993, 7, '42'), (2, 3.0, -32768, ' 12 '), (3, -9223372036854775808, 0, '+5');

  CREATE TABLE decimals (id INTEGER PRIMARY KEY, amount, price, special);
  INSERT INTO decimals VALUES (1, '1.50', 1.005, 'NaN'), (2, 12, 1e21, 9e999), (3, 0.1, '-0.000', -9e999);

  CREATE TABLE doubles (id INTEGER PRIMARY KEY, d, f);
  INSERT INTO doubles VALUES (1, -0.0, 0.5), (2, 0.1, 16777216), (3, '1e-3', '  2.5 '), (4, 5e-324, 9e999), (5, 3, -1.25);

  CREATE TABLE flags (id INTEGER PRIMARY KEY, flag);
  INSERT INTO flags VALUES (1, 1), (2, 0), (3, 'yes'), (4, 'f'), (5, 'maybe'), (6, NULL), (7, 'TRUE');

  CREATE TABLE events (id INTEGER PRIMARY KEY, at, local, day, epoch_s, epoch_ms, us_day);
  INSERT INTO events VALUES
    (1, '2024-05-01T10:00:00+02:00', '2024-06-03 17:45:00', '2024-06-03', 1714550400, 1714550400123, '01/13/2024'),
    (2, '2024-05-01 10:00:00', '03/06/2024 17:45', '13/01/2024', 1714550400.5, 1714550400000, '02/03/2024'),
    (3, '2024-05-01T10:00:00Z', '2024-01-15T08:30:00.123456', '2024-02-29', -1.5, 0, NULL);

  CREATE TABLE texts (id INTEGER PRIMARY KEY, t, v, c);
  INSERT INTO texts VALUES
    (1, 9007199254740993, 'abc', 'ab'), (2, 1000000000000000, 'é', 'abcde'), (3, 1e15, x'68c3a9', 'x  '),
    (4, 0.1, 'plain ', NULL), (5, x'68c3a9', '', 'ab');

  CREATE TABLE blobs (id INTEGER PRIMARY KEY, b);
  INSERT INTO blobs VALUES (1, x'00ff10'), (2, 'hé'), (3, 42), (4, 1.5), (5, x'');

  CREATE TABLE others (id INTEGER PRIMARY KEY, doc, uid, span);
  INSERT INTO others VALUES (1, '{"a":1}', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '1 day');

  CREATE TABLE logs (message TEXT, level INTEGER);
  INSERT INTO logs VALUES ('disk full', 3), ('disk full', 3), ('ok', 1);

  CREATE TABLE pairs (a TEXT, b TEXT, qty INTEGER, PRIMARY KEY (b, a)) WITHOUT ROWID;
  INSERT INTO pairs VALUES ('k', '1', 10), ('k', '2', 20), ('z', '1', 'oops');

  CREATE TABLE scratch (x);
  INSERT INTO scratch VALUES (1);
  CREATE VIEW v_logs AS SELECT * FROM logs;
  CREATE VIRTUAL TABLE search USING fts5(body);
  INSERT INTO search VALUES ('not loaded: a virtual table');
`;

const CORRECT_POSTGRES = `
  CREATE TABLE ints (id bigint PRIMARY KEY, big bigint, small smallint, parsed integer, twice bigint);
  INSERT INTO ints VALUES (1, 9007199254740993, 7, 42, 14), (2, 3, -32768, 12, -65536), (3, -9223372036854775808, 0, 5, 0);

  CREATE TABLE decimals (id bigint PRIMARY KEY, amount numeric(10,2), price numeric, special numeric);
  INSERT INTO decimals VALUES
    (1, 1.50, 1.005, 'NaN'), (2, 12, 1000000000000000000000, 'Infinity'), (3, 0.10, 0, '-Infinity');

  CREATE TABLE doubles (id bigint PRIMARY KEY, d double precision, f real);
  INSERT INTO doubles VALUES (1, '-0', 0.5), (2, 0.1, 16777216), (3, 0.001, 2.5), (4, 5e-324, 'Infinity'), (5, 3, -1.25);

  CREATE TABLE flags (id bigint PRIMARY KEY, flag boolean);
  INSERT INTO flags VALUES (1, true), (2, false), (3, true), (4, false), (5, NULL), (6, NULL), (7, true);
  INSERT INTO _rejects VALUES ('flags', '5', 'flag', 'maybe', 'not a boolean', 'nulled');

  CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, local timestamp, day date,
                       epoch_s timestamptz, epoch_ms timestamptz, us_day date);
  INSERT INTO events VALUES
    (1, '2024-05-01 08:00:00+00', '2024-06-03 17:45:00', '2024-06-03',
        '2024-05-01 08:00:00+00', '2024-05-01 08:00:00.123+00', '2024-01-13'),
    (2, '2024-05-01 08:00:00+00', '2024-06-03 17:45:00', '2024-01-13',
        '2024-05-01 08:00:00.5+00', '2024-05-01 08:00:00+00', '2024-02-03'),
    (3, '2024-05-01 10:00:00+00', '2024-01-15 08:30:00.123456', '2024-02-29',
        '1969-12-31 23:59:58.5+00', '1970-01-01 00:00:00+00', NULL);

  CREATE TABLE texts (id bigint PRIMARY KEY, t text, v varchar(10), c char(5));
  INSERT INTO texts VALUES
    (1, '9007199254740993', 'abc', 'ab'), (2, '1000000000000000', 'é', 'abcde'), (3, '1e+15', 'hé', 'x'),
    (4, '0.1', 'plain ', NULL), (5, 'hé', '', 'ab');

  CREATE TABLE blobs (id bigint PRIMARY KEY, b bytea);
  INSERT INTO blobs VALUES (1, '\\x00ff10'), (2, '\\x68c3a9'), (3, '\\x3432'), (4, '\\x312e35'), (5, '\\x');

  CREATE TABLE others (id bigint PRIMARY KEY, doc jsonb, uid uuid, span interval);
  INSERT INTO others VALUES (1, '{"a": 1}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day');

  CREATE TABLE logs (message text, level integer);
  INSERT INTO logs VALUES ('disk full', 3), ('disk full', 3), ('ok', 1);

  CREATE TABLE pairs (a text, b text, qty integer, PRIMARY KEY (b, a));
  INSERT INTO pairs VALUES ('k', '1', 10), ('k', '2', 20);
  INSERT INTO _rejects VALUES ('pairs', '["1","z"]', 'qty', 'oops', 'not an integer', 'rejected');
`;

describe("a correct load", () => {
  test("of every type family passes with zero differences and the right counts", async () => {
    const result = await check("correct", CORRECT_SQLITE, CORRECT_POSTGRES, {
      timezone: "Europe/Paris",
      skipTables: ["scratch"],
      // The writer of events.epoch_ms wrote milliseconds; epoch_s is read as SQLite's auto modifier reads it.
      readings: { "events.epoch_ms": "unix-ms" },
    });
    expect(result.differences).toEqual([]);
    const counts = Object.fromEntries(
      result.tables.map((t) => [t.table, [t.sqliteRows, t.loadedRows, t.rejectedRows, t.nulledValues, t.comparedValues]]),
    );
    // [SQLite rows, loaded rows, rejected rows, nulled values, compared values]; no view, virtual or shadow table.
    expect(counts).toEqual({
      blobs: [5, 5, 0, 0, 10],
      decimals: [3, 3, 0, 0, 12],
      doubles: [5, 5, 0, 0, 15],
      events: [3, 3, 0, 0, 21],
      flags: [7, 7, 0, 1, 13],
      ints: [3, 3, 0, 0, 15],
      logs: [3, 3, 0, 0, 6],
      others: [1, 1, 0, 0, 4],
      pairs: [3, 2, 1, 0, 6],
      texts: [5, 5, 0, 0, 20],
    });
  });
});

describe("a planted fault is reported, naming table and column", () => {
  test("an offset dropped: 2024-05-01T10:00:00+02:00 stored as timestamp 2024-05-01 10:00:00", async () => {
    const result = await check(
      "offset_dropped",
      "CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT); INSERT INTO events VALUES (1, '2024-05-01T10:00:00+02:00');",
      "CREATE TABLE events (id bigint, at timestamp); INSERT INTO events VALUES (1, '2024-05-01 10:00:00');",
    );
    expect(found(result)).toEqual([["events", "at", "same instant"]]);
    expect(result.differences[0]).toMatchObject({
      rowKey: "1",
      sqlite: 'text "2024-05-01T10:00:00+02:00" = 1714550400',
      postgres: "2024-05-01 10:00:00 = 1714557600",
    });
  });

  test("a time of day dropped: 2024-06-03 17:45:00 stored as date 2024-06-03", async () => {
    const result = await check(
      "time_dropped",
      "CREATE TABLE events (id INTEGER PRIMARY KEY, day TEXT); INSERT INTO events VALUES (1, '2024-06-03 17:45:00');",
      "CREATE TABLE events (id bigint, day date); INSERT INTO events VALUES (1, '2024-06-03');",
    );
    expect(found(result)).toEqual([["events", "day", "same instant"]]);
  });

  test("the integer 9007199254740993 stored in a text column as 9.007199254740992e+15", async () => {
    const result = await check(
      "big_integer_as_float_text",
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, ref); INSERT INTO notes VALUES (1, 9007199254740993);",
      "CREATE TABLE notes (id bigint, ref text); INSERT INTO notes VALUES (1, '9.007199254740992e+15');",
    );
    expect(found(result)).toEqual([["notes", "ref", "same text"]]);
    expect(result.differences[0]).toMatchObject({ sqlite: "integer 9007199254740993", postgres: "9.007199254740992e+15" });
  });

  test("the integer 1000000000000000 stored in a text column as 1e+15", async () => {
    const result = await check(
      "integer_as_exponent_text",
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, ref); INSERT INTO notes VALUES (1, 1000000000000000);",
      "CREATE TABLE notes (id bigint, ref text); INSERT INTO notes VALUES (1, '1e+15');",
    );
    expect(found(result)).toEqual([["notes", "ref", "same text"]]);
  });

  test("the integer 9007199254740993 stored in a double precision column as 9007199254740992", async () => {
    const result = await check(
      "integer_beyond_double",
      "CREATE TABLE readings (id INTEGER PRIMARY KEY, value); INSERT INTO readings VALUES (1, 9007199254740993);",
      "CREATE TABLE readings (id bigint, value double precision); INSERT INTO readings VALUES (1, 9007199254740992);",
    );
    expect(found(result)).toEqual([["readings", "value", "same double"]]);
    expect(result.differences[0].sqlite).toBe("integer 9007199254740993 (integer 9007199254740993 has no exact double)");
  });

  test("numeric rounding: 1.005 (as text and as real) stored in numeric(10,2) as 1.01", async () => {
    const result = await check(
      "numeric_rounding",
      "CREATE TABLE prices (id INTEGER PRIMARY KEY, amount); INSERT INTO prices VALUES (1, '1.005'), (2, 1.005), (3, '2.50');",
      "CREATE TABLE prices (id bigint, amount numeric(10,2)); INSERT INTO prices VALUES (1, 1.01), (2, 1.01), (3, 2.50);",
    );
    expect(found(result)).toEqual([
      ["prices", "amount", "same decimal"],
      ["prices", "amount", "same decimal"],
    ]);
    expect(result.differences.map((d) => d.rowKey)).toEqual(["1", "2"]);
  });

  test("-0.0 stored as 0 in double precision", async () => {
    const result = await check(
      "negative_zero",
      "CREATE TABLE readings (id INTEGER PRIMARY KEY, value); INSERT INTO readings VALUES (1, -0.0), (2, 0.0);",
      "CREATE TABLE readings (id bigint, value double precision); INSERT INTO readings VALUES (1, 0), (2, 0);",
    );
    expect(found(result)).toEqual([["readings", "value", "same double"]]);
    expect(result.differences[0]).toMatchObject({ rowKey: "1", sqlite: "real -0", postgres: "0" });
  });

  test("a missing row that is not in _rejects", async () => {
    const result = await check(
      "missing_row",
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c');",
      "CREATE TABLE items (id bigint, name text); INSERT INTO items VALUES (1, 'a'), (3, 'c');",
    );
    expect(found(result)).toEqual([
      ["items", null, "row count"],
      ["items", null, "missing row"],
    ]);
    expect(result.differences[1].rowKey).toBe("2");
  });

  test("an extra row", async () => {
    const result = await check(
      "extra_row",
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO items VALUES (1, 'a');",
      "CREATE TABLE items (id bigint, name text); INSERT INTO items VALUES (1, 'a'), (2, 'b');",
    );
    expect(found(result)).toEqual([
      ["items", null, "row count"],
      ["items", null, "extra row"],
    ]);
    expect(result.differences[1].postgres).toBe("id=2, name=b");
  });

  test("a value changed in a table without a key, among duplicate rows", async () => {
    const result = await check(
      "keyless_change",
      "CREATE TABLE logs (message TEXT, level INTEGER); INSERT INTO logs VALUES ('disk full', 3), ('disk full', 3), ('ok', 1);",
      "CREATE TABLE logs (message text, level integer); INSERT INTO logs VALUES ('disk full', 3), ('disk full', 4), ('ok', 1);",
    );
    expect(found(result)).toEqual([["logs", "level", "same integer"]]);
    // Either duplicate may be the one paired; both are rowids of a ('disk full', 3) row.
    expect(["1", "2"]).toContain(result.differences[0].rowKey);
  });
});

describe("the accounting of _rejects and of tables", () => {
  test("a nulled value that is not NULL, and a rejected row that was loaded anyway", async () => {
    const result = await check(
      "rejects_ignored",
      "CREATE TABLE flags (id INTEGER PRIMARY KEY, flag); INSERT INTO flags VALUES (1, 'maybe'), (2, 'perhaps'), (3, 1);",
      `CREATE TABLE flags (id bigint, flag boolean); INSERT INTO flags VALUES (1, false), (2, NULL), (3, true);
       INSERT INTO _rejects VALUES ('flags', '1', 'flag', 'maybe', 'not a boolean', 'nulled'),
                                   ('flags', '2', 'flag', 'perhaps', 'not a boolean', 'rejected');`,
    );
    expect(found(result)).toEqual([
      ["flags", null, "row count"],
      ["flags", "flag", "nulled value is NULL"],
      ["flags", null, "extra row"],
    ]);
  });

  test("a value PostgreSQL's input function refuses, neither rejected nor nulled", async () => {
    const result = await check(
      "unparsable",
      "CREATE TABLE counts (id INTEGER PRIMARY KEY, n); INSERT INTO counts VALUES (1, '12abc'), (2, 2.5);",
      "CREATE TABLE counts (id bigint, n bigint); INSERT INTO counts VALUES (1, 12), (2, 2);",
    );
    expect(found(result)).toEqual([
      ["counts", "n", "same integer"],
      ["counts", "n", "same integer"],
    ]);
    expect(result.differences[0].sqlite).toBe('text "12abc" (invalid input syntax for type bigint: "12abc")');
    expect(result.differences[1].sqlite).toBe("real 2.5 (real 2.5 is not an integer)");
  });

  test("a WITHOUT ROWID reject keyed otherwise than json_array", async () => {
    const result = await check(
      "bad_reject_key",
      "CREATE TABLE pairs (a TEXT, b TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID; INSERT INTO pairs VALUES ('k', '1'), ('z', '1');",
      `CREATE TABLE pairs (a text, b text); INSERT INTO pairs VALUES ('k', '1');
       INSERT INTO _rejects VALUES ('pairs', 'z|1', NULL, NULL, 'whatever', 'rejected');`,
    );
    expect(found(result)).toEqual([
      ["pairs", null, "reject names a SQLite row"],
      ["pairs", null, "row count"],
      ["pairs", null, "missing row"],
    ]);
    expect(result.differences[2].rowKey).toBe('["z","1"]');
  });

  test("text that is not valid UTF-8, stored repaired with U+FFFD, is reported; a real U+FFFD is not", async () => {
    const result = await check(
      "invalid_utf8",
      `CREATE TABLE notes (id INTEGER PRIMARY KEY, body);
       INSERT INTO notes VALUES (1, CAST(x'61ff62' AS TEXT)), (2, 'a\uFFFDb'), (3, x'61ff62');`,
      "CREATE TABLE notes (id bigint, body text); INSERT INTO notes VALUES (1, 'a\uFFFDb'), (2, 'a\uFFFDb'), (3, 'a\uFFFDb');",
    );
    expect(found(result)).toEqual([
      ["notes", "body", "same text"],
      ["notes", "body", "same text"],
    ]);
    expect(result.differences.map((d) => d.sqlite)).toEqual([
      "text x'61ff62' (text is not valid UTF-8)",
      "blob x'61ff62' (blob is not valid UTF-8)",
    ]);
  });

  test("at most 20 differences are listed per table, the others counted", async () => {
    const result = await check(
      "many_differences",
      `CREATE TABLE n (id INTEGER PRIMARY KEY, v);
       WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 25) INSERT INTO n SELECT i, i FROM s;`,
      "CREATE TABLE n (id bigint, v bigint); INSERT INTO n SELECT i, i + 1 FROM generate_series(1, 25) i;",
    );
    expect(found(result)).toEqual(Array.from({ length: 20 }, () => ["n", "v", "same integer"]));
    expect(result.tables[0].unlistedDifferences).toBe(5);
  });

  test("a missing table, a skipped one, columns out of order, and a type compared as ::text", async () => {
    const result = await check(
      "tables",
      `CREATE TABLE kept (id INTEGER PRIMARY KEY, a, b); INSERT INTO kept VALUES (1, '{"x":1}', 'y');
       CREATE TABLE lost (id INTEGER PRIMARY KEY); CREATE TABLE skipped (id INTEGER PRIMARY KEY);`,
      `CREATE TABLE kept (id bigint, b text, a jsonb); INSERT INTO kept VALUES (1, 'y', '{"x": 2}');`,
      { skipTables: ["skipped"] },
    );
    expect(found(result)).toEqual([
      ["kept", null, "same columns in the same order"],
      ["kept", "a", "unsupported type jsonb: same ::text"],
      ["lost", null, "missing table"],
    ]);
    expect(result.tables.map((t) => t.table)).toEqual(["kept", "lost"]);
  });
});
