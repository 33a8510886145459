/**
 * Type inference, judged by what PostgreSQL holds after a load: the column
 * types format_type reports, and every value as the server prints it
 * (TimeZone UTC). Timestamps in TEXT (ISO with or without T, Z, offsets,
 * fractions; day-first slash dates; dates), epoch numbers in DATETIME,
 * booleans, NUMERIC(p,s), REAL bit for bit, blobs byte for byte, integers
 * beyond 2^53, defaults, overrides and the time zone of naive timestamps.
 */
import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { Client } from "pg";
import { inspectSource, migrate, MigrateOptions, MigrationReport, OptionError } from "../../engine";
import { SeededRandom } from "../../engine/generate";
import { queryRows, useTestDatabase } from "../support/database";
import { columnTypes, quoteIdent, rejectsOf, sqliteFile, textRows, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("types");
const tmp = useTempDir("types");

async function load(file: string, prefix: string, options: Partial<MigrateOptions> = {}): Promise<MigrationReport> {
  return migrate({ ...options, sourcePath: file, databaseUrl: database.url, mode: "simple", schemaPrefix: prefix });
}

/** column -> the text of each row's value, ordered by id. */
async function columnsAsText(schema: string, table: string): Promise<Record<string, (string | null)[]>> {
  const rows = await textRows(database.url, schema, table);
  const columns: Record<string, (string | null)[]> = {};
  for (const row of rows) for (const [name, value] of Object.entries(row)) (columns[name] ??= []).push(value);
  return columns;
}

describe("timestamps, dates and epochs", () => {
  let schema: string;
  let report: MigrationReport;

  beforeAll(async () => {
    const file = sqliteFile(
      tmp.dir,
      "temporal",
      `
      CREATE TABLE stamps (id INTEGER PRIMARY KEY, iso_space TEXT, iso_t TEXT, iso_minutes TEXT, iso_z TEXT, iso_offset TEXT,
        iso_fraction TEXT, mixed_zone TEXT, day_first TEXT, ambiguous TEXT, month_first TEXT, day_only TEXT, epoch_s DATETIME, epoch_ms DATETIME);
      INSERT INTO stamps VALUES
        (1, '2024-03-01 10:11:12', '2024-03-01T10:11:12', '2024-03-01 10:11', '2024-03-01T10:11:12Z', '2024-03-01T10:11:12+02:00',
            '2024-03-01 10:11:12.123456', '2024-03-01T10:11:12Z', '25/12/2023 08:30', '01/02/2024 10:00', '12/25/2023 08:30', '2024-03-01', -86400, 1700000000123),
        (2, '1999-12-31 23:59:59', '2000-01-01T00:00:00', '2024-02-29 00:01', '2024-03-02T00:00:00Z', '2024-03-02T10:11:12-0530',
            '2024-03-02 10:11:12.5', '2024-03-02 10:11:12', '13/01/2024 23:59', '02/01/2024 11:00', '01/13/2024 23:59', '2024-02-29', 1700000000, -1000000000000),
        (3, NULL, '2024-07-04T12:00:00', '2024-07-04 12:00', '2024-07-04T12:00:00.120Z', '2024-07-04T23:30:00+14:00',
            '2024-07-04 12:00:00.000001', '2024-07-04T12:00:00+01:00', '04/07/2024 12:00', '03/04/2024 12:00', '07/04/2024 12:00', '1900-01-01', 1700000000.5, 951782400000);`,
    );
    report = await load(file, "ty_temporal");
    schema = report.schema!;
  });

  it("types each column from its formats", async () => {
    expect(await columnTypes(database.url, schema, "stamps")).toEqual({
      id: "bigint",
      iso_space: "timestamp without time zone",
      iso_t: "timestamp without time zone",
      iso_minutes: "timestamp without time zone",
      iso_z: "timestamp with time zone",
      iso_offset: "timestamp with time zone",
      iso_fraction: "timestamp without time zone",
      mixed_zone: "timestamp with time zone",
      day_first: "timestamp without time zone",
      ambiguous: "timestamp without time zone",
      month_first: "timestamp without time zone",
      day_only: "date",
      epoch_s: "timestamp with time zone",
      epoch_ms: "timestamp with time zone",
    });
  });

  it("loads the exact instants", async () => {
    expect(await columnsAsText(schema, "stamps")).toEqual({
      id: ["1", "2", "3"],
      iso_space: ["2024-03-01 10:11:12", "1999-12-31 23:59:59", null],
      iso_t: ["2024-03-01 10:11:12", "2000-01-01 00:00:00", "2024-07-04 12:00:00"],
      iso_minutes: ["2024-03-01 10:11:00", "2024-02-29 00:01:00", "2024-07-04 12:00:00"],
      iso_z: ["2024-03-01 10:11:12+00", "2024-03-02 00:00:00+00", "2024-07-04 12:00:00.12+00"],
      iso_offset: ["2024-03-01 08:11:12+00", "2024-03-02 15:41:12+00", "2024-07-04 09:30:00+00"],
      iso_fraction: ["2024-03-01 10:11:12.123456", "2024-03-02 10:11:12.5", "2024-07-04 12:00:00.000001"],
      // Naive values in a zoned column are UTC unless the timezone option says otherwise.
      mixed_zone: ["2024-03-01 10:11:12+00", "2024-03-02 10:11:12+00", "2024-07-04 11:00:00+00"],
      day_first: ["2023-12-25 08:30:00", "2024-01-13 23:59:00", "2024-07-04 12:00:00"],
      ambiguous: ["2024-02-01 10:00:00", "2024-01-02 11:00:00", "2024-04-03 12:00:00"],
      month_first: ["2023-12-25 08:30:00", "2024-01-13 23:59:00", "2024-07-04 12:00:00"],
      day_only: ["2024-03-01", "2024-02-29", "1900-01-01"],
      epoch_s: ["1969-12-31 00:00:00+00", "2023-11-14 22:13:20+00", "2023-11-14 22:13:20.5+00"],
      epoch_ms: ["2023-11-14 22:13:20.123+00", "1938-04-24 22:13:20+00", "2000-02-29 00:00:00+00"],
    });
  });

  it("notes the column whose slash dates are all ambiguous, and reports the formats found", async () => {
    expect(report.notes).toContainEqual({
      level: "warning",
      message: '"stamps"."ambiguous": every sampled slash date has day and month <= 12; day first (DD/MM/YYYY) assumed',
    });
    expect(report.notes.filter((n) => /day_first|month_first/.test(n.message))).toEqual([]);
    const formats = report.tables[0].formats;
    expect(formats.iso_offset).toEqual({ "YYYY-MM-DDTHH:MM:SS+HH:MM": 2, "YYYY-MM-DDTHH:MM:SS+HHMM": 1 });
    expect(formats.month_first).toEqual({ "MM/DD/YYYY HH:MM": 3 });
    expect(formats.epoch_ms).toEqual({ "epoch milliseconds": 3 });
    expect(await rejectsOf(database.url, schema)).toEqual([]);
  });
});

describe("booleans, numerics, reals, blobs and big integers", () => {
  const REALS: number[] = (() => {
    const random = new SeededRandom(3);
    const buffer = Buffer.alloc(8);
    const values = [
      0.1,
      1 / 3,
      -0,
      5e-324,
      2.2250738585072014e-308,
      Number.MAX_VALUE,
      -1e-300,
      123456789.125,
      2247343195034736128,
      Infinity,
      -Infinity,
    ];
    while (values.length < 300) {
      buffer.writeUInt32BE(random.uint32(), 0);
      buffer.writeUInt32BE(random.uint32(), 4);
      const v = buffer.readDoubleBE(0);
      if (!Number.isNaN(v)) values.push(v);
    }
    return values;
  })();
  const BLOBS: Buffer[] = (() => {
    const random = new SeededRandom(4);
    const blobs = [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0xff, 0x00, 0xc3, 0x28]), Buffer.from("not utf-8 \xe9", "latin1")];
    for (let i = 0; i < 20; i++)
      blobs.push(Buffer.from(Array.from({ length: random.int(1, i === 0 ? 200_000 : 3000) }, () => random.int(0, 255))));
    return blobs;
  })();
  const BIG = [2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 12345678901234567n];
  let file: string;
  let schema: string;
  let report: MigrationReport;

  beforeAll(async () => {
    file = sqliteFile(
      tmp.dir,
      "scalars",
      `
      CREATE TABLE flags (id INTEGER PRIMARY KEY, b10 BOOLEAN, b_words TEXT, b_yes_no TEXT);
      INSERT INTO flags VALUES (1, 1, 'true', 'Yes'), (2, 0, 'false', 'No'), (3, NULL, 'TRUE', 'yes'), (4, 1, 'False', 'NO');
      CREATE TABLE money (id INTEGER PRIMARY KEY, price NUMERIC(6,2), rate DECIMAL(12,4), plain NUMERIC);
      INSERT INTO money VALUES (1, 1.005, 1234567.12345, 9223372036854775807), (2, 2.345, 0.00005, 0.1), (3, -2.345, -0.00005, 1e20),
        (4, 12, -0.0000001, -12.5), (5, 9999.995, 7, NULL), (6, 0.125, 0.00015, 3);
      CREATE TABLE money_fits (id INTEGER PRIMARY KEY, price NUMERIC(6,2));
      INSERT INTO money_fits VALUES (1, 1.5), (2, 12), (3, -0.25), (4, 9999.99), (5, '0.10');
      CREATE TABLE reals (id INTEGER PRIMARY KEY, r REAL);
      CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB);
      CREATE TABLE bigs (id INTEGER PRIMARY KEY, n INTEGER, d NUMERIC(20,0), t TEXT);`,
      (db) => {
        const real = db.prepare("INSERT INTO reals VALUES (?, ?)");
        REALS.forEach((v, i) => real.run(i + 1, v));
        const blob = db.prepare("INSERT INTO blobs VALUES (?, ?)");
        BLOBS.forEach((b, i) => blob.run(i + 1, b));
        const big = db.prepare("INSERT INTO bigs VALUES (?, ?, ?, ?)");
        BIG.forEach((n, i) => big.run(i + 1, n, n, String(n)));
      },
    );
    report = await load(file, "ty_scalars");
    schema = report.schema!;
  });

  it("reads booleans from 1/0, true/false and Yes/No in any case", async () => {
    expect(await columnTypes(database.url, schema, "flags")).toEqual({
      id: "bigint",
      b10: "boolean",
      b_words: "boolean",
      b_yes_no: "boolean",
    });
    expect(await columnsAsText(schema, "flags")).toMatchObject({
      b10: ["true", "false", null, "true"],
      b_words: ["true", "false", "true", "false"],
      b_yes_no: ["true", "false", "true", "false"],
    });
  });

  it("takes no Object property name (constructor, toString) for a boolean word", async () => {
    const words = sqliteFile(
      tmp.dir,
      "proto-words",
      `
      CREATE TABLE flags (id INTEGER PRIMARY KEY, b BOOLEAN);
      INSERT INTO flags VALUES (1, 'yes'), (2, 'constructor'), (3, 'no'), (4, 'toString'), (5, 'Yes'), (6, 'NO'), (7, 'yes'), (8, 'no');`,
    );
    const loaded = (await load(words, "ty_proto")).schema!;
    expect(await columnTypes(database.url, loaded, "flags")).toEqual({ id: "bigint", b: "boolean" });
    expect(await columnsAsText(loaded, "flags")).toEqual({
      id: ["1", "3", "5", "6", "7", "8"],
      b: ["true", "false", "true", "false", "true", "false"],
    });
    expect((await rejectsOf(database.url, loaded)).map((r) => [r.row_key, r.raw_value, r.reason])).toEqual([
      ["2", "constructor", "not a boolean"],
      ["4", "toString", "not a boolean"],
    ]);
  });

  it("keeps NUMERIC(p,s) while every value fits, and widens to numeric, exactly, when one would round or overflow", async () => {
    expect(await columnTypes(database.url, schema, "money_fits")).toEqual({ id: "bigint", price: "numeric(6,2)" });
    expect((await columnsAsText(schema, "money_fits")).price).toEqual(["1.50", "12.00", "-0.25", "9999.99", "0.10"]);
    expect(await columnTypes(database.url, schema, "money")).toEqual({ id: "bigint", price: "numeric", rate: "numeric", plain: "numeric" });
    expect(await columnsAsText(schema, "money")).toEqual({
      id: ["1", "2", "3", "4", "5", "6"],
      price: ["1.005", "2.345", "-2.345", "12", "9999.995", "0.125"],
      rate: ["1234567.12345", "0.00005", "-0.00005", "-0.0000001", "7", "0.00015"],
      plain: ["9223372036854775807", "0.1", "100000000000000000000", "-12.5", null, "3"],
    });
    // PostgreSQL's numeric(6,2) would have rounded or refused these: nothing was rounded, nothing rejected.
    const server = await queryRows<{ price: string }>(
      database.url,
      `SELECT (p::numeric(6,2) = p::numeric) AS price FROM unnest($1::text[]) AS u(p)`,
      [["1.005", "2.345"]],
    );
    expect(server.map((s) => s.price)).toEqual([false, false]);
    expect((await rejectsOf(database.url, schema)).filter((r) => r.table_name.startsWith("money"))).toEqual([]);
    const widened = report
      .quality!.findings.filter((f) => f.check === "type_widened" && f.table === "money")
      .map((f) => [f.column, f.count, f.severity]);
    expect(widened).toEqual([
      ["price", 5, "warn"],
      ["rate", 5, "warn"],
    ]);
    expect(report.quality!.findings.find((f) => f.check === "type_widened" && f.column === "price")!.message).toBe(
      '"money"."price" widened from numeric(6,2) to numeric for 5 of 6 values (first, row 1: 1.005 has more than 2 decimal places, which numeric(6,2) would round)',
    );
  });

  it("keeps REAL as double precision, bit for bit", async () => {
    expect(await columnTypes(database.url, schema, "reals")).toEqual({ id: "bigint", r: "double precision" });
    const db = new Database(file, { readonly: true });
    const stored = db.prepare("SELECT r FROM reals ORDER BY id").pluck().all() as number[];
    db.close();
    const bits = (v: number) => {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(v);
      return b.toString("hex");
    };
    const loaded = await queryRows<{ bits: string }>(
      database.url,
      `SELECT encode(float8send(r), 'hex') AS bits FROM ${quoteIdent(schema)}.reals ORDER BY id`,
    );
    expect(loaded.map((r) => r.bits)).toEqual(stored.map(bits));
    expect(stored).toHaveLength(REALS.length);
  });

  it("copies blobs to bytea byte for byte", async () => {
    expect(await columnTypes(database.url, schema, "blobs")).toEqual({ id: "bigint", data: "bytea" });
    const loaded = await queryRows<{ n: number; md5: string }>(
      database.url,
      `SELECT length(data) AS n, md5(data) AS md5 FROM ${quoteIdent(schema)}.blobs ORDER BY id`,
    );
    expect(loaded).toEqual(BLOBS.map((b) => ({ n: b.length, md5: createHash("md5").update(b).digest("hex") })));
    const [small] = await queryRows<{ hex: string }>(
      database.url,
      `SELECT encode(data, 'hex') AS hex FROM ${quoteIdent(schema)}.blobs WHERE id = 3`,
    );
    expect(small.hex).toBe("ff00c328");
  });

  it("keeps integers beyond 2^53 exact in bigint, numeric and text columns", async () => {
    expect(await columnTypes(database.url, schema, "bigs")).toEqual({ id: "bigint", n: "bigint", d: "numeric(20,0)", t: "text" });
    const expected = BIG.map(String);
    expect(await columnsAsText(schema, "bigs")).toEqual({ id: ["1", "2", "3", "4", "5"], n: expected, d: expected, t: expected });
  });
});

