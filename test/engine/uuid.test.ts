/**
 * UUID columns: SQLite columns declared UUID, GUID or UNIQUEIDENTIFIER whose
 * values are all UUID texts (either case, braces allowed) or 16-byte blobs
 * become PostgreSQL uuid; any other value (a word, a number, a blob of
 * another length) widens the column to text with a type_widened finding.
 * PostgreSQL's uuid input function is the referee of every loaded value
 * (the oracle), in complete mode, the default.
 */
import { randomBytes } from "node:crypto";
import { inspectSource, MigrationReport } from "../../engine";
import { useTestDatabase } from "../support/database";
import { compareValueByValue } from "../support/oracle";
import { columnTypes, migrateInto, rejectsOf, sqliteFile, textRows, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("uuid");
const tmp = useTempDir("uuid");
const ROWS = 300;

const load = migrateInto(database, tmp);

/** A random UUID's 16 bytes; `text` prints them as 8-4-4-4-12 hex. */
const uuidBytes = () => randomBytes(16);
const text = (bytes: Buffer) => bytes.toString("hex").replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");

const SCHEMA = `
  CREATE TABLE devices (
    id UUID PRIMARY KEY,   -- lower-case texts
    owner GUID,            -- {UPPER-CASE} texts and 16-byte blobs
    batch UNIQUEIDENTIFIER,-- UUIDs, and one word past the sample
    serial uuid,           -- UUIDs, and one number past the sample
    chip Guid              -- UUIDs, and one 5-byte blob past the sample
  );`;

function exportWithUuids(name: string): string {
  return sqliteFile(tmp.dir, name, SCHEMA, (db) => {
    const insert = db.prepare("INSERT INTO devices VALUES (?, ?, ?, ?, ?)");
    for (let i = 1; i <= ROWS; i++) {
      const owner = i % 2 === 0 ? uuidBytes() : `{${text(uuidBytes()).toUpperCase()}}`;
      // The last row's odd values lie past any sample: each widens its column as the load meets it.
      const last = i === ROWS;
      insert.run(
        text(uuidBytes()),
        owner,
        last ? "legacy-42" : text(uuidBytes()),
        last ? 12345 : text(uuidBytes()),
        last ? Buffer.from("chip!") : text(uuidBytes()),
      );
    }
    // Blobs with NUL bytes and every byte value are UUIDs too.
    insert.run(text(uuidBytes()), Buffer.from("00ff00ff00ff00ff00ff00ff00ff00ff", "hex"), null, null, null);
  });
}

describe("columns declared UUID, GUID or UNIQUEIDENTIFIER", () => {
  let file: string;
  let report: MigrationReport;
  beforeAll(async () => {
    file = exportWithUuids("devices");
    report = await load(file, "uu");
  });

  it("are uuid where every value is a UUID text or 16 bytes, and text where one is not", async () => {
    expect(await columnTypes(database.url, report.schema!, "devices")).toEqual({
      id: "uuid",
      owner: "uuid",
      batch: "text",
      serial: "text",
      chip: "text",
    });
  });

  it("loads every value as PostgreSQL's uuid input reads it (the oracle)", async () => {
    const result = await compareValueByValue({ sqlitePath: file, databaseUrl: database.url, schema: report.schema! });
    expect(result.differences).toEqual([]);
    expect(result.tables).toEqual([
      expect.objectContaining({ table: "devices", sqliteRows: ROWS + 1, loadedRows: ROWS + 1, rejectedRows: 0 }),
    ]);
  });

  it("prints a blob's bytes in order, and a braced upper-case text in PostgreSQL's form", async () => {
    const rows = await textRows(database.url, report.schema!, "devices");
    expect(rows.filter((r) => r.owner === "00ff00ff-00ff-00ff-00ff-00ff00ff00ff")).toHaveLength(1);
    expect(rows.every((r) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(r.owner!))).toBe(true);
  });

  it("reports each widened column with its first value, and the gate passes", () => {
    const widened = report.quality!.findings.filter((f) => f.check === "type_widened").map((f) => f.message);
    expect(widened).toEqual([
      expect.stringMatching(
        /^"devices"\."batch" widened from uuid to text for 1 of 300 values \(first, row 300: legacy-42 is not a UUID\)$/,
      ),
      expect.stringMatching(
        /^"devices"\."serial" widened from uuid to text for 1 of 300 values \(first, row 300: 12345 is a number, not a UUID\)$/,
      ),
      expect.stringMatching(
        /^"devices"\."chip" widened from uuid to text for 1 of 300 values \(first, row 300: x'636869702[01]'? ?.*is a blob of 5 bytes, not a UUID's 16\)$/,
      ),
    ]);
    expect(report.quality!.blocked).toBe(false);
  });
});

describe("a UUID key", () => {
  it("holds one row per UUID: the same UUID in another case or as a blob is a duplicate once converted", async () => {
    const id = uuidBytes();
    const file = sqliteFile(tmp.dir, "keys", `CREATE TABLE k (id UUID PRIMARY KEY, note TEXT);`, (db) => {
      const insert = db.prepare("INSERT INTO k VALUES (?, ?)");
      insert.run(text(id), "first");
      insert.run(text(id).toUpperCase(), "same, upper case");
      insert.run(id, "same, as bytes");
      for (let i = 0; i < 500; i++) insert.run(text(uuidBytes()), `other ${i}`);
    });
    const report = await load(file, "uu_keys");
    expect(report.quality!.findings.find((f) => f.check === "duplicate_keys")).toMatchObject({
      message: expect.stringContaining('2 rows of "k" have a duplicate primary key (id)'),
    });
    const rows = await textRows(database.url, report.schema!, "k");
    expect(rows).toHaveLength(501);
    expect(rows.filter((r) => r.id === text(id))).toEqual([{ id: text(id), note: "first" }]);
    expect((await rejectsOf(database.url, report.schema!)).map((r) => [r.row_key, r.action])).toEqual([
      ["2", "rejected"],
      ["3", "rejected"],
    ]);
  });

  it("rejects a row whose key is no UUID instead of widening the key", async () => {
    const file = sqliteFile(tmp.dir, "bad-key", `CREATE TABLE k (id UUID PRIMARY KEY);`, (db) => {
      const insert = db.prepare("INSERT INTO k VALUES (?)");
      for (let i = 0; i < 500; i++) insert.run(text(uuidBytes()));
      insert.run("not-a-uuid");
    });
    const report = await load(file, "uu_badkey");
    expect(await columnTypes(database.url, report.schema!, "k")).toEqual({ id: "uuid" });
    expect(await rejectsOf(database.url, report.schema!)).toEqual([
      expect.objectContaining({ table_name: "k", row_key: "501", column_name: "id", raw_value: "not-a-uuid", action: "rejected" }),
    ]);
  });
});

it("takes uuid as a type override, and its plan says so", async () => {
  const file = sqliteFile(tmp.dir, "override", `CREATE TABLE t (id INTEGER PRIMARY KEY, ref TEXT);`, (db) => {
    const insert = db.prepare("INSERT INTO t (ref) VALUES (?)");
    for (let i = 0; i < 10; i++) insert.run(text(uuidBytes()));
  });
  const typeOverrides = { t: { ref: "uuid" } };
  const inspection = await inspectSource(file, { typeOverrides });
  expect(inspection.plan.tables[0].columns[1]).toMatchObject({ type: "uuid", reason: "override: uuid" });
  const report = await load(file, "uu_override", { typeOverrides });
  expect(await columnTypes(database.url, report.schema!, "t")).toEqual({ id: "bigint", ref: "uuid" });
});
