/**
 * Tables without a rowid keyed by bytes (a UUID stored as 16 bytes is the
 * common case): a row is named by its key as JSON, and JSON holds no bytes,
 * so a blob part is named {"blob": "<hex>"}. Such an export must load in the
 * default mode, with a bad value's row rejected under that name, its
 * children following it out, and its raw bytes found again by that name (a
 * composite key too). SQLite's own hex() of the stored bytes is the
 * referee of what loaded.
 */
import Database from "better-sqlite3";
import { MigrationReport } from "../../engine";
import { queryRows, useTestDatabase } from "../support/database";
import { migrateInto, quoteIdent, rejectsOf, sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("blob_keys");
const tmp = useTempDir("blob-keys");
const migrate = migrateInto(database, tmp);

const ITEMS = 300;
/** The item whose name is not UTF-8: rejected, with its two tags. */
const BAD_ITEM = 17;
const itemId = (i: number) => Buffer.from(`${String(i).padStart(4, "0")}-item-key-0000`.slice(0, 16));
const hexOf = (bytes: Buffer) => bytes.toString("hex").toUpperCase();

function blobKeyExport(): string {
  return sqliteFile(
    tmp.dir,
    "blob-keys",
    `CREATE TABLE items (id BLOB PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
     CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id BLOB NOT NULL REFERENCES items(id), tag TEXT NOT NULL);
     CREATE TABLE pairs (a BLOB, b INTEGER, note TEXT, PRIMARY KEY (a, b)) WITHOUT ROWID;
     CREATE TABLE lookalikes (k BLOB PRIMARY KEY, v TEXT) WITHOUT ROWID;`,
    (db) => {
      db.transaction(() => {
        const item = db.prepare("INSERT INTO items VALUES (?, ?)");
        const notUtf8 = db.prepare("INSERT INTO items VALUES (?, CAST(x'C328' AS TEXT))");
        for (let i = 1; i <= ITEMS; i++)
          (i === BAD_ITEM ? notUtf8 : item).run(...(i === BAD_ITEM ? [itemId(i)] : [itemId(i), `item ${i}`]));
        const tag = db.prepare("INSERT INTO tags (item_id, tag) VALUES (?, ?)");
        for (let i = 1; i <= ITEMS; i++) for (const t of ["a", "b"]) tag.run(itemId(i), `${t}${i}`);
        const pair = db.prepare("INSERT INTO pairs VALUES (?, ?, ?)");
        for (let i = 1; i <= 100; i++) pair.run(itemId(i), BigInt(i % 3), `note ${i}`);
        db.prepare("INSERT INTO pairs VALUES (?, 7, CAST(x'E928' AS TEXT))").run(itemId(5));
        // A text key spelled as a blob's name, and that blob: two keys, two names.
        db.prepare("INSERT INTO lookalikes VALUES (x'00', 'the blob')").run();
        db.prepare(`INSERT INTO lookalikes VALUES ('{"blob":"00"}', CAST(x'FF' AS TEXT))`).run();
      })();
    },
  );
}

describe("tables without a rowid keyed by bytes", () => {
  let file: string;
  let report: MigrationReport;

  beforeAll(async () => {
    file = blobKeyExport();
    report = await migrate(file, "blobkeys", {
      minQuality: 0,
      acceptFindings: [
        "items.name:invalid_utf8<=1",
        "pairs.note:invalid_utf8<=1",
        "lookalikes.v:invalid_utf8<=1",
        "tags.item_id:orphans<=2",
      ],
    });
  });

  it("loads in the default mode", () => {
    expect(report.mode).toBe("complete");
    expect(report.outcome).toBe("loaded");
  });

  it("names each rejected row by its key, a blob part as its hex", async () => {
    const rejects = (await rejectsOf(database.url, report.schema!)).map((r) => [r.table_name, r.row_key, r.column_name, r.reason]);
    expect(rejects).toEqual(
      expect.arrayContaining([
        ["items", JSON.stringify([{ blob: hexOf(itemId(BAD_ITEM)) }]), "name", "invalid UTF-8"],
        ["pairs", JSON.stringify([{ blob: hexOf(itemId(5)) }, 7]), "note", "invalid UTF-8"],
        ["lookalikes", JSON.stringify(['{"blob":"00"}']), "v", "invalid UTF-8"],
      ]),
    );
    // The bad item's two tags follow it out, and nothing else is set aside.
    expect(rejects.filter(([table]) => table === "tags")).toHaveLength(2);
    expect(rejects).toHaveLength(5);
  });

  it.each([
    ["items", "id", "name"],
    ["pairs", "a", "note"],
    ["lookalikes", "k", "v"],
  ])("%s holds every other row, its key's bytes as SQLite stores them", async (table, key, value) => {
    const db = new Database(file, { readonly: true });
    const source = db
      .prepare(`SELECT hex(${key}) || ':' || ${value} FROM ${table} WHERE NOT ${value} GLOB '*[^ -~]*'`)
      .pluck()
      .all() as string[];
    db.close();
    const loaded = await queryRows<{ row: string }>(
      database.url,
      `SELECT upper(encode(${quoteIdent(key)}, 'hex')) || ':' || ${quoteIdent(value)} AS row FROM ${quoteIdent(report.schema!)}.${quoteIdent(table)}`,
    );
    expect(loaded.map((r) => r.row).sort()).toEqual(source.sort());
    expect(loaded.length).toBe(report.tables.find((t) => t.source === table)!.rowsLoaded);
  });

  it("keeps the tags of every loaded item", async () => {
    const rows = await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM ${quoteIdent(report.schema!)}.tags`);
    expect(Number(rows[0].n)).toBe(2 * (ITEMS - 1));
  });
});