describe("defaults", () => {
  it("maps CURRENT_TIMESTAMP to now() and literals through the column's type; drops the untranslatable with a note", async () => {
    const file = sqliteFile(
      tmp.dir,
      "defaults",
      `
      CREATE TABLE d (id INTEGER PRIMARY KEY,
        created_tz TEXT DEFAULT CURRENT_TIMESTAMP, created DATETIME DEFAULT CURRENT_TIMESTAMP, day DATE DEFAULT CURRENT_DATE,
        status TEXT NOT NULL DEFAULT 'open', escalated BOOLEAN NOT NULL DEFAULT 0, weight REAL DEFAULT 1.5,
        slug TEXT DEFAULT (lower('X')), counter INTEGER DEFAULT (abs(-1)));
      INSERT INTO d (id, created_tz, created, day) VALUES (1, '2024-01-01T00:00:00Z', '2024-01-01 00:00:00', '2024-01-01');`,
    );
    const report = await load(file, "ty_defaults");
    const defaults = await queryRows<{ column_name: string; column_default: string | null }>(
      database.url,
      `SELECT column_name, column_default FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'd' ORDER BY ordinal_position`,
      [report.schema],
    );
    expect(Object.fromEntries(defaults.map((d) => [d.column_name, d.column_default]))).toEqual({
      id: null,
      created_tz: "now()",
      created: "(now() AT TIME ZONE 'UTC'::text)",
      day: "((now() AT TIME ZONE 'UTC'::text))::date",
      status: "'open'::text",
      escalated: "false",
      weight: "'1.5'::double precision",
      slug: null,
      counter: null,
    });
    expect(report.notes).toEqual([
      { level: "warning", message: `"d"."slug": DEFAULT lower('X') is an expression that is not translated; dropped` },
      { level: "warning", message: `"d"."counter": DEFAULT abs(-1) is an expression that is not translated; dropped` },
    ]);
    // SQLite's CURRENT_TIMESTAMP is UTC: so is a row inserted from a session in another zone.
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query("BEGIN");
      await client.query("SET LOCAL TimeZone = 'America/New_York'");
      await client.query(`INSERT INTO ${quoteIdent(report.schema!)}.d (id) VALUES (2)`);
      const { rows } = await client.query(`SELECT created_tz = now() AS tz, created = (now() AT TIME ZONE 'UTC') AS naive,
        day = (now() AT TIME ZONE 'UTC')::date AS day, status, escalated FROM ${quoteIdent(report.schema!)}.d WHERE id = 2`);
      expect(rows[0]).toEqual({ tz: true, naive: true, day: true, status: "open", escalated: false });
      await client.query("ROLLBACK");
    } finally {
      await client.end();
    }
  });
});

