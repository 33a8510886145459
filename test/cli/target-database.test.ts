/**
 * The CLI never falls back on the maintenance database: with no database
 * named (no --database-url, $DATABASE_URL or PGDATABASE) it refuses with
 * DATABASE_NOT_NAMED and says how to name one, also when a URL or PG*
 * leave the database to PostgreSQL's default (the user's name); naming
 * postgres explicitly works, and PGDATABASE or $DATABASE_URL name one.
 */
import { useTestDatabase, withDatabase } from "../support/database";
import { writeSqlite } from "../support/sqlite";
import { scratchDir } from "../reliability/support";
import { cli, lastLine } from "./support";

const HOW = "name the database in the URL (--database-url postgresql://user@host:5432/servicedesk, or $DATABASE_URL) or in PGDATABASE";

describe("the target database must be named", () => {
  const database = useTestDatabase("cli_target");
  let scratch: ReturnType<typeof scratchDir>;
  let server: URL;

  beforeAll(() => {
    scratch = scratchDir("cli-target");
    server = new URL(database.url);
  });

  afterAll(() => scratch?.cleanup());

  test("nothing names a database: refused, saying how to name one, before connecting", async () => {
    for (const args of [["versions"], ["migrate", "--source", "missing.sqlite"], ["rollback"], ["prune"]]) {
      const result = await cli(args);
      expect({ args, status: result.status, message: lastLine(result.stderr) }).toEqual({
        args,
        status: 1,
        message: `servicedesk-migrate: failed [DATABASE_NOT_NAMED]: no database is named: ${HOW}`,
      });
    }
  });

  test("a URL without a database, or PG* without PGDATABASE: the implicit maintenance database is refused", async () => {
    const withoutDatabase = `postgresql://postgres@${server.host}`;
    const viaFlag = await cli(["versions", "--database-url", withoutDatabase]);
    const viaEnv = await cli(["versions"], { env: { DATABASE_URL: `${withoutDatabase}/` } });
    const viaPg = await cli(["versions"], { env: { PGHOST: server.hostname, PGPORT: server.port || "5432", PGUSER: "postgres" } });
    for (const result of [viaFlag, viaEnv, viaPg]) {
      expect(result.status).toBe(1);
      expect(lastLine(result.stderr)).toBe(
        `servicedesk-migrate: failed [DATABASE_NOT_NAMED]: the connection names no database, so PostgreSQL would use the maintenance database "postgres": ${HOW}`,
      );
    }
    const otherUser = await cli(["versions", "--database-url", `postgresql://alice@${server.host}`]);
    expect(lastLine(otherUser.stderr)).toContain('would use the database named after the user, "alice"');
  });

  test("the maintenance database named explicitly is used", async () => {
    const result = await cli([
      "versions",
      "--database-url",
      withDatabase(database.url, "postgres"),
      "--schema-prefix",
      "sdnothere",
      "--json",
    ]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ active: null, previous: null, versions: [] });
  });

  test("PGDATABASE, a database in $DATABASE_URL, and PGDATABASE under a URL without one all name the database", async () => {
    const tiny = writeSqlite(
      scratch.path("tiny.sqlite"),
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes VALUES (1, 'a');",
    );
    const loaded = await cli(["migrate", "--source", tiny, "--schema-prefix", "sdnamed", "--mode", "simple", "--quiet", "--json"], {
      env: { DATABASE_URL: database.url },
      cwd: scratch.dir,
    });
    expect(loaded.status).toBe(0);
    const schema = JSON.parse(loaded.stdout).schema as string;
    const listed = (result: { status: number | null; stdout: string }) => ({
      status: result.status,
      active: result.status === 0 ? JSON.parse(result.stdout).active : result.stdout,
    });
    const pg = { PGHOST: server.hostname, PGPORT: server.port || "5432", PGUSER: "postgres", PGDATABASE: database.db.name };
    expect(listed(await cli(["versions", "--schema-prefix", "sdnamed", "--json"], { env: pg }))).toEqual({ status: 0, active: schema });
    const bare = `postgresql://postgres@${server.host}`;
    expect(
      listed(
        await cli(["versions", "--schema-prefix", "sdnamed", "--json", "--database-url", bare], { env: { PGDATABASE: database.db.name } }),
      ),
    ).toEqual({ status: 0, active: schema });
  });
});
