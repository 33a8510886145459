/**
 * Every bad-data class the engine handles, one small export each, through
 * the CLI with --json: the run succeeds, each bad row sits in the version's
 * _rejects with its reason, and rows in PostgreSQL plus rejected rows equal
 * rows in SQLite, table by table. Then a single value of 100 MB: it is
 * migrated byte for byte (or rejected with a reason), without a crash, a
 * hang, or the CLI's peak memory reaching 768 MiB.
 */
import { createHash, randomBytes } from "node:crypto";
import { queryRows, useTestDatabase } from "../support/database";
import { sqliteCount, writeSqlite } from "../support/sqlite";
import { countRows, failureLine, quoteIdent, reportOf, runCli, scratchDir } from "./support";

interface BadDataClass {
  /** Also the schema prefix suffix. */
  readonly name: string;
  readonly sql: string;
  /** The rows _rejects must hold: table, row key, column, reason (all rejected, none nulled). */
  readonly rejects: readonly [string, string, string, string][];
}

const ORPHAN = 'orphaned reference: no row of "p" has this key';

/** 20 timestamps with one bad: 95 % parse, so the column is still a timestamp. */
const timestamps = Array.from(
  { length: 20 },
  (_, i) => `(${i + 1}, ${i === 6 ? "'2024-02-30 25:00:00'" : `'2024-01-${String(i + 1).padStart(2, "0")} 08:30:00'`})`,
).join(", ");

const CLASSES: readonly BadDataClass[] = [
  {
    name: "integer",
    sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 10), (2, 'N/A'), (3, 30), (4, '3.5x'), (5, NULL);",
    rejects: [
      ["t", "2", "n", "not an integer"],
      ["t", "4", "n", "not an integer"],
    ],
  },
  {
    name: "real",
    sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL); INSERT INTO t VALUES (1, 1.5), (2, 'abc'), (3, 2.25);",
    rejects: [["t", "2", "r", "not a number"]],
  },
  {
    name: "numeric",
    // 123456789012.5 is too wide for numeric(10,2): the column widens to numeric and the row loads.
    sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, amount NUMERIC(10,2)); INSERT INTO t VALUES (1, 12.5), (2, 'ten'), (3, 123456789012.5), (4, 7);",
    rejects: [["t", "2", "amount", "not a number"]],
  },
  {
    name: "boolean",
    sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, b BOOLEAN); INSERT INTO t VALUES (1, 1), (2, 'maybe'), (3, 0), (4, 2), (5, 'true');",
    rejects: [
      ["t", "2", "b", "not a boolean"],
      ["t", "4", "b", "a number other than 0 or 1 in a boolean column"],
    ],
  },
  {
    name: "timestamp",
    sql: `CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT); INSERT INTO t VALUES ${timestamps};`,
    rejects: [["t", "7", "at", "not a valid date or timestamp in any recognised format"]],
  },
  {
    name: "utf8",
    sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO t VALUES (1, 'fine'), (2, CAST(x'636166E920' AS TEXT)), (3, 'caf' || char(233));",
    rejects: [["t", "2", "body", "invalid UTF-8"]],
  },
  {
    name: "nul",
    sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO t VALUES (1, 'a'), (2, CAST(x'610062' AS TEXT)), (3, 'c');",
    rejects: [["t", "2", "title", "NUL byte in text"]],
  },
  {
    name: "bytes",
    sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 1), (2, x'00ff'), (3, 3);",
    rejects: [["t", "2", "n", "bytes in an integer column"]],
  },
  {
    name: "orphan",
    sql: `CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
      CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id));
      CREATE TABLE gc (id INTEGER PRIMARY KEY, c_id INTEGER REFERENCES c(id));
      INSERT INTO p VALUES (1, 'one'), (2, 'two');
      INSERT INTO c VALUES (1, 1), (2, 99), (3, 2);
      INSERT INTO gc VALUES (1, 1), (2, 2), (3, 3);`,
    rejects: [
      ["c", "2", "p_id", ORPHAN],
      ["gc", "2", "c_id", 'references a rejected row of "c"'],
    ],
  },
  {
    name: "duplicate_key",
    // No declared type: 1 and '1' are distinct keys in SQLite, one key once converted.
    sql: "CREATE TABLE t (k PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'integer one'), ('1', 'text one'), (2, 'two');",
    rejects: [["t", "2", "k", "duplicate primary key (k) once converted; the first row keeps it"]],
  },
  {
    name: "null_key",
    sql: "CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT); INSERT INTO t VALUES ('a', 'x'), (NULL, 'no key'), ('b', 'y');",
    rejects: [["t", "2", "k", "NULL in the primary key"]],
  },
];