describe("per-column type overrides", () => {
  const SQL = `CREATE TABLE o (id INTEGER PRIMARY KEY, code TEXT, happened TEXT, amount TEXT, n INTEGER, short TEXT);
    INSERT INTO o VALUES (1, '0042', '2024-03-01 10:00:00', '12.34', 1, 'abc'), (2, '17', '2024-03-02 11:30:00', '7', 2, 'abcdefgh'),
      (3, '18', '2024-03-03 12:00:00', '12.345', 3, 'ab');`;

  it("loads each column as the type asked for", async () => {
    const file = sqliteFile(tmp.dir, "overrides", SQL);
    const typeOverrides = { o: { code: "bigint", happened: "timestamptz", amount: "numeric(8,2)", n: "text", short: "varchar(5)" } };
    // An override is the user's type: a value it cannot hold is a bad value, never rounded, never widened.
    const plan = await inspectSource(file, { typeOverrides });
    expect(plan.plan.tables[0].columns.map((c) => c.reason)).toEqual([
      "declared INTEGER; SQLite integers are 64-bit: bigint",
      "override: bigint",
      "override: timestamptz",
      "override: numeric(8,2)",
      "override: text",
      "override: varchar(5)",
    ]);
    // Two of the table's three rows are rejected on purpose: served anyway, to read what was kept.
    const report = await load(file, "ty_overrides", { typeOverrides, allowTableLoss: true });
    expect(await columnTypes(database.url, report.schema!, "o")).toEqual({
      id: "bigint",
      code: "bigint",
      happened: "timestamp with time zone",
      amount: "numeric(8,2)",
      n: "text",
      short: "character varying(5)",
    });
    expect(await textRows(database.url, report.schema!, "o")).toEqual([
      { id: "1", code: "42", happened: "2024-03-01 10:00:00+00", amount: "12.34", n: "1", short: "abc" },
    ]);
    expect(await rejectsOf(database.url, report.schema!)).toEqual([
      {
        table_name: "o",
        row_key: "2",
        column_name: "short",
        raw_value: "abcdefgh",
        reason: "is longer than 5 characters (the type is the override's)",
        action: "rejected",
      },
      {
        table_name: "o",
        row_key: "3",
        column_name: "amount",
        raw_value: "12.345",
        reason: "has more than 2 decimal places, which numeric(8,2) would round (the type is the override's)",
        action: "rejected",
      },
    ]);
  });

  it("refuses an unknown type or column, naming the field", async () => {
    const file = sqliteFile(tmp.dir, "bad_overrides", SQL);
    await expect(inspectSource(file, { typeOverrides: { o: { code: "money" } } })).rejects.toThrow(OptionError);
    await expect(inspectSource(file, { typeOverrides: { o: { code: "money" } } })).rejects.toThrow(
      /^typeOverrides\.o\.code: unknown type "money"/,
    );
    await expect(inspectSource(file, { typeOverrides: { o: { nope: "text" } } })).rejects.toThrow(
      'typeOverrides.o: no column "nope" in table "o"',
    );
  });
});

