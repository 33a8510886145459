/**
 * Every bad-data class, in small hand-built SQLite exports, under each
 * bad-value policy:
 *
 *   reject  the row is not loaded and sits in <schema>._rejects ('rejected')
 *   null    the value is NULL in PostgreSQL and recorded ('nulled'); a NOT
 *           NULL or key column falls back to rejecting the row
 *   fail    the load fails naming table, column and row key, and leaves no
 *           schema behind
 *
 * For every load: rows in PostgreSQL plus rejected rows equal rows in SQLite.
 */
import { BadValueError, BadValuePolicy, migrate, MigrationReport, PlanOptions } from "../../engine";
import { queryRows, useTestDatabase } from "../support/database";
import {
  columnTypes,
  pgCount,
  quoteIdent,
  RejectRow,
  rejectsOf,
  schemasOf,
  sqliteCount,
  sqliteFile,
  textRows,
  useTempDir,
} from "./engine-fixtures";

const database = useTestDatabase("bad_data");
const tmp = useTempDir("bad-data");

type Expected = Pick<RejectRow, "table_name" | "row_key" | "column_name" | "raw_value" | "reason" | "action">;

interface BadDataCase {
  /** Also the schema prefix stem: lowercase, digits, underscores. */
  readonly name: string;
  readonly sql: string;
  readonly options?: PlanOptions;
  /** Table -> column -> expected format_type. */
  readonly types: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Per policy: the keys (first column, as text) left in each table and the exact rejects. */
  readonly outcomes: Readonly<Record<"reject" | "null", { keys: Record<string, string[]>; rejects: Expected[] }>>;
  /** The first bad value in load order, as the fail policy names it. */
  readonly failure: { table: string; column: string; key: string; message: string };
  /** Extra facts per policy (the NULLs left in place, constraints). */
  readonly check?: (schema: string, policy: "reject" | "null") => Promise<void>;
}

const rejected = (table: string, key: string, column: string, raw: string | null, reason: string): Expected => ({
  table_name: table,
  row_key: key,
  column_name: column,
  raw_value: raw,
  reason,
  action: "rejected",
});
const nulled = (table: string, key: string, column: string, raw: string, reason: string): Expected => ({
  table_name: table,
  row_key: key,
  column_name: column,
  raw_value: raw,
  reason,
  action: "nulled",
});

const NOT_AN_INTEGER = "not an integer";
const NOT_A_TIMESTAMP = "not a valid date or timestamp in any recognised format";
const ORPHAN = 'orphaned reference: no row of "p" has this key';
const DUPLICATE = "duplicate primary key (k) once converted; the first row keeps it";
const NULL_KEY = "NULL in the primary key";

/** 30 valid timestamps with two bad ones: 28/30 parse, above the 90% that makes a TEXT column a timestamp. */
function timestampRows(): string {
  const rows: string[] = [];
  for (let id = 1; id <= 30; id++) {
    const stamp = `'2024-01-${String(((id - 1) % 28) + 1).padStart(2, "0")} 08:${String(id).padStart(2, "0")}:00'`;
    const opt = id === 2 ? "'not a date'" : id === 6 ? "'2024-02-30 10:00:00'" : stamp;
    const req = id === 4 ? "'2024-13-45 99:99:99'" : stamp;
    rows.push(`(${id}, ${opt}, ${req})`);
  }
  return rows.join(", ");
}

