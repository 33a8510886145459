/**
 * The suite behind test/security/untrusted-export.test.ts (PostgreSQL 15)
 * and the version matrix (test/versions): the same cases against any
 * server, with the options the server needs (no pg_dump for 16-18 here).
 *
 * The adversarial corpus (adversarial-exports.ts), each export migrated in
 * complete mode (the default), once by a migrator with the least rights the
 * README documents (LOGIN, CONNECT and CREATE on the database) and once by
 * a superuser, the default setup's `postgres`, whose view would read every
 * catalog. After each run, a reporting role with USAGE on the stable schema
 * and SELECT on its views (what `reportingRole` grants) reads everything
 * the stable schema serves:
 *   - a run that loads serves exactly the legitimate views, each returning
 *     SQLite's rows; every refused view is absent from the version and the
 *     stable schema, named in views.failed and in a view_refused finding;
 *   - nothing the reader can read holds a role's password hash or a value
 *     of a table the reader has no grant on (its statistics included);
 *   - a run that cannot load ends with its coded error and changes nothing
 *     in the database: no version, no staging or canary schema, no view.
 * The CLI runs one of each (a refusal, a corrupt file) for its exit status.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { migrate, MigrateOptions, MigrationError, MigrationReport } from "../../engine";
import { generateServicedeskDatabase } from "../../engine/generate";
import { quoteIdent } from "../../engine/sql/identifiers";
import { queryRows, useTestDatabase, withDatabase } from "../support/database";
import { postgresViewRows, sqliteViewRows } from "../support/view-rows";
import { useTempDir } from "../engine/engine-fixtures";
import { databaseFingerprint } from "../reliability/support/database-state";
import { runCli } from "../reliability/support/cli";
import { writeSqlite } from "../support/sqlite";
import { ADVERSARIAL_CASES, CaseContext, Expected } from "./adversarial-exports";

export interface SecurityCorpusOptions {
  /** Appended to the database's and folder's labels. */
  readonly label: string;
  /** The server's maintenance URL; the tests' server when absent. */
  readonly server?: () => string;
  /** Options every migrate() of the corpus takes (backup: "none" where no pg_dump dumps the server). */
  readonly migrateOptions: Partial<MigrateOptions>;
  /** Flags every CLI migrate of the corpus takes. */
  readonly cliFlags: readonly string[];
}