describe("the timezone option", () => {
  it("loads naive timestamps as timestamptz in that zone, daylight saving included; zoned values and dates keep theirs", async () => {
    const naive = ["2024-07-01 12:00:00", "2024-01-15 12:00:00", "2024-03-31 02:30:00", "2024-10-27 02:30:00", "2024-03-10 02:30:00"];
    const file = sqliteFile(
      tmp.dir,
      "zone",
      `CREATE TABLE z (id INTEGER PRIMARY KEY, naive TEXT, zoned TEXT, day TEXT);
      INSERT INTO z VALUES ${naive.map((t, i) => `(${i + 1}, '${t}', '${t.replace(" ", "T")}Z', '${t.slice(0, 10)}')`).join(", ")};`,
    );
    for (const zone of ["Europe/Paris", "America/New_York"]) {
      const report = await load(file, `ty_zone_${zone.split("/")[1].toLowerCase()}`, { timezone: zone });
      expect(await columnTypes(database.url, report.schema!, "z")).toEqual({
        id: "bigint",
        naive: "timestamp with time zone",
        zoned: "timestamp with time zone",
        day: "date",
      });
      const server = await queryRows<{ naive: string; zoned: string }>(
        database.url,
        `SELECT (v::timestamp AT TIME ZONE $2)::text AS naive, (v::timestamp AT TIME ZONE 'UTC')::text AS zoned FROM unnest($1::text[]) WITH ORDINALITY u(v, i) ORDER BY i`,
        [naive, zone],
      );
      const loaded = await columnsAsText(report.schema!, "z");
      expect({ zone, naive: loaded.naive, zoned: loaded.zoned, day: loaded.day }).toEqual({
        zone,
        naive: server.map((s) => s.naive),
        zoned: server.map((s) => s.zoned),
        day: naive.map((t) => t.slice(0, 10)),
      });
    }
    // Converted on the server to the zone, the naive values read back as written.
    const paris = await queryRows<{ local: string }>(
      database.url,
      `SELECT to_char(naive AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD HH24:MI:SS') AS local FROM ty_zone_paris.z WHERE id <= 2 ORDER BY id`,
    );
    expect(paris.map((p) => p.local)).toEqual(naive.slice(0, 2));
    await expect(inspectSource(file, { timezone: "Mars/Olympus" })).rejects.toThrow(
      'timezone: "Mars/Olympus" is not an IANA time zone name',
    );
  });
});