const CASES: readonly BadDataCase[] = [
  {
    name: "type_mismatch",
    sql: `CREATE TABLE t (id INTEGER PRIMARY KEY, opt INTEGER, req INTEGER NOT NULL, label TEXT);
      INSERT INTO t VALUES (1, 10, 100, 'a'), (2, 'N/A', 200, 'b'), (3, 30, 300, 'c'), (4, 40, 'N/A', 'd'), (5, NULL, 500, 'e');`,
    types: { t: { id: "bigint", opt: "bigint", req: "bigint", label: "text" } },
    outcomes: {
      reject: {
        keys: { t: ["1", "3", "5"] },
        rejects: [rejected("t", "2", "opt", "N/A", NOT_AN_INTEGER), rejected("t", "4", "req", "N/A", NOT_AN_INTEGER)],
      },
      null: {
        keys: { t: ["1", "2", "3", "5"] },
        rejects: [nulled("t", "2", "opt", "N/A", NOT_AN_INTEGER), rejected("t", "4", "req", "N/A", NOT_AN_INTEGER)],
      },
    },
    failure: { table: "t", column: "opt", key: "2", message: 'table "t", column "opt", row 2: not an integer (value N/A)' },
    check: async (schema, policy) => {
      const rows = await textRows(database.url, schema, "t");
      if (policy === "null") expect(rows.find((r) => r.id === "2")).toEqual({ id: "2", opt: null, req: "200", label: "b" });
      expect(rows.find((r) => r.id === "3")).toEqual({ id: "3", opt: "30", req: "300", label: "c" });
    },
  },
  {
    name: "invalid_utf8",
    // Row 3 holds a genuine U+FFFD: valid UTF-8, which must not be taken for a broken sequence.
    sql: `CREATE TABLE t (id INTEGER PRIMARY KEY, opt TEXT, req TEXT NOT NULL);
      INSERT INTO t VALUES (1, 'plain', 'a'), (2, CAST(x'C328' AS TEXT), 'b'), (3, 'replacement ' || char(65533), 'c'),
        (4, 'fine', CAST(x'20636166E920' AS TEXT)), (5, NULL, 'e');`,
    types: { t: { id: "bigint", opt: "text", req: "text" } },
    outcomes: {
      reject: {
        keys: { t: ["1", "3", "5"] },
        rejects: [rejected("t", "2", "opt", "x'c328'", "invalid UTF-8"), rejected("t", "4", "req", "x'20636166e920'", "invalid UTF-8")],
      },
      null: {
        keys: { t: ["1", "2", "3", "5"] },
        rejects: [nulled("t", "2", "opt", "x'c328'", "invalid UTF-8"), rejected("t", "4", "req", "x'20636166e920'", "invalid UTF-8")],
      },
    },
    failure: { table: "t", column: "opt", key: "2", message: `table "t", column "opt", row 2: invalid UTF-8 (value x'c328')` },
    check: async (schema, policy) => {
      const rows = await textRows(database.url, schema, "t");
      expect(rows.find((r) => r.id === "3")?.opt).toBe("replacement \uFFFD");
      if (policy === "null") expect(rows.find((r) => r.id === "2")).toEqual({ id: "2", opt: null, req: "b" });
    },
  },
  {
    name: "nul_byte",
    sql: `CREATE TABLE t (id INTEGER PRIMARY KEY, opt TEXT, req TEXT NOT NULL);
      INSERT INTO t VALUES (1, 'plain', 'a'), (2, CAST(x'610062' AS TEXT), 'b'), (3, 'x', 'c'), (4, 'y', CAST(x'00' AS TEXT)), (5, NULL, 'e');`,
    types: { t: { id: "bigint", opt: "text", req: "text" } },
    outcomes: {
      reject: {
        keys: { t: ["1", "3", "5"] },
        rejects: [rejected("t", "2", "opt", "a\\x00b", "NUL byte in text"), rejected("t", "4", "req", "\\x00", "NUL byte in text")],
      },
      null: {
        keys: { t: ["1", "2", "3", "5"] },
        rejects: [nulled("t", "2", "opt", "a\\x00b", "NUL byte in text"), rejected("t", "4", "req", "\\x00", "NUL byte in text")],
      },
    },
    failure: { table: "t", column: "opt", key: "2", message: 'table "t", column "opt", row 2: NUL byte in text (value a\\x00b)' },
    check: async (schema, policy) => {
      if (policy === "null")
        expect((await textRows(database.url, schema, "t")).find((r) => r.id === "2")).toEqual({ id: "2", opt: null, req: "b" });
    },
  },
  {
    name: "bad_timestamp",
    sql: `CREATE TABLE t (id INTEGER PRIMARY KEY, opt TEXT, req TEXT NOT NULL); INSERT INTO t VALUES ${timestampRows()};`,
    types: { t: { id: "bigint", opt: "timestamp without time zone", req: "timestamp without time zone" } },
    outcomes: {
      reject: {
        keys: { t: Array.from({ length: 30 }, (_, i) => String(i + 1)).filter((k) => !["2", "4", "6"].includes(k)) },
        rejects: [
          rejected("t", "2", "opt", "not a date", NOT_A_TIMESTAMP),
          rejected("t", "4", "req", "2024-13-45 99:99:99", NOT_A_TIMESTAMP),
          rejected("t", "6", "opt", "2024-02-30 10:00:00", NOT_A_TIMESTAMP),
        ],
      },
      null: {
        keys: { t: Array.from({ length: 30 }, (_, i) => String(i + 1)).filter((k) => k !== "4") },
        rejects: [
          nulled("t", "2", "opt", "not a date", NOT_A_TIMESTAMP),
          rejected("t", "4", "req", "2024-13-45 99:99:99", NOT_A_TIMESTAMP),
          nulled("t", "6", "opt", "2024-02-30 10:00:00", NOT_A_TIMESTAMP),
        ],
      },
    },
    failure: { table: "t", column: "opt", key: "2", message: `table "t", column "opt", row 2: ${NOT_A_TIMESTAMP} (value not a date)` },
    check: async (schema, policy) => {
      const rows = await textRows(database.url, schema, "t");
      expect(rows.find((r) => r.id === "7")).toEqual({ id: "7", opt: "2024-01-07 08:07:00", req: "2024-01-07 08:07:00" });
      if (policy === "null") expect(rows.find((r) => r.id === "6")).toEqual({ id: "6", opt: null, req: "2024-01-06 08:06:00" });
    },
  },
  {
    name: "orphan",
    // c 2 and c 4 point at missing parents; gc 2 points at c 4 (rejected under
    // both policies), gc 3 at c 2 (rejected under reject, kept under null).
    sql: `CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
      CREATE TABLE c (id INTEGER PRIMARY KEY, p_opt INTEGER REFERENCES p(id), p_req INTEGER NOT NULL REFERENCES p(id), note TEXT);
      CREATE TABLE gc (id INTEGER PRIMARY KEY, c_id INTEGER REFERENCES c(id));
      INSERT INTO p VALUES (1, 'one'), (2, 'two');
      INSERT INTO c VALUES (1, 1, 1, 'ok'), (2, 99, 1, 'orphan in p_opt'), (3, 2, 2, 'ok'), (4, 1, 98, 'orphan in p_req'), (5, NULL, 2, 'ok');
      INSERT INTO gc VALUES (1, 1), (2, 4), (3, 2);`,
    types: { c: { id: "bigint", p_opt: "bigint", p_req: "bigint", note: "text" }, gc: { id: "bigint", c_id: "bigint" } },
    outcomes: {
      reject: {
        keys: { p: ["1", "2"], c: ["1", "3", "5"], gc: ["1"] },
        rejects: [
          rejected("c", "2", "p_opt", "99", ORPHAN),
          rejected("c", "4", "p_req", "98", ORPHAN),
          rejected("gc", "2", "c_id", "4", 'references a rejected row of "c"'),
          rejected("gc", "3", "c_id", "2", 'references a rejected row of "c"'),
        ],
      },
      null: {
        keys: { p: ["1", "2"], c: ["1", "2", "3", "5"], gc: ["1", "3"] },
        rejects: [
          nulled("c", "2", "p_opt", "99", ORPHAN),
          rejected("c", "4", "p_req", "98", ORPHAN),
          // A row pointing at a rejected parent row follows it out even when its reference could be NULL.
          rejected("gc", "2", "c_id", "4", 'references a rejected row of "c"'),
        ],
      },
    },
    failure: { table: "c", column: "p_opt", key: "2", message: `table "c", column "p_opt", row 2: ${ORPHAN} (value 99)` },
    check: async (schema, policy) => {
      const fks = await queryRows<{ conname: string }>(
        database.url,
        `SELECT conname FROM pg_constraint WHERE contype = 'f' AND connamespace = $1::regnamespace ORDER BY conname`,
        [schema],
      );
      expect(fks.map((f) => f.conname)).toEqual(["c_p_opt_fkey", "c_p_req_fkey", "gc_c_id_fkey"]);
      if (policy === "null")
        expect((await textRows(database.url, schema, "c")).find((r) => r.id === "2")).toEqual({
          id: "2",
          p_opt: null,
          p_req: "1",
          note: "orphan in p_opt",
        });
    },
  },
  {
    name: "duplicate_key",
    // No declared type: 1 and '1' are distinct in SQLite (no affinity), the same key once converted.
    sql: `CREATE TABLE t (k PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'integer one'), ('1', 'text one'), (2, 'two');`,
    types: { t: { k: "text", v: "text" } },
    outcomes: {
      reject: { keys: { t: ["1", "2"] }, rejects: [rejected("t", "2", "k", "1", DUPLICATE)] },
      null: { keys: { t: ["1", "2"] }, rejects: [rejected("t", "2", "k", "1", DUPLICATE)] },
    },
    failure: { table: "t", column: "k", key: "2", message: `table "t", column "k", row 2: ${DUPLICATE} (value 1)` },
    check: async (schema) => {
      expect(await textRows(database.url, schema, "t")).toEqual([
        { k: "1", v: "integer one" },
        { k: "2", v: "two" },
      ]);
      const pk = await queryRows(database.url, `SELECT 1 FROM pg_constraint WHERE contype = 'p' AND conrelid = to_regclass($1)`, [
        `${quoteIdent(schema)}.t`,
      ]);
      expect(pk).toHaveLength(1);
    },
  },
  {
    name: "duplicate_bigint_key",
    sql: `CREATE TABLE t (k PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'integer one'), ('1', 'text one'), (2, 'two');`,
    options: { typeOverrides: { t: { k: "bigint" } } },
    types: { t: { k: "bigint", v: "text" } },
    outcomes: {
      reject: { keys: { t: ["1", "2"] }, rejects: [rejected("t", "2", "k", "1", DUPLICATE)] },
      null: { keys: { t: ["1", "2"] }, rejects: [rejected("t", "2", "k", "1", DUPLICATE)] },
    },
    failure: { table: "t", column: "k", key: "2", message: `table "t", column "k", row 2: ${DUPLICATE} (value 1)` },
    check: async (schema) => {
      expect(await textRows(database.url, schema, "t")).toEqual([
        { k: "1", v: "integer one" },
        { k: "2", v: "two" },
      ]);
    },
  },
  {
    name: "null_text_key",
    // A TEXT PRIMARY KEY of a rowid table accepts NULLs in SQLite (a historical quirk).
    sql: `CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT); INSERT INTO t VALUES ('a', 'x'), (NULL, 'first null'), (NULL, 'second null'), ('b', 'y');`,
    types: { t: { k: "text", v: "text" } },
    outcomes: {
      reject: { keys: { t: ["a", "b"] }, rejects: [rejected("t", "2", "k", "NULL", NULL_KEY), rejected("t", "3", "k", "NULL", NULL_KEY)] },
      null: { keys: { t: ["a", "b"] }, rejects: [rejected("t", "2", "k", "NULL", NULL_KEY), rejected("t", "3", "k", "NULL", NULL_KEY)] },
    },
    failure: { table: "t", column: "k", key: "2", message: `table "t", column "k", row 2: ${NULL_KEY} (value NULL)` },
  },
];

