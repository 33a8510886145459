/**
 * Bad targets and hostile names through the CLI: wrong credentials, an
 * unreachable server, a role without CREATE, an unwritable or full backup
 * disk, and SQL smuggled into a prefix, an override, a time zone or the
 * export's own table and column names. Each refusal names what and where,
 * never the password, and leaves the database exactly as it was; the
 * hostile SQLite names migrate as quoted identifiers and nothing else.
 */
import { chmodSync, existsSync, readdirSync, statfsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { randomBytes } from "node:crypto";
import { migrate, MigrationError, ProgressEvent } from "../../engine";
import { queryRows, useTestDatabase, withDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { writeSqlite } from "../support/sqlite";
import {
  activeVersionOf,
  Baseline,
  CAN_MOUNT,
  databaseFingerprint,
  expectCliRefused,
  ExpectedRefusal,
  loadBaseline,
  quoteIdent,
  reportOf,
  runCli,
  schemasOf,
  scratchDir,
  tmpfsMount,
} from "./support";

const PREFIX = "sdtarget";
const PASSWORD = `pw-${randomBytes(9).toString("hex")}`;

describe("bad targets and hostile names through the CLI", () => {
  const database = useTestDatabase("bad_targets");
  let sources: SourceFolder;
  let scratch: ReturnType<typeof scratchDir>;
  let baseline: Baseline;
  let other: string;

  /** A migration of `other` into the baseline's prefix; `url` null leaves the connection to $DATABASE_URL. */
  const migrateArgs = (url: string | null, ...extra: string[]) => [
    "migrate",
    "--source",
    other,
    ...(url === null ? [] : ["--database-url", url]),
    "--schema-prefix",
    PREFIX,
    "--backup-dir",
    scratch.path("backups"),
    "--json",
    "--quiet",
    ...extra,
  ];
  const expectRefused = (args: string[], expected: ExpectedRefusal) => expectCliRefused(baseline, args, expected);
  const urlAs = (user: string, password: string, host = "127.0.0.1", port = "5432", db = database.db.name) => {
    const url = new URL(database.url);
    Object.assign(url, { username: user, password, hostname: host, port, pathname: `/${db}` });
    return url.toString();
  };

  beforeAll(async () => {
    sources = sourceFolder();
    scratch = scratchDir("bad-targets");
    baseline = await loadBaseline(database.url, PREFIX, sources.make("good.sqlite", { tickets: 300, seed: 1 }), scratch.path("backups"));
    // A different export: a run with it cannot adopt the baseline, so it reaches every step.
    other = sources.make("other.sqlite", { tickets: 300, seed: 2 }).path;
    await queryRows(
      database.url,
      "CREATE TABLE public.sentinel (v integer); INSERT INTO public.sentinel VALUES (42); CREATE TABLE public.y (v integer)",
    );
  });

  afterAll(() => {
    sources?.cleanup();
    scratch?.cleanup();
  });

  test("wrong credentials: a role that does not exist, a database that does not exist (message names user@host:port/db, never the password)", async () => {
    const where = `sdm_no_such_role@127.0.0.1:5432/${database.db.name}`;
    await expectRefused(migrateArgs(urlAs("sdm_no_such_role", PASSWORD)), {
      status: 1,
      code: "CONNECTION_FAILED",
      message: [`cannot connect to ${where}: role "sdm_no_such_role" does not exist`],
      secret: PASSWORD,
    });
    await expectRefused(migrateArgs(urlAs("postgres", PASSWORD, "localhost", "5432", "sdm_no_such_db")), {
      status: 1,
      code: "CONNECTION_FAILED",
      message: ['cannot connect to postgres@localhost:5432/sdm_no_such_db: database "sdm_no_such_db" does not exist'],
      secret: PASSWORD,
    });
    // From the environment, as pipelines pass it.
    await expectCliRefused(
      baseline,
      migrateArgs(null),
      {
        status: 1,
        code: "CONNECTION_FAILED",
        message: [`cannot connect to ${where}`],
        secret: PASSWORD,
      },
      { env: { DATABASE_URL: urlAs("sdm_no_such_role", PASSWORD) } },
    );
  });

  test("the URL of another kind of database is refused before any connection, naming the scheme", async () => {
    const mysql = urlAs("postgres", PASSWORD).replace(/^postgres(ql)?:/, "mysql:");
    await expectRefused(migrateArgs(mysql), {
      status: 1,
      code: "CONNECTION_FAILED",
      secret: PASSWORD,
      message: [`invalid connection URL postgres@127.0.0.1:5432/${database.db.name}: the scheme is mysql:// but must be postgresql://`],
    });
  });

  test("an unreachable server: a closed port, a host that does not resolve", async () => {
    await expectRefused(migrateArgs(urlAs("postgres", PASSWORD, "127.0.0.1", "1")), {
      status: 1,
      code: "CONNECTION_FAILED",
      message: [`cannot connect to postgres@127.0.0.1:1/${database.db.name}: connect ECONNREFUSED 127.0.0.1:1`],
      secret: PASSWORD,
    });
    await expectRefused(migrateArgs(urlAs("postgres", PASSWORD, "sdm-no-such-host.invalid")), {
      status: 1,
      code: "CONNECTION_FAILED",
      message: [`cannot connect to postgres@sdm-no-such-host.invalid:5432/${database.db.name}`, "ENOTFOUND"],
      secret: PASSWORD,
    });
  });

  test("a role without CREATE on the database (CONNECT only)", async () => {
    const role = `sdm_nocreate_${randomBytes(3).toString("hex")}`;
    await queryRows(
      database.url,
      `CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'; GRANT CONNECT ON DATABASE ${quoteIdent(database.db.name)} TO ${role}`,
    );
    try {
      await expectRefused(migrateArgs(urlAs(role, PASSWORD)), {
        status: 1,
        code: "PERMISSION_DENIED",
        secret: PASSWORD,
        message: [
          `role "${role}" cannot create schemas in database "${database.db.name}"`,
          `GRANT CREATE ON DATABASE "${database.db.name}" TO "${role}"`,
        ],
      });
    } finally {
      await queryRows(database.url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
    }
  });

  test("an unwritable backup directory: the health check blocks before the canary or the load write anything", async () => {
    const readOnly = tmpfsMount("1g", { readOnly: true });
    try {
      // Without mount (not root) a folder without write permission is what an unprivileged user meets.
      if (!readOnly.mounted) chmodSync(readOnly.dir, 0o500);
      const result = await expectRefused(migrateArgs(database.url, "--backup-dir", readOnly.dir), {
        status: 2,
        code: "GATE_BLOCKED",
        // The prefix's folder, not yet created: the nearest existing folder above it is probed.
        message: [`critical: the backup directory ${readOnly.dir}/${PREFIX} cannot be written`, readOnly.mounted ? "EROFS" : "EACCES"],
      });
      expect(reportOf(result).quality!.findings).toEqual(
        expect.arrayContaining([expect.objectContaining({ check: "disk_space", severity: "critical" })]),
      );
      expect(readdirSync(readOnly.dir)).toEqual([]);
    } finally {
      readOnly.cleanup();
    }
  });

  // A small disk needs a small filesystem: where mount is not permitted the case is reported as skipped, never passed.
  (CAN_MOUNT ? test : test.skip)(
    "a backup disk too small (2 MB): the health check blocks with a disk message before anything is written",
    async () => {
      const small = tmpfsMount("2m");
      try {
        expect(small.mounted).toBe(true);
        const result = await expectRefused(migrateArgs(database.url, "--backup-dir", `${small.dir}/backups`), {
          status: 2,
          code: "GATE_BLOCKED",
          message: [
            new RegExp(
              `critical: only 2 MiB free in ${small.dir}/backups/${PREFIX}; the backup needs about \\d+ MiB and scratch files about \\d+ MiB, plus 256 MiB spare`,
            ),
          ],
        });
        const report = reportOf(result);
        expect(report.outcome).toBe("blocked");
        // Only the blocked run's report files were written (no backup, no scratch).
        expect(readdirSync(small.dir)).toEqual(["backups"]);
        expect(readdirSync(path.join(small.dir, "backups"))).toEqual(["reports"]);
        expect(readdirSync(path.join(small.dir, "backups", "reports")).every((f) => /\.(json|md)$/.test(f))).toBe(true);
      } finally {
        small.cleanup();
      }
    },
  );

  (CAN_MOUNT ? test : test.skip)(
    "a backup disk that fills up during pg_dump: BACKUP_FAILED, no new version committed, no partial dump, the stable schema untouched",
    async () => {
      const prefix = "sdfull";
      // Incompressible bytes: the dump is about as large as the table.
      const blobs = (file: string, rows: number) =>
        writeSqlite(scratch.path(file), "CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)", (db) => {
          const insert = db.prepare("INSERT INTO blobs VALUES (?, ?)");
          for (let id = 1; id <= rows; id++) insert.run(id, randomBytes(64 * 1024));
        });
      const first = await migrate({
        sourcePath: blobs("blobs-1.sqlite", 16),
        databaseUrl: database.url,
        schemaPrefix: prefix,
        mode: "simple",
        // Its scratch folder goes beside the backups: in the test's folder, not the working directory.
        backupDirectory: scratch.path("backups"),
      });
      // Room for the health check's estimate, whatever its ratio; the disk is filled by "someone else" once the backup starts.
      const disk = tmpfsMount("8m");
      expect(disk.mounted).toBe(true);
      const filler = path.join(disk.dir, "someone-else.bin");
      const fillOnBackup = (event: ProgressEvent) => {
        if (event.phase !== "backup" || existsSync(filler)) return;
        const free = statfsSync(disk.dir).bavail * statfsSync(disk.dir).bsize;
        writeFileSync(filler, Buffer.alloc(free - 64 * 1024));
      };
      try {
        const before = await databaseFingerprint(database.url);
        const error = await migrate({
          sourcePath: blobs("blobs-2.sqlite", 17),
          databaseUrl: database.url,
          schemaPrefix: prefix,
          backupDirectory: disk.dir,
          minFreeDiskBytes: 0,
          onProgress: fillOnBackup,
        }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(MigrationError);
        expect({ code: (error as MigrationError).code, message: (error as Error).message }).toEqual({
          code: "BACKUP_FAILED",
          message: expect.stringMatching(
            new RegExp(`backup of schema "${first.schema}" into directory "${disk.dir}/${prefix}" failed: .*ENOSPC`),
          ),
        });
        expect(await databaseFingerprint(database.url)).toEqual(before);
        expect(await activeVersionOf(database.url, prefix)).toBe(first.schema);
        expect(await schemasOf(database.url, prefix)).toEqual([prefix, `${prefix}_control`, first.schema!].sort());
        // The run's scratch folder is gone, and the emptied scratch root with it; the prefix's folder remains.
        expect(readdirSync(disk.dir).sort()).toEqual([prefix, "someone-else.bin"]);
        expect(existsSync(path.join(disk.dir, prefix, "scratch"))).toBe(false);
      } finally {
        disk.cleanup();
      }
    },
  );

  test("SQL in the schema prefix, a type override or a time zone is refused by validation", async () => {
    await expectRefused(migrateArgs(database.url, "--schema-prefix", 'x"; drop table y; --'), {
      status: 1,
      code: "INVALID_OPTION",
      message: ['schemaPrefix: "x"; drop table y; --" must start with a lowercase letter or underscore'],
    });
    await expectRefused(migrateArgs(database.url, "--type", "tickets.title=text); DROP TABLE public.sentinel; --"), {
      status: 1,
      code: "INVALID_OPTION",
      message: ['typeOverrides.tickets.title: unknown type "text); DROP TABLE public.sentinel; --"'],
    });
    await expectRefused(migrateArgs(database.url, "--timezone", "UTC'; DROP TABLE public.sentinel; --"), {
      status: 1,
      code: "INVALID_OPTION",
      message: [`timezone: "UTC'; DROP TABLE public.sentinel; --" is not an IANA time zone name`],
    });
    expect(await queryRows(database.url, "SELECT v FROM public.sentinel")).toEqual([{ v: 42 }]);
  });

  test("a SQLite table and columns named to inject SQL migrate as quoted identifiers, and nothing else happens", async () => {
    const table = 't"; DROP SCHEMA public; --';
    const child = 'child "x"';
    const file = writeSqlite(
      scratch.path("hostile.sqlite"),
      `
      CREATE TABLE ${quoteIdent(table)} (id INTEGER PRIMARY KEY, "col ""quoted""" TEXT, "with space" INTEGER DEFAULT 0, "it's" TEXT DEFAULT 'o''brien; DROP TABLE public.sentinel; --');
      INSERT INTO ${quoteIdent(table)} VALUES (1, 'a"b', 5, 'x'), (2, ''';DROP TABLE public.sentinel;--', 6, 'y');
      INSERT INTO ${quoteIdent(table)} (id, "col ""quoted""", "with space") VALUES (3, NULL, 7);
      CREATE TABLE ${quoteIdent(child)} (id INTEGER PRIMARY KEY, "parent id" INTEGER REFERENCES ${quoteIdent(table)}(id));
      INSERT INTO ${quoteIdent(child)} VALUES (1, 1), (2, 2);
      CREATE INDEX "idx""; DROP TABLE public.sentinel; --" ON ${quoteIdent(table)} ("with space");`,
    );
    const outside = async () => Object.entries(await databaseFingerprint(database.url)).filter(([key]) => !/^\w+ sdinj/.test(key));
    const before = await outside();
    const result = await runCli([
      "migrate",
      "--source",
      file,
      "--database-url",
      database.url,
      "--schema-prefix",
      "sdinj",
      "--mode",
      "simple",
      "--json",
      "--quiet",
    ]);
    expect(result.status).toBe(0);
    const version = reportOf(result).schema!;
    expect(await outside()).toEqual(before);
    expect(await queryRows(database.url, "SELECT v FROM public.sentinel")).toEqual([{ v: 42 }]);
    const columns = await queryRows(
      database.url,
      `SELECT table_name, column_name, data_type, column_default FROM information_schema.columns WHERE table_schema = $1 AND table_name <> '_rejects' ORDER BY table_name, ordinal_position`,
      [version],
    );
    expect(columns).toEqual([
      { table_name: child, column_name: "id", data_type: "bigint", column_default: null },
      { table_name: child, column_name: "parent id", data_type: "bigint", column_default: null },
      { table_name: table, column_name: "id", data_type: "bigint", column_default: null },
      { table_name: table, column_name: 'col "quoted"', data_type: "text", column_default: null },
      { table_name: table, column_name: "with space", data_type: "bigint", column_default: "'0'::bigint" },
      { table_name: table, column_name: "it's", data_type: "text", column_default: "'o''brien; DROP TABLE public.sentinel; --'::text" },
    ]);
    const rows = await queryRows(withDatabase(database.url, database.db.name), `SELECT * FROM "sdinj".${quoteIdent(table)} ORDER BY id`);
    expect(rows).toEqual([
      { id: "1", 'col "quoted"': 'a"b', "with space": "5", "it's": "x" },
      { id: "2", 'col "quoted"': "';DROP TABLE public.sentinel;--", "with space": "6", "it's": "y" },
      { id: "3", 'col "quoted"': null, "with space": "7", "it's": "o'brien; DROP TABLE public.sentinel; --" },
    ]);
    const indexes = await queryRows(database.url, "SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1", [version]);
    expect(indexes.map((r) => r.indexname)).toEqual([`${child}_pkey`, 'idx"; DROP TABLE public.sentinel; --', `${table}_pkey`]);
    const fks = await queryRows(
      database.url,
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'f' AND connamespace = $1::regnamespace",
      [version],
    );
    expect(fks).toEqual([{ def: `FOREIGN KEY ("parent id") REFERENCES ${version}."t""; DROP SCHEMA public; --"(id)` }]);
  });
});
