/**
 * The meaning check catches what the content checksum cannot: a stored
 * value whose bytes are what the loader sent but whose meaning is not the
 * source's. Each case stores the value a lossy converter would produce (an
 * offset dropped, a time of day dropped, an integer through a double,
 * decimals rounded, -0 lost, a boolean flipped) in a schema built by hand,
 * and the check must name the table, column and row; the exact values pass.
 */
import { DEFAULT_DATE_RANGE } from "../../engine/formats/number-readings";
import { Client } from "pg";
import { ColumnPlan, TablePlan } from "../../engine/plan/model";
import { introspectSource, openSource } from "../../engine/source";
import { qualified, quoteIdent } from "../../engine/sql/identifiers";
import { ConverterSpec } from "../../engine/types/target-types";
import { checkMeaning } from "../../engine/validate/meaning";
import { useTestDatabase } from "../support/database";
import { sqliteFile, useTempDir } from "./engine-fixtures";

let client: Client;
// Declared before useTestDatabase: after-all hooks run in declaration order, and the database is dropped in its hook.
afterAll(async () => {
  await client?.end();
});
const database = useTestDatabase("meaning");
const tmp = useTempDir("meaning");

beforeAll(async () => {
  client = new Client({ connectionString: database.url });
  await client.connect();
});

const column = (name: string, type: string, converter: ConverterSpec): ColumnPlan => ({
  source: name,
  name,
  declaredType: "",
  type,
  converter,
  maxLength: null,
  notNull: false,
  defaultSql: null,
  reason: "test",
  typeSource: "declared",
});
const naive: ConverterSpec = {
  kind: "temporal",
  target: "timestamp",
  variants: ["YYYY-MM-DDTHH:MM:SS+HH:MM", "YYYY-MM-DD HH:MM:SS"],
  numbers: { reading: null, stated: false, range: DEFAULT_DATE_RANGE },
  naiveZone: null,
};
const COLUMNS: ColumnPlan[] = [
  column("id", "bigint", { kind: "integer", type: "bigint" }),
  column("at", "timestamp without time zone", naive),
  column("day", "date", { ...naive, target: "date" }),
  column("payload", "text", { kind: "text" }),
  column("measure", "double precision", { kind: "float" }),
  column("amount", "numeric(10,2)", { kind: "numeric", precision: 10, scale: 2 }),
  column("flag", "boolean", { kind: "boolean" }),
];
const TABLE: TablePlan = {
  source: "events",
  name: "events",
  columns: COLUMNS,
  primaryKey: ["id"],
  primaryKeyName: "events_pkey",
  foreignKeys: [],
  indexes: [],
  withoutRowid: false,
  readOrder: { kind: "rowid" },
  rows: 4,
};
const SOURCE_SQL = `CREATE TABLE events (id INTEGER PRIMARY KEY, at DATETIME, day DATE, payload JSON, measure, amount NUMERIC(10,2), flag BOOLEAN);
  INSERT INTO events VALUES
    (1, '2024-05-01 10:00:00', '2024-06-03', 'plain', 0.5, 12.5, 1),
    (2, '2024-05-01T10:00:00+02:00', '2024-06-03 17:45:00', 9007199254740993, 9007199254740993, 1.005, 0),
    (3, '2024-05-02 11:30:00', '2024-06-04', 1000000000000000, -0.0, 7, 'yes'),
    (4, NULL, NULL, NULL, NULL, NULL, NULL);`;
// What PostgreSQL must hold for each row to mean what SQLite does (the column types as the plan says).
const EXACT = [
  "(1, '2024-05-01 10:00:00', '2024-06-03', 'plain', 0.5, 12.50, true)",
  // row 2 holds values the plan's types cannot: the loader widens such columns, so no exact form exists here.
  "(3, '2024-05-02 11:30:00', '2024-06-04', '1000000000000000', '-0', 7.00, true)",
  "(4, NULL, NULL, NULL, NULL, NULL, NULL)",
];

async function loadByHand(schema: string, rows: readonly string[], rejects: string[] = []): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await client.query(
    `CREATE TABLE ${qualified(schema, "events")} (${COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")}, PRIMARY KEY (id))`,
  );
  await client.query(
    `CREATE TABLE ${qualified(schema, "_rejects")} (table_name text, row_key text, column_name text, raw_value text, reason text, action text)`,
  );
  await client.query(`INSERT INTO ${qualified(schema, "events")} VALUES ${rows.join(", ")}`);
  for (const key of rejects)
    await client.query(`INSERT INTO ${qualified(schema, "_rejects")} VALUES ('events', $1, NULL, NULL, 'test', 'rejected')`, [key]);
}

async function check(schema: string): Promise<string[]> {
  const file = sqliteFile(tmp.dir, "events", SOURCE_SQL);
  const db = openSource(file);
  const source = introspectSource(db).tables[0];
  db.close();
  await client.query("BEGIN");
  try {
    return await checkMeaning({ client, schema, sourcePath: file, source, table: TABLE });
  } finally {
    await client.query("ROLLBACK");
  }
}

it("passes values that mean what the source's do (row 2 rejected: its values need wider types)", async () => {
  await loadByHand("m_exact", EXACT, ["2"]);
  expect(await check("m_exact")).toEqual([]);
});

it.each([
  [
    "an offset dropped",
    "(2, '2024-05-01 10:00:00', '2024-06-03', 'plain', 0.5, 12.5, false)",
    '"events"."at" row 2: the source value means "1714550400", the stored one "1714557600"',
  ],
  [
    "a time of day dropped",
    "(2, '2024-05-01 08:00:00', '2024-06-03', 'plain', 0.5, 12.5, false)",
    '"events"."day" row 2: the source value means "1717436700", the stored one "1717372800"',
  ],
  [
    "an integer printed through a double, in text",
    "(2, '2024-05-01 08:00:00', NULL, '9.007199254740992e+15', 0.5, 12.5, false)",
    '"events"."payload" row 2: the source value means "9007199254740993", the stored one "9.007199254740992e+15"',
  ],
  [
    "an integer rounded to a double",
    "(2, '2024-05-01 08:00:00', NULL, '9007199254740993', 9007199254740992, 12.5, false)",
    '"events"."measure" row 2: the source value means "not exactly a double: 9007199254740993", the stored one "9.007199254740992e+15"',
  ],
  [
    "decimals rounded to the scale",
    "(2, '2024-05-01 08:00:00', NULL, '9007199254740993', NULL, 1.01, false)",
    '"events"."amount" row 2: the source value means "1.005", the stored one "1.01"',
  ],
])("catches %s, naming table, column and row", async (_name, row2, line) => {
  await loadByHand("m_wrong", [EXACT[0], row2, EXACT[1], EXACT[2]]);
  const found = await check("m_wrong");
  expect(found).toHaveLength(1);
  expect(found[0].split("; ")).toContain(line);
});

it("catches -0 stored as 0 and a boolean flipped", async () => {
  await loadByHand("m_sign", [EXACT[0], "(3, '2024-05-02 11:30:00', '2024-06-04', '1000000000000000', 0, 7, false)", EXACT[2]], ["2"]);
  expect(await check("m_sign")).toEqual([
    '"events"."measure" row 3: the source value means "-0", the stored one "0"; "events"."flag" row 3: the source value means "true", the stored one "false"',
  ]);
});

it("catches a sampled row missing without a reject", async () => {
  await loadByHand("m_missing", [EXACT[0], EXACT[1]], ["2"]);
  expect(await check("m_missing")).toEqual([
    '"events" row 4: no stored row means what the source row does (["4", null, null, null, null, null, null])',
  ]);
});
