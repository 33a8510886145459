/**
 * Identifiers: case and spaces survive (every name is quoted), PostgreSQL's
 * 63-byte limit is enforced before anything is written (a name too long, or
 * two names equal once truncated, is an IdentifierError naming both, under
 * every bad-value policy), a rename map resolves it, and names the engine
 * makes up (keys, indexes) never clash with the source's.
 */
import { BadValuePolicy, IdentifierError, migrate, OptionError, RenameMap } from "../../engine";
import { queryRows, useTestDatabase } from "../support/database";
import { columnTypes, pgCount, schemasOf, sqliteCount, sqliteFile, textRows, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("identifiers");
const tmp = useTempDir("identifiers");

const POLICIES: readonly BadValuePolicy[] = ["reject", "null", "fail"];
const LONG_STEM = "c".repeat(63);

async function load(file: string, prefix: string, options: { badValuePolicy?: BadValuePolicy; renames?: RenameMap } = {}) {
  return migrate({ ...options, sourcePath: file, databaseUrl: database.url, mode: "simple", schemaPrefix: prefix });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the migration to fail");
    },
    (e: unknown) => e,
  );
}

describe("names keep their case and spaces", () => {
  const SQL = `
    CREATE TABLE "Order Items" ("ID" INTEGER PRIMARY KEY, "Unit Price" NUMERIC(8,2) NOT NULL, "customerName" TEXT);
    CREATE TABLE "Line Notes" ("Note Id" INTEGER PRIMARY KEY, "Order ID" INTEGER REFERENCES "Order Items"("ID"), "Text" TEXT);
    CREATE INDEX "Idx By Customer" ON "Order Items"("customerName");
    INSERT INTO "Order Items" VALUES (1, 9.99, 'Ann'), (2, 20, 'Bob');
    INSERT INTO "Line Notes" VALUES (1, 1, 'first'), (2, 2, 'second'), (3, 1, 'third');`;

  it("creates quoted tables, columns, keys and indexes, readable through the stable views", async () => {
    const file = sqliteFile(tmp.dir, "mixed_case", SQL);
    const report = await load(file, "id_case");
    const schema = report.schema!;
    const tables = await queryRows<{ table_name: string }>(
      database.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name COLLATE "C"`,
      [schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual(["Line Notes", "Order Items", "_rejects"]);
    expect(await columnTypes(database.url, schema, "Order Items")).toEqual({
      ID: "bigint",
      "Unit Price": "numeric(8,2)",
      customerName: "text",
    });
    expect(await columnTypes(database.url, schema, "Line Notes")).toEqual({ "Note Id": "bigint", "Order ID": "bigint", Text: "text" });
    const constraints = await queryRows<{ conname: string; contype: string; def: string }>(
      database.url,
      `SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE connamespace = $1::regnamespace AND contype IN ('p', 'f') ORDER BY conname COLLATE "C"`,
      [schema],
    );
    expect(constraints).toEqual([
      { conname: "Line Notes_Order ID_fkey", contype: "f", def: `FOREIGN KEY ("Order ID") REFERENCES ${schema}."Order Items"("ID")` },
      { conname: "Line Notes_pkey", contype: "p", def: 'PRIMARY KEY ("Note Id")' },
      { conname: "Order Items_pkey", contype: "p", def: 'PRIMARY KEY ("ID")' },
    ]);
    const indexes = await queryRows<{ indexname: string }>(
      database.url,
      `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'Order Items' ORDER BY 1`,
      [schema],
    );
    expect(indexes.map((i) => i.indexname)).toEqual(["Idx By Customer", "Order Items_pkey"]);
    const joined = await queryRows(
      database.url,
      `SELECT n."Text", o."customerName", o."Unit Price"::text AS price FROM "id_case"."Line Notes" n JOIN "id_case"."Order Items" o ON o."ID" = n."Order ID" ORDER BY n."Note Id"`,
    );
    expect(joined).toEqual([
      { Text: "first", customerName: "Ann", price: "9.99" },
      { Text: "second", customerName: "Bob", price: "20.00" },
      { Text: "third", customerName: "Ann", price: "9.99" },
    ]);
  });

  it("accepts a name of exactly 63 bytes as it is", async () => {
    const name = "n".repeat(63);
    const file = sqliteFile(
      tmp.dir,
      "exactly63",
      `CREATE TABLE t (id INTEGER PRIMARY KEY, "${name}" TEXT); INSERT INTO t VALUES (1, 'kept');`,
    );
    const report = await load(file, "id_exact");
    expect(await columnTypes(database.url, report.schema!, "t")).toEqual({ id: "bigint", [name]: "text" });
    expect(await textRows(database.url, report.schema!, "t")).toEqual([{ id: "1", [name]: "kept" }]);
  });
});

describe("names colliding once truncated to 63 bytes", () => {
  const first = `${LONG_STEM}_first`;
  const second = `${LONG_STEM}_second`;
  const SQL = `CREATE TABLE t (id INTEGER PRIMARY KEY, "${first}" TEXT, "${second}" TEXT);
    INSERT INTO t VALUES (1, 'a1', 'b1'), (2, 'a2', 'b2');`;

  it.each(POLICIES)("policy %s: IDENTIFIER_COLLISION naming both columns, nothing written", async (policy) => {
    const file = sqliteFile(tmp.dir, `collision_${policy}`, SQL);
    const error = await failure(load(file, `id_collision_${policy}`, { badValuePolicy: policy }));
    expect(error).toBeInstanceOf(IdentifierError);
    expect(error).toMatchObject({
      code: "IDENTIFIER_COLLISION",
      identifiers: [first, second],
      message: `columns of table "t": "${first}" and "${second}" would both be stored as "${LONG_STEM}" in PostgreSQL; give one of them another name with the rename map (--rename-table / --rename-column)`,
    });
    expect(await schemasOf(database.url, `id_collision_${policy}`)).toEqual([]);
  });

  it("loads with a rename map, every row and value under the new names", async () => {
    const file = sqliteFile(tmp.dir, "collision_renamed", SQL);
    const report = await load(file, "id_renamed", { renames: { columns: { t: { [first]: "first_value", [second]: "second_value" } } } });
    expect(await columnTypes(database.url, report.schema!, "t")).toEqual({ id: "bigint", first_value: "text", second_value: "text" });
    expect(await textRows(database.url, report.schema!, "t")).toEqual([
      { id: "1", first_value: "a1", second_value: "b1" },
      { id: "2", first_value: "a2", second_value: "b2" },
    ]);
  });

  it("also for table names, and for multibyte names cut on a character boundary", async () => {
    const tables = sqliteFile(
      tmp.dir,
      "table_collision",
      `CREATE TABLE "${LONG_STEM}A" (id INTEGER PRIMARY KEY); CREATE TABLE "${LONG_STEM}B" (id INTEGER PRIMARY KEY);`,
    );
    expect(await failure(load(tables, "id_tables"))).toMatchObject({
      code: "IDENTIFIER_COLLISION",
      identifiers: [`${LONG_STEM}A`, `${LONG_STEM}B`],
      message: `tables "${LONG_STEM}A" and "${LONG_STEM}B" would both be stored as "${LONG_STEM}" in PostgreSQL; give one of them another name with the rename map (--rename-table / --rename-column)`,
    });
    // 62 ASCII bytes + a 2-byte letter: PostgreSQL keeps 62 bytes, never half a character.
    const stem = "x".repeat(62);
    const multibyte = sqliteFile(tmp.dir, "multibyte", `CREATE TABLE t (id INTEGER PRIMARY KEY, "${stem}é" TEXT, "${stem}è" TEXT);`);
    expect(await failure(load(multibyte, "id_multibyte"))).toMatchObject({
      code: "IDENTIFIER_COLLISION",
      identifiers: [`${stem}é`, `${stem}è`],
      message: expect.stringContaining(`would both be stored as "${stem}" in PostgreSQL`),
    });
    expect([...(await schemasOf(database.url, "id_tables")), ...(await schemasOf(database.url, "id_multibyte"))]).toEqual([]);
  });

  it("refuses a rename map that makes two names collide", async () => {
    const file = sqliteFile(tmp.dir, "rename_collision", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);");
    expect(await failure(load(file, "id_rename_collision", { renames: { columns: { t: { a: "b" } } } }))).toMatchObject({
      code: "IDENTIFIER_COLLISION",
      identifiers: ["a", "b"],
    });
    const rejectsClash = await failure(load(file, "id_rename_collision", { renames: { tables: { t: "_rejects" } } }));
    expect(rejectsClash).toBeInstanceOf(OptionError);
    expect((rejectsClash as Error).message).toBe('renames.tables: table "t" would clash with the rejects table "_rejects"; rename it');
  });
});

describe("a single name of 64 bytes", () => {
  const long = "d".repeat(64);
  const SQL = `CREATE TABLE t (id INTEGER PRIMARY KEY, "${long}" TEXT); INSERT INTO t VALUES (1, 'v');`;

  it.each(POLICIES)("policy %s: IDENTIFIER_TOO_LONG naming it, nothing written", async (policy) => {
    const file = sqliteFile(tmp.dir, `too_long_${policy}`, SQL);
    const error = await failure(load(file, `id_long_${policy}`, { badValuePolicy: policy }));
    expect(error).toBeInstanceOf(IdentifierError);
    expect(error).toMatchObject({
      code: "IDENTIFIER_TOO_LONG",
      identifiers: [long],
      message: `column of table "t": "${long}" is 64 bytes; PostgreSQL keeps only 63 and would silently truncate it. Give it a shorter name with the rename map (--rename-table / --rename-column).`,
    });
    expect(await schemasOf(database.url, `id_long_${policy}`)).toEqual([]);
  });

  it("loads under a shorter name from the rename map; a renamed name is checked too", async () => {
    const file = sqliteFile(tmp.dir, "too_long_renamed", SQL);
    const report = await load(file, "id_long_renamed", { renames: { columns: { t: { [long]: "short" } } } });
    expect(await textRows(database.url, report.schema!, "t")).toEqual([{ id: "1", short: "v" }]);
    expect(await failure(load(file, "id_long_renamed", { renames: { columns: { t: { [long]: "e".repeat(64) } } } }))).toMatchObject({
      code: "IDENTIFIER_TOO_LONG",
      message: expect.stringContaining(`column of table "t": "${long}" renamed to "${"e".repeat(64)}" is 64 bytes`),
    });
  });
});

describe("names the engine makes up", () => {
  it("keeps key and index names clear of source tables and indexes that already use them", async () => {
    // PostgreSQL puts keys and indexes in the tables' namespace: "t_pkey" of
    // table t would clash with the table "t_pkey", and index "a_pkey" on b
    // with the key of table a.
    const file = sqliteFile(
      tmp.dir,
      "made_up_names",
      `
      CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
      CREATE TABLE t_pkey (id INTEGER PRIMARY KEY, w TEXT);
      CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT);
      CREATE TABLE b (id INTEGER PRIMARY KEY, v TEXT);
      CREATE INDEX a_pkey ON b(v);
      INSERT INTO t VALUES (1, 'x'); INSERT INTO t_pkey VALUES (1, 'y'); INSERT INTO a VALUES (1, 'z'); INSERT INTO b VALUES (1, 'w');`,
    );
    const report = await load(file, "id_made_up");
    const relations = await queryRows<{ table: string; index: string; primary: boolean }>(
      database.url,
      `SELECT t.relname AS table, i.relname AS index, x.indisprimary AS primary FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
       WHERE t.relnamespace = $1::regnamespace ORDER BY 1, 2`,
      [report.schema],
    );
    expect(relations).toEqual([
      { table: "a", index: "a_pkey", primary: true },
      { table: "b", index: "a_pkey_2", primary: false },
      { table: "b", index: "b_pkey", primary: true },
      { table: "t", index: "t_pkey_2", primary: true },
      { table: "t_pkey", index: "t_pkey_pkey", primary: true },
    ]);
    for (const table of ["t", "t_pkey", "a", "b"])
      expect(await pgCount(database.url, report.schema!, table)).toBe(sqliteCount(file, table));
  });

  it("shortens key names of long table names with a hash, keeping them distinct", async () => {
    const parent = "P".repeat(60);
    const child = `${"P".repeat(59)}C`;
    const file = sqliteFile(
      tmp.dir,
      "long_tables",
      `
      CREATE TABLE "${parent}" (id INTEGER PRIMARY KEY);
      CREATE TABLE "${child}" (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES "${parent}"(id));
      INSERT INTO "${parent}" VALUES (1), (2); INSERT INTO "${child}" VALUES (1, 1), (2, 2), (3, 1);`,
    );
    const report = await load(file, "id_long_tables");
    const names = await queryRows<{ conname: string; contype: string; table: string }>(
      database.url,
      `SELECT conname, contype, conrelid::regclass::text AS table FROM pg_constraint WHERE connamespace = $1::regnamespace AND contype IN ('p', 'f')`,
      [report.schema],
    );
    expect(names).toHaveLength(3);
    expect(new Set(names.map((n) => n.conname)).size).toBe(3);
    for (const n of names) expect(Buffer.byteLength(n.conname)).toBeLessThanOrEqual(63);
    expect(await pgCount(database.url, report.schema!, child)).toBe(3);
  });
});