/**
 * Each export is built to reject rows of a table a few rows long, often most
 * of them: the version is served anyway (allowTableLoss), so every row can
 * be accounted for. The circuit breaker has its own tests (date-families).
 */
async function load(file: string, prefix: string, policy: BadValuePolicy, options: PlanOptions = {}): Promise<MigrationReport> {
  return migrate({
    ...options,
    sourcePath: file,
    databaseUrl: database.url,
    mode: "simple",
    schemaPrefix: prefix,
    badValuePolicy: policy,
    allowTableLoss: true,
  });
}

/** Rows in PostgreSQL plus rejected rows equal rows in SQLite, table by table; the report agrees with _rejects. */
async function expectEveryRowAccountedFor(file: string, report: MigrationReport, rejects: readonly RejectRow[]): Promise<void> {
  for (const table of report.tables) {
    const rejectedKeys = new Set(rejects.filter((r) => r.table_name === table.source && r.action === "rejected").map((r) => r.row_key));
    const nulledValues = rejects.filter((r) => r.table_name === table.source && r.action === "nulled").length;
    const loaded = await pgCount(database.url, report.schema!, table.table);
    expect({ table: table.table, total: loaded + rejectedKeys.size }).toEqual({
      table: table.table,
      total: sqliteCount(file, table.source),
    });
    expect({ table: table.table, loaded: table.rowsLoaded, rejected: table.rejected, nulled: table.nulled }).toEqual({
      table: table.table,
      loaded,
      rejected: rejectedKeys.size,
      nulled: nulledValues,
    });
  }
}