describe("bad values through the CLI: every row accounted for", () => {
  const database = useTestDatabase("bad_values");
  let scratch: ReturnType<typeof scratchDir>;

  beforeAll(() => {
    scratch = scratchDir("bad-values");
  });

  afterAll(() => scratch?.cleanup());

  test.each(CLASSES.map((c) => [c.name, c]))("%s: rows + rejects = source rows, each reject with its reason", async (name, badData) => {
    const file = writeSqlite(scratch.path(`${name}.sqlite`), badData.sql);
    const result = await runCli([
      "migrate",
      "--source",
      file,
      "--database-url",
      database.url,
      "--schema-prefix",
      `sdval_${name}`,
      "--mode",
      "simple",
      "--json",
      "--quiet",
    ]);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
    const report = reportOf(result);
    const rejects = await queryRows<{ table_name: string; row_key: string; column_name: string; reason: string; action: string }>(
      database.url,
      `SELECT table_name, row_key, column_name, reason, action FROM ${quoteIdent(report.schema!)}._rejects ORDER BY table_name, row_key::text COLLATE "C", column_name`,
    );
    expect(rejects.map((r) => [r.table_name, r.row_key, r.column_name, r.reason, r.action])).toEqual(
      badData.rejects.map((r) => [...r, "rejected"]).sort((a, b) => `${a[0]}\0${a[1]}`.localeCompare(`${b[0]}\0${b[1]}`)),
    );
    for (const table of report.tables) {
      const loaded = await countRows(database.url, report.schema!, table.table);
      const rejectedRows = new Set(rejects.filter((r) => r.table_name === table.source).map((r) => r.row_key)).size;
      expect({ table: table.table, loaded, rejected: rejectedRows, total: loaded + rejectedRows }).toEqual({
        table: table.table,
        loaded: table.rowsLoaded,
        rejected: table.rejected,
        total: sqliteCount(file, table.source),
      });
    }
  });

  test.each(["simple", "complete"])(
    "under the fail policy (%s mode), --json prints the report: error BAD_VALUE naming table, column and row",
    async (mode) => {
      const file = writeSqlite(scratch.path(`fail-${mode}.sqlite`), CLASSES[0].sql);
      const result = await runCli([
        "migrate",
        "--source",
        file,
        "--database-url",
        database.url,
        "--schema-prefix",
        `sdval_fail_${mode}`,
        "--mode",
        mode,
        "--on-bad-value",
        "fail",
        "--backup-dir",
        scratch.path("backups"),
        "--json",
        "--quiet",
      ]);
      expect(result.status).toBe(1);
      // Simple mode meets row 2 first; complete mode meets the first bad row of the canary's sample.
      const [rowKey, raw] = mode === "simple" ? ["2", "N/A"] : ["4", "3.5x"];
      const message = `table "t", column "n", row ${rowKey}: not an integer (value ${raw})`;
      expect(failureLine(result)).toBe(`servicedesk-migrate: failed [BAD_VALUE]: ${message}`);
      expect(reportOf(result)).toMatchObject({
        outcome: "failed",
        schema: null,
        source: { path: file, digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
        error: { code: "BAD_VALUE", table: "t", column: "n", rowKey, message },
      });
    },
  );

  test("a value of 100 MB in a text column migrates byte for byte, and the CLI's peak memory stays under 768 MiB (under 8 times the value)", async () => {
    const block = randomBytes(768).toString("base64"); // 1024 ASCII characters
    const huge = block.repeat(100 * 1024);
    const digest = createHash("md5").update(huge).digest("hex");
    const file = writeSqlite(scratch.path("huge.sqlite"), "CREATE TABLE notes (id INTEGER PRIMARY KEY, label TEXT, body TEXT)", (db) => {
      const insert = db.prepare("INSERT INTO notes VALUES (?, ?, ?)");
      insert.run(1, "small", "hello");
      insert.run(2, "huge", huge);
      insert.run(3, "small", "bye");
    });
    const result = await runCli(
      [
        "migrate",
        "--source",
        file,
        "--database-url",
        database.url,
        "--schema-prefix",
        "sdhuge",
        "--backup-dir",
        scratch.path("backups"),
        "--json",
        "--quiet",
      ],
      { timeoutMs: 180_000 },
    );
    expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({ status: 0, signal: null, stderr: "" });
    const report = reportOf(result);
    const [table] = report.tables;
    expect(table.rowsLoaded + table.rejected).toBe(3);
    const stored = await queryRows<{ id: string; length: number; md5: string }>(
      database.url,
      `SELECT id, length(body) AS length, md5(body) AS md5 FROM ${quoteIdent(report.schema!)}.notes ORDER BY id`,
    );
    const rejected = await queryRows<{ row_key: string; reason: string }>(
      database.url,
      `SELECT row_key, reason FROM ${quoteIdent(report.schema!)}._rejects`,
    );
    if (rejected.length > 0) {
      // Refusing it is allowed, but only for that row and with a reason.
      expect(rejected).toEqual([{ row_key: "2", reason: expect.stringMatching(/\w/) }]);
    } else {
      expect(stored.find((r) => r.id === "2")).toEqual({ id: "2", length: huge.length, md5: digest });
    }
    expect(stored.filter((r) => r.id !== "2").map((r) => r.length)).toEqual([5, 3]);
    expect(result.peakRssBytes).toBeLessThan(768 * 1024 ** 2);
    console.log(
      `100 MB value: ${report.outcome} in ${result.seconds.toFixed(1)} s, CLI peak RSS ${(result.peakRssBytes / 1024 ** 2).toFixed(0)} MiB`,
    );
  });
});
