/**
 * A dashboard's own view on the stable schema must not break cutovers, and
 * a cutover must not break it: when the new version keeps the view's
 * columns, the stable view is replaced in place and the dashboard's view
 * reads the new version; when it changes them, the switch is refused before
 * anything changes, naming the dependent view, and the rollback command
 * works the same way.
 */
import * as path from "node:path";
import { migrate, MigrationError } from "../../engine";
import { cutoverSql } from "../../engine/versions";
import { queryRows, useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { useTempDir } from "./engine-fixtures";

const PREFIX = "dv";
const database = useTestDatabase("dependent_views");
const tmp = useTempDir("dependent-views");
let sources: SourceFolder;

beforeAll(() => {
  sources = sourceFolder();
});
afterAll(() => sources?.cleanup());

const run = (name: string, seed: number, extra: Parameters<typeof migrate>[0] extends infer O ? Partial<O> : never = {}) =>
  migrate({
    sourcePath: sources.make(name, { tickets: 300, seed }).path,
    databaseUrl: database.url,
    schemaPrefix: PREFIX,
    backupDirectory: path.join(tmp.dir, "backups"),
    ...extra,
  });
const count = async (sql: string) => Number((await queryRows<{ n: string }>(database.url, sql))[0].n);
const active = async () =>
  JSON.parse((await queryRows<{ c: string }>(database.url, "SELECT obj_description($1::regnamespace, 'pg_namespace') AS c", [PREFIX]))[0].c)
    .active as string;

it("keeps a dashboard's view working across cutovers, and refuses a switch that would break it", async () => {
  const first = await run("a.sqlite", 1);
  await queryRows(
    database.url,
    `CREATE SCHEMA dashboards; CREATE VIEW dashboards.open_tickets AS SELECT id, status, reopen_count FROM ${PREFIX}.tickets WHERE status <> 'closed'`,
  );
  const openIn = (schema: string) => count(`SELECT count(*) AS n FROM "${schema}".tickets WHERE status <> 'closed'`);
  expect(await count("SELECT count(*) AS n FROM dashboards.open_tickets")).toBe(await openIn(first.schema!));

  // Same columns: the stable view is replaced in place; the dashboard's view follows it.
  const second = await run("b.sqlite", 2);
  expect(second.cutOver).toBe(true);
  expect(await active()).toBe(second.schema);
  expect(await count("SELECT count(*) AS n FROM dashboards.open_tickets")).toBe(await openIn(second.schema!));

  // reopen_count as text: the view's column would change type. The version loads, the switch is refused.
  const error = await run("c.sqlite", 3, { typeOverrides: { tickets: { reopen_count: "text" } } }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as MigrationError).code).toBe("SCHEMA_CONFLICT");
  const third = (error as Error).message.match(/ to "([^"]+)"/)![1];
  expect((error as Error).message).toBe(
    `cannot switch "${PREFIX}" to "${third}": view ${PREFIX}.tickets is used by dashboards.open_tickets, and its columns change ` +
      "(reopen_count bigint becomes reopen_count text); drop or change those views first",
  );
  expect(third).toMatch(/^dv_v\d{8}_\d{6}$/);
  expect(await active()).toBe(second.schema);
  expect(await count("SELECT count(*) AS n FROM dashboards.open_tickets")).toBe(await openIn(second.schema!));

  // The rollback command is the same switch: back to the first version, in place.
  await queryRows(database.url, cutoverSql(PREFIX, first.schema!));
  expect(await active()).toBe(first.schema);
  expect(await count("SELECT count(*) AS n FROM dashboards.open_tickets")).toBe(await openIn(first.schema!));
});
