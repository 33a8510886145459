/**
 * The content checksum catches a stored value that is not the one the
 * loader sent. An event trigger of the test database gives every table the
 * load creates in a version schema a row trigger that changes one value of
 * a column on its way in, as a faulty server-side rewrite would; validation
 * must then fail the run naming the table, and leave no version behind.
 * Both checksums are covered: the stream of a table read back in insertion
 * order (a key), and the order-free sum of row hashes (no key). Run in the
 * default mode, complete; the same export loads when nothing is changed.
 * With two table streams each table is validated in its own session before
 * it commits to the staging schema: the same tampering must fail there too,
 * and leave neither a version nor the staging schema.
 */
import * as path from "node:path";
import { migrate } from "../../engine";
import { queryRows, useTestDatabase } from "../support/database";
import { schemasOf, sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("checksum");
const tmp = useTempDir("checksum");
const ROWS = 4000;

/** `items` has a key, `entries` none; both far larger than a COPY chunk, with multi-byte text. */
function exportFile(): string {
  return sqliteFile(
    tmp.dir,
    "export",
    `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price NUMERIC);
     CREATE TABLE entries (person TEXT, day TEXT, hours REAL, note TEXT);`,
    (db) => {
      const item = db.prepare("INSERT INTO items VALUES (?, ?, ?)");
      const entry = db.prepare("INSERT INTO entries VALUES (?, ?, ?, ?)");
      db.transaction(() => {
        for (let i = 1; i <= ROWS; i++) {
          item.run(i, `Gerät Nº ${i} — Ölfilter`, (i % 97) + 0.25);
          entry.run(`Zoë Ødegård ${i % 50}`, `2024-03-${String((i % 28) + 1).padStart(2, "0")}`, (i % 16) / 2, `Überstunden ☕ ${i}`);
        }
      })();
    },
  );
}

/**
 * Installs the tampering: in version schemas of `prefix` and its staging
 * schema only (the canary loads untouched), `table`'s rows whose `column` reads `from` are stored
 * with `to` instead.
 */
async function tamper(prefix: string, table: string, column: string, from: string, to: string): Promise<void> {
  await queryRows(
    database.url,
    `CREATE OR REPLACE FUNCTION public.sdm_test_tamper_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
     BEGIN
       IF to_jsonb(NEW) ->> TG_ARGV[0] = TG_ARGV[1] THEN
         IF TG_ARGV[2] = ${quote(DROP_ROW)} THEN
           RETURN NULL;
         END IF;
         NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], TG_ARGV[2]));
       END IF;
       RETURN NEW;
     END $fn$`,
  );
  await queryRows(
    database.url,
    `CREATE OR REPLACE FUNCTION public.sdm_test_tamper_tables() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
     DECLARE created record;
     BEGIN
       FOR created IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
         IF (created.schema_name LIKE ${quote(`${prefix}_v%`)} OR created.schema_name = ${quote(`${prefix}_staging`)}) AND created.object_identity = format('%I.%I', created.schema_name, ${quote(table)}) THEN
           EXECUTE format('CREATE TRIGGER sdm_test_tamper BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION public.sdm_test_tamper_row(%L, %L, %L)',
             created.object_identity, ${quote(column)}, ${quote(from)}, ${quote(to)});
         END IF;
       END LOOP;
     END $fn$`,
  );
  await queryRows(database.url, "DROP EVENT TRIGGER IF EXISTS sdm_test_tamper");
  await queryRows(
    database.url,
    "CREATE EVENT TRIGGER sdm_test_tamper ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION public.sdm_test_tamper_tables()",
  );
}

/** As `to`: the row is not stored at all. */
const DROP_ROW = "<dropped>";

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

afterEach(async () => {
  await queryRows(database.url, "DROP EVENT TRIGGER IF EXISTS sdm_test_tamper");
});

const run = (prefix: string, source: string, streams?: number) =>
  migrate({
    sourcePath: source,
    databaseUrl: database.url,
    schemaPrefix: prefix,
    backupDirectory: path.join(tmp.dir, "backups"),
    ...(streams !== undefined ? { streams } : {}),
  });

test("the export loads, checksums equal, when nothing changes it", async () => {
  const report = await run("clean", exportFile());
  expect(report).toMatchObject({ outcome: "loaded", mode: "complete" });
  const [{ n }] = await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM clean.entries`);
  expect(Number(n)).toBe(ROWS);
});

test.each([
  { prefix: "keyed", table: "items", column: "name", from: "Gerät Nº 2718 — Ölfilter", to: "Gerät Nº 2718 — Olfilter", streams: 1 },
  { prefix: "keyed", table: "items", column: "price", from: "3.25", to: "3.26", streams: 1 },
  { prefix: "unkeyed", table: "entries", column: "note", from: "Überstunden ☕ 3141", to: "Uberstunden ☕ 3141", streams: 1 },
  { prefix: "unkeyed", table: "entries", column: "hours", from: "7.5", to: "7", streams: 1 },
  { prefix: "streamed", table: "items", column: "name", from: "Gerät Nº 2718 — Ölfilter", to: "Gerät Nº 2718 — Olfilter", streams: 2 },
  { prefix: "streamed", table: "entries", column: "hours", from: "7.5", to: "7", streams: 2 },
])(
  "one $column of $table stored changed ($from -> $to) fails validation, $streams stream(s)",
  async ({ prefix, table, column, from, to, streams }) => {
    await tamper(prefix, table, column, from, to);
    const source = exportFile();
    const error = await run(prefix, source, streams).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "VALIDATION_FAILED" });
    expect((error as Error).message).toMatch(
      new RegExp(`"${table}" content checksum differs \\(source [0-9a-f]{12}, loaded [0-9a-f]{12}\\)`),
    );
    // The other table was stored as sent: only the changed one is named.
    expect((error as Error).message).not.toMatch(new RegExp(`"${table === "items" ? "entries" : "items"}" content checksum differs`));
    expect((await schemasOf(database.url, prefix)).filter((s) => s.startsWith(`${prefix}_v`) || s === `${prefix}_staging`)).toEqual([]);
  },
);

test.each([1, 2])("a row the server did not store fails validation by its count, %s stream(s)", async (streams) => {
  const prefix = `dropped${streams}`;
  await tamper(prefix, "entries", "note", "Überstunden ☕ 1234", DROP_ROW);
  const error = await run(prefix, exportFile(), streams).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: "VALIDATION_FAILED" });
  expect((error as Error).message).toContain(`"entries" holds ${ROWS - 1} rows, expected ${ROWS}`);
  expect((error as Error).message).not.toContain(`"items" holds`);
  expect((await schemasOf(database.url, prefix)).filter((s) => s.startsWith(`${prefix}_v`) || s === `${prefix}_staging`)).toEqual([]);
});
