/**
 * The suite behind defence-in-depth.test.ts (PostgreSQL 15) and the
 * version matrix (test/versions): a view's stored rule differs between
 * majors, so its check runs against each.
 *
 * The two layers behind the check of a view's SQL (vet.ts), each tested on
 * its own, as if the layer before it had let something through:
 *   - what PostgreSQL made of a created view (reach.ts): every relation it
 *     reads and every function it calls by name, read from its stored rule;
 *   - security_invoker: the stable view of an export's view runs with its
 *     reader's rights, over the stable views of the tables; so a version
 *     holding a view over pg_authid or another schema (written by a tool
 *     without these checks) hands its reader nothing the reader's own
 *     grants do not give, while legitimate views keep working.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { Client } from "pg";
import { migrate, MigrateOptions } from "../../engine";
import { quoteIdent } from "../../engine/sql/identifiers";
import { reachRefusal } from "../../engine/views/reach";
import { queryRows, useTestDatabase, withDatabase } from "../support/database";
import { sqliteFile, useTempDir } from "../engine/engine-fixtures";

export interface DefenceOptions {
  readonly label: string;
  /** The server's maintenance URL; the tests' server when absent. */
  readonly server?: () => string;
  readonly migrateOptions: Partial<MigrateOptions>;
}

export function defenceInDepth(options: DefenceOptions): void {
  const database = useTestDatabase(`defence${options.label}`, options.server);
  const tmp = useTempDir(`defence${options.label}`);
  const tag = randomBytes(3).toString("hex");
  const READER = `sdm_reader_${tag}`;
  const PRIVATE = `sdm_private_${tag}`;

  beforeAll(async () => {
    await queryRows(database.url, `CREATE ROLE ${READER} LOGIN`);
    await queryRows(
      database.url,
      `CREATE SCHEMA ${PRIVATE}; CREATE TABLE ${PRIVATE}.secrets (value text); INSERT INTO ${PRIVATE}.secrets VALUES ('s-${tag}')`,
    );
  });

  afterAll(async () => {
    await queryRows(database.url, `DROP OWNED BY ${READER} CASCADE`).catch(() => undefined);
    await queryRows(withDatabase(database.url, "postgres"), `DROP ROLE IF EXISTS ${READER}`).catch(() => undefined);
  });

  describe("what PostgreSQL made of a view", () => {
    const schema = `reach_${tag}`;
    let client: Client;

    beforeAll(async () => {
      client = new Client({ connectionString: database.url });
      await client.connect();
      await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.tickets (id bigint, title text, at timestamp)`);
      await client.query(`CREATE VIEW ${schema}.open AS SELECT id FROM ${schema}.tickets WHERE id > 1`);
    });
    afterAll(() => client.end());

    const view = async (name: string, select: string) => {
      await client.query(`CREATE VIEW ${schema}.${name} AS ${select}`);
      return reachRefusal(client, schema, name);
    };

    it("passes a view that reads its version and calls what a view may", async () => {
      expect(
        await view(
          "fine",
          `SELECT t.id, upper(t.title) AS t, coalesce(t.title, '') AS c, count(*) OVER () AS n, to_char((now() AT TIME ZONE 'UTC'), 'YYYY') AS y,
                  (SELECT count(*) FROM ${schema}.open) AS o, CAST(t.id AS text) AS s
           FROM ${schema}.tickets t WHERE t.id IN (SELECT id FROM ${schema}.open)`,
        ),
      ).toBeNull();
    });

    it.each([
      ["catalog", "SELECT rolpassword FROM pg_authid", 'reads "pg_catalog"."pg_authid", which is not a table or view of this version'],
      [
        "statistics",
        "SELECT starelid FROM pg_statistic",
        'reads "pg_catalog"."pg_statistic", which is not a table or view of this version',
      ],
      [
        "nested",
        `SELECT id FROM ${schema}.tickets WHERE EXISTS (SELECT 1 FROM pg_shadow)`,
        'reads "pg_catalog"."pg_shadow", which is not a table or view of this version',
      ],
      ["other_schema", `SELECT * FROM ${PRIVATE}.secrets`, `reads "${PRIVATE}"."secrets", which is not a table or view of this version`],
      [
        "sleeps",
        `SELECT CASE WHEN pg_sleep(1) IS NULL THEN 1 END AS x`,
        'calls "pg_catalog"."pg_sleep"(), which is not one of the functions a view may call',
      ],
      ["lists", `SELECT * FROM pg_ls_dir('.') AS f`, 'calls "pg_catalog"."pg_ls_dir"(), which is not one of the functions a view may call'],
      [
        "aggregates",
        `SELECT string_agg(title, ',') AS x FROM ${schema}.tickets`,
        'calls "pg_catalog"."string_agg"(), which is not one of the functions a view may call',
      ],
    ])("refuses a view that reaches beyond its version: %s", async (name, select, reason) => {
      expect(await view(name, select)).toBe(reason);
    });
  });

  describe("security_invoker on the stable views of an export's views", () => {
    const prefix = `inv_${tag}`;
    let version: string;
    const readerUrl = () => {
      const url = new URL(database.url);
      url.username = READER;
      return url.toString();
    };

    beforeAll(async () => {
      const file = sqliteFile(
        tmp.dir,
        "invoker",
        `CREATE TABLE tickets (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO tickets VALUES (1, 'a'), (2, 'b');
         CREATE VIEW open_tickets AS SELECT id, title FROM tickets WHERE id > 1;`,
      );
      // The default setup: the migrator is the superuser, whose views could read every catalog.
      const report = await migrate({
        ...options.migrateOptions,
        sourcePath: file,
        databaseUrl: database.url,
        schemaPrefix: prefix,
        backupDirectory: path.join(tmp.dir, "b"),
      });
      version = report.schema!;
      // Views no check refused: as a version written before these checks holds them, owned by the migrator, without security_invoker.
      await queryRows(
        database.url,
        `CREATE VIEW ${quoteIdent(version)}.leak AS SELECT rolname, rolpassword FROM pg_authid;
         CREATE VIEW ${quoteIdent(version)}.leak_private AS SELECT value FROM ${PRIVATE}.secrets;
         SELECT ${quoteIdent(`${prefix}_control`)}.switch_to($1)`.replace("$1", `'${version}'`),
      );
      await queryRows(
        database.url,
        `GRANT USAGE ON SCHEMA ${quoteIdent(prefix)} TO ${READER}; GRANT SELECT ON ALL TABLES IN SCHEMA ${quoteIdent(prefix)} TO ${READER}`,
      );
    });

    it("serves the reader the legitimate view, over the stable views of its tables", async () => {
      expect(await queryRows(readerUrl(), `SELECT id, title FROM ${quoteIdent(prefix)}.open_tickets`)).toEqual([{ id: "2", title: "b" }]);
      const [definition] = await queryRows<{ options: string[]; reads: string }>(
        database.url,
        `SELECT c.reloptions AS options, (SELECT string_agg(DISTINCT rn.nspname || '.' || rc.relname, ',') FROM pg_depend d
           JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class rc ON rc.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
           WHERE r.ev_class = c.oid AND rc.oid <> c.oid) AS reads
         FROM pg_class c WHERE c.oid = $1::regclass`,
        [`${quoteIdent(prefix)}.open_tickets`],
      );
      expect(definition).toEqual({ options: ["security_invoker=true"], reads: `${prefix}.tickets` });
    });

    it("hands the reader nothing of pg_authid or another schema through a view the checks never saw", async () => {
      await expect(queryRows(readerUrl(), `SELECT * FROM ${quoteIdent(prefix)}.leak`)).rejects.toThrow(
        "permission denied for table pg_authid",
      );
      await expect(queryRows(readerUrl(), `SELECT * FROM ${quoteIdent(prefix)}.leak_private`)).rejects.toThrow(
        "permission denied for table secrets",
      );
      // Its owner still reads it: the reader's rights decide, not the view's.
      expect((await queryRows(database.url, `SELECT count(*) AS n FROM ${quoteIdent(prefix)}.leak_private`))[0]).toEqual({ n: "1" });
    });
  });
}