describe.each(CASES)("$name", (badCase) => {
  let file: string;
  beforeAll(() => {
    file = sqliteFile(tmp.dir, badCase.name, badCase.sql);
  });

  it.each(["reject", "null"] as const)("policy %s: exact rows and rejects, nothing lost", async (policy) => {
    const prefix = `bd_${badCase.name}_${policy}`;
    const report = await load(file, prefix, policy, badCase.options);
    expect(report.outcome).toBe("loaded");
    const schema = report.schema!;
    for (const [table, types] of Object.entries(badCase.types)) {
      expect(await columnTypes(database.url, schema, table)).toMatchObject(types);
    }
    const rejects = await rejectsOf(database.url, schema);
    expect(rejects).toEqual(badCase.outcomes[policy].rejects);
    for (const [table, keys] of Object.entries(badCase.outcomes[policy].keys)) {
      const first = Object.keys(await columnTypes(database.url, schema, table))[0];
      const rows = await queryRows<{ k: string }>(
        database.url,
        `SELECT ${quoteIdent(first)}::text AS k FROM ${quoteIdent(schema)}.${quoteIdent(table)}`,
      );
      expect(rows.map((r) => r.k).sort()).toEqual([...keys].sort());
    }
    await expectEveryRowAccountedFor(file, report, rejects);
    // The stable view exposes the same rows as the version.
    for (const table of Object.keys(badCase.outcomes[policy].keys)) {
      expect(await pgCount(database.url, prefix, table)).toBe(await pgCount(database.url, schema, table));
    }
    await badCase.check?.(schema, policy);
  });

  // A hung COPY would otherwise show only as the global test timeout.
  it("policy fail: names table, column and row key, and leaves no schema behind", async () => {
    const prefix = `bd_${badCase.name}_fail`;
    const error = await load(file, prefix, "fail", badCase.options).then(
      () => {
        throw new Error("the load should have failed");
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BadValueError);
    const bad = error as BadValueError;
    expect({ code: bad.code, table: bad.table, column: bad.column, key: bad.key, message: bad.message }).toEqual({
      code: "BAD_VALUE",
      ...badCase.failure,
    });
    expect(await schemasOf(database.url, prefix)).toEqual([]);
    expect(await advisoryLocks()).toEqual([]);
  }, 30_000);
});

async function advisoryLocks(): Promise<unknown[]> {
  return queryRows(
    database.url,
    `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
}

describe("a bad value deep in a table read by two workers", () => {
  const ROWS = 60_000;
  const BAD_ROW = 59_990;
  let file: string;
  beforeAll(() => {
    file = sqliteFile(tmp.dir, "large", "CREATE TABLE big (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, note TEXT)", (db) => {
      const insert = db.prepare("INSERT INTO big VALUES (?, ?, ?)");
      db.transaction(() => {
        for (let id = 1; id <= ROWS; id++) insert.run(id, id === BAD_ROW ? "N/A" : id * 7, `row ${id}`);
      })();
    });
  });

  it("policy fail: the COPY in flight is aborted, nothing is left and the connection is released", async () => {
    const error = await load(file, "bd_large_fail", "fail").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadValueError);
    expect((error as BadValueError).message).toBe(`table "big", column "n", row ${BAD_ROW}: not an integer (value N/A)`);
    expect(await schemasOf(database.url, "bd_large_fail")).toEqual([]);
    expect(await advisoryLocks()).toEqual([]);
  }, 60_000);

  it("policy reject: every other row is loaded", async () => {
    const report = await load(file, "bd_large_reject", "reject");
    expect(await pgCount(database.url, report.schema!, "big")).toBe(ROWS - 1);
    expect(await rejectsOf(database.url, report.schema!)).toEqual([rejected("big", String(BAD_ROW), "n", "N/A", NOT_AN_INTEGER)]);
  }, 60_000);
});

describe("a unique index whose values collide once converted", () => {
  // SQLite keeps 1 and '1' apart in a column without affinity; PostgreSQL's unique index cannot.
  const SQL = `CREATE TABLE t (id INTEGER PRIMARY KEY, code); CREATE UNIQUE INDEX u_code ON t(code);
    INSERT INTO t VALUES (1, 1), (2, '1'), (3, 2);`;

  it.each(["reject", "null", "fail"] as const)(
    "policy %s: fails with LOAD_FAILED naming the index and key, leaving nothing",
    async (policy) => {
      const file = sqliteFile(tmp.dir, `unique_${policy}`, SQL);
      const prefix = `bd_unique_${policy}`;
      const error = await load(file, prefix, policy).catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: "MigrationError",
        code: "LOAD_FAILED",
        message: 'index "u_code" of "t" could not be created: could not create unique index "u_code" (Key (code)=(1) is duplicated.)',
      });
      expect(await schemasOf(database.url, prefix)).toEqual([]);
    },
    30_000,
  );
});