export function securityCorpus(options: SecurityCorpusOptions): void {
  const database = useTestDatabase(`untrusted${options.label}`, options.server);
  const tmp = useTempDir(`untrusted${options.label}`);
  const tag = randomBytes(3).toString("hex");
  const MIGRATOR = `sdm_migrator_${tag}`;
  const READER = `sdm_reader_${tag}`;
  const VICTIM = `sdm_victim_${tag}`;
  const PRIVATE = `sdm_private_${tag}`;
  const SECRET = `top-secret-${tag}`;

  const urlAs = (role: string) => {
    const url = new URL(database.url);
    url.username = role;
    return url.toString();
  };

  beforeAll(async () => {
    const admin = database.url;
    await queryRows(admin, `CREATE ROLE ${MIGRATOR} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS`);
    await queryRows(admin, `CREATE ROLE ${READER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT`);
    // A password hash in pg_authid that no view may hand out.
    await queryRows(admin, `CREATE ROLE ${VICTIM} LOGIN PASSWORD 'victim-${tag}'`);
    await queryRows(admin, `REVOKE ALL ON DATABASE ${quoteIdent(database.db.name)} FROM PUBLIC; REVOKE ALL ON SCHEMA public FROM PUBLIC`);
    await queryRows(admin, `GRANT CONNECT, CREATE ON DATABASE ${quoteIdent(database.db.name)} TO ${MIGRATOR}`);
    await queryRows(admin, `GRANT CONNECT ON DATABASE ${quoteIdent(database.db.name)} TO ${READER}`);
    // Someone else's table the migrator may read and the reader may not, with statistics of its values.
    await queryRows(
      admin,
      `CREATE SCHEMA ${PRIVATE}; CREATE TABLE ${PRIVATE}.secrets (value text);
       INSERT INTO ${PRIVATE}.secrets SELECT '${SECRET}' FROM generate_series(1, 100); ANALYZE ${PRIVATE}.secrets;
       GRANT USAGE ON SCHEMA ${PRIVATE} TO ${MIGRATOR}; GRANT SELECT ON ${PRIVATE}.secrets TO ${MIGRATOR}`,
    );
  });

  afterAll(async () => {
    // The roles own the versions: the database goes first (useTestDatabase drops it), so drop what they own here.
    for (const role of [MIGRATOR, READER, VICTIM]) {
      await queryRows(database.url, `DROP OWNED BY ${role} CASCADE`).catch(() => undefined);
      await queryRows(withDatabase(database.url, "postgres"), `DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    }
  });

  /** What the reporting role is granted on a stable schema, as the ServicedeskDatabase component grants it. */
  async function grantReader(migratorUrl: string, owner: string, prefix: string): Promise<void> {
    await queryRows(
      migratorUrl,
      `GRANT USAGE ON SCHEMA ${quoteIdent(prefix)} TO ${READER};
       GRANT SELECT ON ALL TABLES IN SCHEMA ${quoteIdent(prefix)} TO ${READER};
       ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(owner)} IN SCHEMA ${quoteIdent(prefix)} GRANT SELECT ON TABLES TO ${READER}`,
    );
  }

  /** Every relation of a schema, by kind. */
  async function relationsOf(schema: string): Promise<{ name: string; kind: string; options: string[] | null }[]> {
    return queryRows(
      database.url,
      `SELECT c.relname AS name, c.relkind::text AS kind, c.reloptions AS options FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'v') ORDER BY 1`,
      [schema],
    );
  }

  /** Every value of every relation the reader can read in the stable schema, as text; fails if any read is refused. */
  async function everythingTheReaderSees(prefix: string): Promise<string> {
    const seen: string[] = [];
    for (const { name } of await relationsOf(prefix)) {
      const rows = await queryRows<{ row: string }>(
        urlAs(READER),
        `SELECT t::text AS row FROM ${quoteIdent(prefix)}.${quoteIdent(name)} t`,
      );
      seen.push(...rows.map((r) => r.row));
    }
    return seen.join("\n");
  }

  async function prefixSchemas(prefix: string): Promise<string[]> {
    const rows = await queryRows<{ nspname: string }>(
      database.url,
      `SELECT nspname FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $1 || '_') ORDER BY 1`,
      [prefix],
    );
    return rows.map((r) => r.nspname);
  }

  async function expectLoaded(report: MigrationReport, expected: Extract<Expected, { outcome: "loaded" }>, file: string, prefix: string) {
    expect(report.outcome).toBe("loaded");
    const refused = expected.refused ?? {};
    const failed = expected.failed ?? {};
    expect([...report.views!.created].sort()).toEqual([...expected.created].sort());
    expect(Object.fromEntries(report.views!.failed.map((f) => [f.name, { error: f.error, refused: f.refused ?? false }]))).toEqual({
      ...Object.fromEntries(Object.entries(refused).map(([name, error]) => [name, { error, refused: true }])),
      ...Object.fromEntries(Object.entries(failed).map(([name, error]) => [name, { error, refused: false }])),
    });
    expect(
      report
        .quality!.findings.filter((f) => f.check === "view_refused")
        .map((f) => [f.table, f.message])
        .sort(),
    ).toEqual(
      Object.entries(refused)
        .map(([name, reason]) => [name, `view "${name}" is not recreated: it ${reason}`])
        .sort(),
    );

    // The version and the stable schema hold the created views and no refused one; every export view runs with its reader's rights.
    const tables = report.tables.map((t) => t.table);
    for (const schema of [report.schema!, prefix]) {
      const relations = await relationsOf(schema);
      const views = relations.filter((r) => r.kind === "v" && !tables.includes(r.name) && r.name !== "_rejects");
      expect(views.map((v) => v.name).sort()).toEqual([...expected.created].sort());
      for (const view of views)
        expect({ view: view.name, options: view.options }).toEqual({ view: view.name, options: ["security_invoker=true"] });
    }

    // The reader reads each legitimate view and gets SQLite's rows; and nothing it reads holds a secret.
    for (const view of expected.created) expect(await postgresViewRows(urlAs(READER), prefix, view)).toEqual(sqliteViewRows(file, view));
    for (const [table, rows] of Object.entries(expected.tables ?? {})) {
      const [count] = await queryRows<{ n: string }>(urlAs(READER), `SELECT count(*) AS n FROM ${quoteIdent(prefix)}.${quoteIdent(table)}`);
      expect({ table, rows: Number(count.n) }).toEqual({ table, rows });
    }
    // A DEFAULT the export declares is a literal or SQLite's CURRENT_*, never SQL of its own.
    const defaults = await queryRows<{ expression: string }>(
      database.url,
      `SELECT pg_get_expr(d.adbin, d.adrelid) AS expression FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
      [report.schema],
    );
    for (const { expression } of defaults) expect(expression).toMatch(/^('[^']*'(::[a-z ]+)?|-?[0-9.]+|now\(\)|.*AT TIME ZONE 'UTC'.*)$/);
    for (const note of expected.notes ?? []) expect(report.notes.map((n) => n.message)).toContain(note);
    const seen = await everythingTheReaderSees(prefix);
    expect(seen).not.toMatch(/SCRAM-SHA-256\$|md5[0-9a-f]{32}/);
    expect(seen).not.toContain(SECRET);
  }

  async function expectFailedLeavingNothing(
    error: unknown,
    expected: Extract<Expected, { outcome: "failed" }>,
    before: Record<string, string>,
    prefix: string,
  ) {
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe(expected.code);
    if (expected.table !== undefined) expect((error as MigrationError).table).toBe(expected.table);
    expect(await prefixSchemas(prefix)).toEqual([]);
    expect(await databaseFingerprint(database.url)).toEqual(before);
  }

  describe.each([
    ["a least-privilege migrator", () => MIGRATOR],
    ["a superuser migrator", () => "postgres"],
  ])("as %s", (label, owner) => {
    const runner = label.startsWith("a least") ? "least" : "super";
    const context = (prefix: string): CaseContext => ({
      prefix,
      otherVersion: otherVersion,
      privateSchema: PRIVATE,
    });
    let otherVersion: string;
    const migratorUrl = () => urlAs(owner());

    beforeAll(async () => {
      // Another prefix's version, loaded by the same migrator: no view of another export may read it.
      const other = generateServicedeskDatabase({ tickets: 50, seed: 3, out: path.join(tmp.dir, `${runner}-other.sqlite`) });
      const report = await migrate({
        sourcePath: other.path,
        databaseUrl: migratorUrl(),
        schemaPrefix: `sec_${runner}_other`,
        mode: "simple",
        backupDirectory: path.join(tmp.dir, "backups"),
      });
      otherVersion = report.schema!;
    });

    it.each(ADVERSARIAL_CASES.map((c, i) => [c.name, i] as const))("%s", async (_name, index) => {
      const adversarial = ADVERSARIAL_CASES[index];
      const prefix = `sec_${runner}_${index}`;
      const file = path.join(tmp.dir, `${prefix}.sqlite`);
      adversarial.build(file, context(prefix));
      const expected = adversarial.expected(context(prefix));
      const before = await databaseFingerprint(database.url);
      let report: MigrationReport | undefined;
      let error: unknown;
      try {
        report = await migrate({
          ...options.migrateOptions,
          sourcePath: file,
          databaseUrl: migratorUrl(),
          schemaPrefix: prefix,
          backupDirectory: path.join(tmp.dir, "backups"),
        });
      } catch (caught) {
        error = caught;
      }
      if (expected.outcome === "failed") return expectFailedLeavingNothing(error, expected, before, prefix);
      expect(error).toBeUndefined();
      expect(report!.mode).toBe("complete");
      await grantReader(migratorUrl(), owner(), prefix);
      await expectLoaded(report!, expected, file, prefix);
    });

    it("leaves the reader no way to the catalogs, another schema or another prefix directly", async () => {
      for (const sql of [
        "SELECT rolpassword FROM pg_catalog.pg_authid",
        "SELECT * FROM pg_catalog.pg_statistic",
        `SELECT * FROM ${PRIVATE}.secrets`,
        `SELECT * FROM ${quoteIdent(otherVersion)}.tickets`,
      ])
        await expect(queryRows(urlAs(READER), sql)).rejects.toThrow(/permission denied/);
    });
  });

  describe("through the CLI", () => {
    it("loads an export with a view over pg_authid, refusing it, and exits 0; a corrupt export exits 1 with its code", async () => {
      const refusing = ADVERSARIAL_CASES.find((c) => c.name.startsWith("views over the catalogs"))!;
      const file = path.join(tmp.dir, "cli-catalog.sqlite");
      refusing.build(file, { prefix: "sec_cli", otherVersion: "", privateSchema: PRIVATE });
      const common = [
        "--database-url",
        urlAs(MIGRATOR),
        "--backup-dir",
        path.join(tmp.dir, "backups"),
        "--progress",
        "none",
        ...options.cliFlags,
      ];
      const loaded = await runCli(["migrate", "--source", file, "--schema-prefix", "sec_cli", ...common, "--json"]);
      expect(loaded.status).toBe(0);
      const report = JSON.parse(loaded.stdout) as MigrationReport;
      expect(report.views!.failed.find((f) => f.name === "v_catalog")).toEqual({
        name: "v_catalog",
        error: 'reads "pg_authid", which is not a table or view of the export',
        refused: true,
      });

      const corrupt = ADVERSARIAL_CASES.find((c) => c.name.startsWith("a file truncated to half"))!;
      const broken = path.join(tmp.dir, "cli-truncated.sqlite");
      corrupt.build(broken, { prefix: "sec_cli2", otherVersion: "", privateSchema: PRIVATE });
      const failed = await runCli(["migrate", "--source", broken, "--schema-prefix", "sec_cli2", ...common]);
      expect(failed.status).toBe(1);
      expect(failed.stderr).toContain(`servicedesk-migrate: failed [SOURCE_CORRUPT]: source ${broken} is corrupt or truncated`);
      expect(await prefixSchemas("sec_cli2")).toEqual([]);
    });

    it("prints a name holding terminal escape sequences as text, never as the sequence", async () => {
      const name = "evil\u001b]0;owned\u0007\u001b[2J";
      const file = path.join(tmp.dir, "cli-escapes.sqlite");
      writeSqlite(file, `CREATE TABLE "${name}" (id INTEGER PRIMARY KEY); INSERT INTO "${name}" VALUES (1);`);
      const run = await runCli(
        ["migrate", "--source", file, "--schema-prefix", "sec_cli3", "--mode", "simple", "--database-url", urlAs(MIGRATOR)].concat([
          "--backup-dir",
          path.join(tmp.dir, "backups"),
          "--progress",
          "plain",
        ]),
      );
      expect(run.status).toBe(0);
      const printed = run.stdout + run.stderr;
      // eslint-disable-next-line no-control-regex
      expect(printed).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(run.stdout).toContain("evil\\x1b]0;owned\\x07\\x1b[2J");
      const [count] = await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM sec_cli3.${quoteIdent(name)}`);
      expect(count.n).toBe("1");
    });
  });
}
