/**
 * Numbers in date columns, read as their writer meant them. The exports
 * are written by SQLite's own date functions from ISO texts kept beside the
 * numbers, so PostgreSQL's reading of the text is the referee of each
 * loaded instant, never a rule of the engine's:
 *   - every reading (Julian days REAL and integral, Unix seconds, reals,
 *     milliseconds, microseconds, nanoseconds, before 1970, text and
 *     numbers mixed) loads exactly, in complete mode (the default);
 *   - past the sample, a number of another unit is read in its own
 *     reading when the column's gives no date, and rejected naming both
 *     when both do, in simple and complete mode;
 *   - a DATETIME of counters stays numbers, with a finding giving the
 *     first value's readings; the date range decides what is a date;
 *   - a stated reading (a type override) wins over every magnitude.
 */
import { MigrationReport } from "../../engine";
import { inspectSource } from "../../engine";
import { queryRows, useTestDatabase } from "../support/database";
import { CORPUS } from "../support/corpus";
import { columnTypes, migrateInto, rejectsOf, sqliteFile, textRows, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("dates");
const tmp = useTempDir("dates");

const load = migrateInto(database, tmp);

/** Rows whose loaded instant is not the one `expected` (SQL over the row) gives. */
async function mismatches(schema: string, table: string, column: string, expected: string): Promise<number> {
  const [row] = await queryRows<{ n: string }>(
    database.url,
    `SELECT count(*) AS n FROM "${schema}"."${table}" WHERE "${column}" IS DISTINCT FROM ${expected}`,
  );
  return Number(row.n);
}

describe("every reading of a number, as its writer wrote it", () => {
  let report: MigrationReport;
  beforeAll(async () => {
    const file = CORPUS.find((db) => db.name === "numbers in date columns")!.build(tmp.dir);
    report = await load(file, "dt_families");
  });

  const written = `(written::timestamp AT TIME ZONE 'UTC')`;
  it.each([
    ["julian", "at", written],
    ["julian", "noon", `((written::date + time '12:00') AT TIME ZONE 'UTC')`],
    ["unix", "s", written],
    ["unix", "s_real", `${written} + (id % 1000) * interval '1 millisecond'`],
    ["unix", "ms", `${written} + (id % 1000) * interval '1 millisecond'`],
    ["unix", "us", `${written} + (id * 7919 % 1000000) * interval '1 microsecond'`],
    ["unix", "ns", `${written} + round((id * 104729 % 1000000000) / 1000.0) * interval '1 microsecond'`],
    ["before_1970", "s", written],
    ["before_1970", "ms", written],
    ["mixed", "at", written],
  ])("%s.%s: every instant is the written one", async (table, column, expected) => {
    expect(report.mode).toBe("complete");
    expect(await mismatches(report.schema!, table, column, expected)).toBe(0);
    expect((await columnTypes(database.url, report.schema!, table))[column]).toBe("timestamp with time zone");
  });

  it("names each column's reading in the plan and keeps counters as numbers, with a finding showing two readings", async () => {
    const formats = Object.fromEntries(report.tables.map((t) => [t.table, t.formats]));
    expect(formats.unix).toMatchObject({
      s: { "epoch seconds": 1000 },
      ms: { "epoch milliseconds": 1000 },
      us: { "epoch microseconds": 1000 },
      ns: { "epoch nanoseconds": 1000 },
    });
    expect(formats.julian).toMatchObject({ at: { "Julian day": 1000 }, noon: { "Julian day": 1000 } });
    expect(await columnTypes(database.url, report.schema!, "counters")).toMatchObject({ retries: "bigint", flag: "bigint" });
    expect(report.quality!.findings.filter((f) => f.check === "not_a_date").map((f) => f.message)).toEqual([
      '"counters"."retries" is declared DATETIME, but none of its 1000 sampled numbers is a date from 1900-2200 in its reading ' +
        "(the first, 1, would be 1970-01-01 00:00:01 UTC as epoch seconds or 1970-01-01 00:00:00.001 UTC as epoch milliseconds); " +
        "it stays bigint: a type override (e.g. timestamptz:unix-s) states a reading, dateRange widens the range",
      '"counters"."flag" is declared TIMESTAMP, but none of its 1000 sampled numbers is a date from 1900-2200 in its reading ' +
        "(the first, 1, would be 1970-01-01 00:00:01 UTC as epoch seconds or 1970-01-01 00:00:00.001 UTC as epoch milliseconds); " +
        "it stays bigint: a type override (e.g. timestamptz:unix-s) states a reading, dateRange widens the range",
    ]);
  });
});

describe("a number of another unit past the sample", () => {
  // 3,000 rows of Unix seconds; the sample reads rowids 1-1000 and a spread after, never a multiple of 3 above 2000.
  const SQL = `
    CREATE TABLE events (id INTEGER PRIMARY KEY, at DATETIME);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
    INSERT INTO events SELECT i, unixepoch('2020-01-01') + i * 3600 FROM n;
    UPDATE events SET at = unixepoch('2024-05-01 10:00:00') * 1000 + 250 WHERE id = 2001;       -- milliseconds
    UPDATE events SET at = unixepoch('2024-05-01 11:00:00') * 1000000 + 123456 WHERE id = 2004; -- microseconds
    UPDATE events SET at = julianday('2013-04-03 00:00:01') WHERE id = 2007;                    -- a Julian day: as seconds, 1970-01-29
    UPDATE events SET at = 0 WHERE id = 2010;                                                   -- SQLite's Julian day 0`;

  it.each(["simple", "complete"] as const)("%s mode: reads each in its own reading, or rejects it naming both", async (mode) => {
    const file = sqliteFile(tmp.dir, `past-${mode}`, SQL);
    const report = await load(file, `dt_past_${mode}`, { mode });
    const rows = await textRows(database.url, report.schema!, "events");
    const at = (id: number) => rows.find((r) => r.id === String(id))?.at;
    expect([at(2001), at(2004), at(1)]).toEqual(["2024-05-01 10:00:00.25+00", "2024-05-01 11:00:00.123456+00", "2020-01-01 01:00:00+00"]);
    expect((await rejectsOf(database.url, report.schema!)).map((r) => [r.row_key, r.reason])).toEqual([
      [
        "2007",
        "2456385.500011574 is 2013-04-03 00:00:01 UTC as Julian day; as the column's epoch seconds it is 1970-01-29 10:19:45.500012 UTC: " +
          "both are dates, so a type override must state the reading",
      ],
      [
        "2010",
        "0 read as Julian day is -4713-11-24 12:00:00 UTC, outside the date range 1900-2200; as the column's epoch seconds it is 1970-01-01 00:00:00 UTC: " +
          "a type override can state a reading",
      ],
    ]);
    expect(report.quality!.findings.find((f) => f.check === "date_reading")).toMatchObject({
      count: 2,
      message:
        '2 of 3000 values of "events"."at" are numbers read by their magnitude as epoch milliseconds (1), epoch microseconds (1), ' +
        "not as the column's epoch seconds; a type override such as timestamptz:unix-s states one reading for all",
    });
  });
});

describe("a stated reading, and the date range", () => {
  it("reads every number as stated, whatever its magnitude, and the plan says so", async () => {
    const file = sqliteFile(
      tmp.dir,
      "stated",
      `CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER); INSERT INTO t VALUES (1, 0), (2, 1000), (3, 1700000000123);`,
    );
    const typeOverrides = { t: { at: "timestamptz:unix-ms" } };
    const inspection = await inspectSource(file, { typeOverrides });
    expect(inspection.plan.tables[0].columns[1]).toMatchObject({
      type: "timestamp with time zone",
      reason: "override: timestamptz:unix-ms",
    });
    const report = await load(file, "dt_stated", { typeOverrides });
    expect((await textRows(database.url, report.schema!, "t")).map((r) => r.at)).toEqual([
      "1970-01-01 00:00:00+00",
      "1970-01-01 00:00:01+00",
      "2023-11-14 22:13:20.123+00",
    ]);
    expect(report.quality!.findings.filter((f) => f.check === "date_reading" || f.check === "not_a_date")).toEqual([]);
  });

  it("refuses a reading it does not know, naming the ones it does", async () => {
    const file = sqliteFile(tmp.dir, "stated-bad", `CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER); INSERT INTO t VALUES (1, 0);`);
    await expect(inspectSource(file, { typeOverrides: { t: { at: "timestamptz:unix-minutes" } } })).rejects.toThrow(
      'typeOverrides.t.at: unknown reading "unix-minutes" of numbers; use one of: julian, unix-s, unix-ms, unix-us, unix-ns',
    );
    await expect(inspectSource(file, { typeOverrides: { t: { at: "bigint:unix-ms" } } })).rejects.toThrow(
      'typeOverrides.t.at: "bigint:unix-ms": only date, timestamp and timestamptz take a reading of numbers',
    );
  });

  it("takes dates of the 1850s as numbers by default, as dates when dateRange holds them", async () => {
    const sql = `CREATE TABLE t (id INTEGER PRIMARY KEY, at DATETIME);
      INSERT INTO t VALUES (1, unixepoch('1850-03-01 12:00:00')), (2, unixepoch('1855-07-04 00:00:00'));`;
    const file = sqliteFile(tmp.dir, "old", sql);
    const byDefault = await load(file, "dt_range_default", { mode: "simple" });
    expect(await columnTypes(database.url, byDefault.schema!, "t")).toMatchObject({ at: "bigint" });
    const widened = await load(file, "dt_range_wide", { mode: "simple", dateRange: "1800-2200" });
    expect(await columnTypes(database.url, widened.schema!, "t")).toMatchObject({ at: "timestamp with time zone" });
    expect((await textRows(database.url, widened.schema!, "t")).map((r) => r.at)).toEqual([
      "1850-03-01 12:00:00+00",
      "1855-07-04 00:00:00+00",
    ]);
    await expect(load(file, "dt_range_bad", { dateRange: "2200-1900" })).rejects.toThrow(
      'dateRange: must be two years "from-to", from before to, within 1-10000 (e.g. "1900-2200"), got "2200-1900"',
    );
  });
});
