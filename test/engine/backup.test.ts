/**
 * Backups with the real pg_dump and pg_restore: the file on disk (mode,
 * name, contents listed by pg_restore --list), the schema restored after a
 * drop, failures with clear messages, and no password on any command line.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { DEFAULTS } from "../../engine/defaults";
import { MigrationError } from "../../engine/errors";
import {
  backupSchema,
  BackupProgress,
  dumpFileName,
  pgConnectionEnv,
  pgDumpInvocation,
  pgRestoreInvocation,
  restoreCommand,
  restoreSchema,
} from "../../engine/backup";
import { useTestDatabase } from "../support/database";

const clients: Client[] = [];
// Declared before useTestDatabase: after-all hooks run in declaration order, and the database is dropped in its hook.
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
});
const database = useTestDatabase("backup");
const SCHEMA = "servicedesk_v20250301_141503";
const TICKETS = 3000;
const LINES = 4500;
const PASSWORD = "pa:ss/w@rd's-s3cret";

let client: Client;
let workDir: string;

/** The test database's URL with a password added: trust authentication ignores it, so it must only never leak. */
function urlWithPassword(): string {
  const url = new URL(database.url);
  url.password = encodeURIComponent(PASSWORD);
  return url.toString();
}

async function rowCounts(): Promise<{ tickets: number; lines: number }> {
  const { rows } = await client.query(
    `SELECT (SELECT count(*) FROM "${SCHEMA}"."tickets") AS "tickets", (SELECT count(*) FROM "${SCHEMA}"."Order Lines") AS "lines"`,
  );
  return { tickets: Number(rows[0].tickets), lines: Number(rows[0].lines) };
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), "servicedesk-backup-"));
  client = new Client({ connectionString: database.url });
  await client.connect();
  clients.push(client);
  await client.query(`CREATE SCHEMA "${SCHEMA}"`);
  await client.query(`COMMENT ON SCHEMA "${SCHEMA}" IS '{"tool":"servicedesk-migration"}'`);
  await client.query(`CREATE TABLE "${SCHEMA}"."tickets" ("id" int PRIMARY KEY, "title" text NOT NULL)`);
  await client.query(`CREATE TABLE "${SCHEMA}"."Order Lines" ("id" int PRIMARY KEY, "ticket_id" int REFERENCES "${SCHEMA}"."tickets")`);
  await client.query(`INSERT INTO "${SCHEMA}"."tickets" SELECT i, 'printer on floor ' || i FROM generate_series(1, $1) i`, [TICKETS]);
  await client.query(`INSERT INTO "${SCHEMA}"."Order Lines" SELECT i, 1 + i % $2 FROM generate_series(1, $1) i`, [LINES, TICKETS]);
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe("connection environment and command lines", () => {
  it("turns the URL into PG* variables", () => {
    expect(pgConnectionEnv(`postgresql://us%40er:${encodeURIComponent(PASSWORD)}@db.example:6543/my%20db?sslmode=require`)).toEqual({
      PGHOST: "db.example",
      PGPORT: "6543",
      PGUSER: "us@er",
      PGPASSWORD: PASSWORD,
      PGDATABASE: "my db",
      PGSSLMODE: "require",
    });
    expect(pgConnectionEnv("postgres://[::1]/x")).toEqual({ PGHOST: "::1", PGDATABASE: "x" });
    expect(pgConnectionEnv("postgresql:///x?host=/var/run/postgresql")).toEqual({ PGHOST: "/var/run/postgresql", PGDATABASE: "x" });
  });

  it("never echoes a malformed URL, which may hold a password", () => {
    expect(() => pgConnectionEnv(`not a url ${PASSWORD}`)).toThrow(/^databaseUrl: /);
    expect(() => pgConnectionEnv(`not a url ${PASSWORD}`)).not.toThrow(PASSWORD);
    expect(() => pgConnectionEnv(`mysql://u:${PASSWORD}@h/db`)).toThrow(/^databaseUrl: /);
  });

  it("keeps the password and the URL off the argument lists", () => {
    const url = urlWithPassword();
    const dump = pgDumpInvocation(url, 'Odd "Schema".*', { codec: "gzip", level: 1 }, 15);
    expect(dump.niceness).toBe(10);
    expect(dump.args).toEqual(["--format=custom", '--schema="Odd ""Schema"".*"', "--strict-names", "--compress=1", "--no-password"]);
    const restore = pgRestoreInvocation(url, "/backups/x.dump");
    expect(restore.args).toEqual([
      "--clean",
      "--if-exists",
      "--no-owner",
      "--single-transaction",
      "--no-password",
      `--dbname=dbname='${database.db.name}'`,
      "/backups/x.dump",
    ]);
    for (const invocation of [dump, restore]) {
      expect(invocation.env.PGPASSWORD).toBe(PASSWORD);
      expect(invocation.args.join(" ")).not.toContain("s3cret");
      expect(invocation.args.join(" ")).not.toContain("postgresql:");
    }
    expect(() => pgDumpInvocation(url, SCHEMA, { codec: "zstd", level: null }, 15)).toThrow(
      expect.objectContaining({ code: "BACKUP_CODEC_UNSUPPORTED" }),
    );
  });

  it("writes the restore command with the connection left to $DATABASE_URL", () => {
    expect(restoreCommand("/b/it's.dump")).toBe(
      `pg_restore --clean --if-exists --no-owner --single-transaction -d "$DATABASE_URL" '/b/it'\\''s.dump'`,
    );
  });

  it("names dumps <schema>_<YYYYMMDDTHHMMSSZ>.dump in UTC", () => {
    expect(dumpFileName(SCHEMA, new Date("2025-03-01T14:15:03.456-01:00"))).toBe(`${SCHEMA}_20250301T151503Z.dump`);
    expect(dumpFileName("../x/y", new Date("2025-03-01T00:00:00Z"))).toBe("___x_y_20250301T000000Z.dump");
  });
});

describe("backupSchema and restoreSchema", () => {
  let file: string;

  it("dumps the schema into a 0600 file in a new 0700 directory, pg_dump seeing no password in its argv", async () => {
    // A pg_dump ahead on PATH records the argv and environment it was given, then runs the real one.
    const fakeBin = path.join(workDir, "bin");
    mkdirSync(fakeBin);
    const realPgDump = execFileSync("sh", ["-c", "command -v pg_dump"], { encoding: "utf8" }).trim();
    writeFileSync(
      path.join(fakeBin, "pg_dump"),
      // The niceness is read after a pause: the engine lowers it just after the spawn.
      `#!/bin/sh\n[ "$1" = --version ] && exec "${realPgDump}" --version\nprintf '%s\\n' "$@" > "${workDir}/argv"\nenv > "${workDir}/env"\nsleep 0.5\nps -o ni= -p $$ > "${workDir}/niceness"\nexec "${realPgDump}" "$@"\n`,
      { mode: 0o755 },
    );
    const directory = path.join(workDir, "backups", "nested");
    const progress: BackupProgress[] = [];
    const savedPath = process.env.PATH;
    process.env.PATH = `${fakeBin}:${savedPath}`;
    let result;
    try {
      result = await backupSchema({ databaseUrl: urlWithPassword(), schema: SCHEMA, directory, onProgress: (p) => progress.push(p) });
    } finally {
      process.env.PATH = savedPath;
    }
    file = result.file;

    expect(path.dirname(file)).toBe(directory);
    expect(path.basename(file)).toMatch(new RegExp(`^${SCHEMA}_\\d{8}T\\d{6}Z\\.dump$`));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    expect(result.bytes).toBe(statSync(file).size);
    expect(result.bytes).toBeGreaterThan(1000);
    expect(progress[progress.length - 1]).toEqual({ bytes: result.bytes, seconds: result.seconds });

    const argv = readFileSync(path.join(workDir, "argv"), "utf8");
    // The default, gzip:1, as pg_dump 15 spells it.
    expect(DEFAULTS.backupCompression).toBe("gzip:1");
    expect(argv.split("\n")).toContain("--compress=1");
    expect(argv).not.toContain("s3cret");
    expect(argv).not.toContain("postgresql:");
    expect(readFileSync(path.join(workDir, "env"), "utf8")).toContain(`PGPASSWORD=${PASSWORD}`);
    // Its compression yields the cores to the load it runs beside.
    expect(Number(readFileSync(path.join(workDir, "niceness"), "utf8").trim())).toBe(10);
  });

  it("holds the schema's tables and data, as pg_restore --list shows", () => {
    const list = execFileSync("pg_restore", ["--list", file], { encoding: "utf8" });
    expect(list).toMatch(new RegExp(`TABLE ${SCHEMA} tickets `));
    expect(list).toMatch(new RegExp(`TABLE ${SCHEMA} Order Lines `));
    expect(list).toMatch(new RegExp(`TABLE DATA ${SCHEMA} tickets `));
    expect(list).toMatch(new RegExp(`TABLE DATA ${SCHEMA} Order Lines `));
    expect(list).toMatch(new RegExp(`COMMENT - SCHEMA ${SCHEMA} `));
  });

  it("brings a dropped schema back with equal row counts and its comment", async () => {
    const before = await rowCounts();
    await client.query(`DROP SCHEMA "${SCHEMA}" CASCADE`);
    await restoreSchema({ databaseUrl: urlWithPassword(), file });
    expect(await rowCounts()).toEqual(before);
    expect(before).toEqual({ tickets: TICKETS, lines: LINES });
    const { rows } = await client.query(`SELECT obj_description($1::regnamespace, 'pg_namespace') AS c`, [SCHEMA]);
    expect(rows[0].c).toBe('{"tool":"servicedesk-migration"}');
  });

  it("restores over the existing schema, replacing its rows", async () => {
    await client.query(`DELETE FROM "${SCHEMA}"."Order Lines" WHERE id > 10`);
    await restoreSchema({ databaseUrl: database.url, file });
    expect(await rowCounts()).toEqual({ tickets: TICKETS, lines: LINES });
  });

  it("restores nothing and names the file when pg_restore fails", async () => {
    const bogus = path.join(workDir, "bogus.dump");
    writeFileSync(bogus, "not a dump");
    const error = await restoreSchema({ databaseUrl: urlWithPassword(), file: bogus }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect(error).toMatchObject({ code: "RESTORE_FAILED" });
    expect((error as Error).message).toContain(bogus);
    expect((error as Error).message).not.toContain("s3cret");
    await expect(restoreSchema({ databaseUrl: database.url, file: path.join(workDir, "missing.dump") })).rejects.toMatchObject({
      code: "RESTORE_FAILED",
    });
  });
});

describe("backup failures", () => {
  it("reports pg_dump's stderr, the schema and the directory, and leaves no partial file", async () => {
    const directory = path.join(workDir, "failing");
    const error = await backupSchema({ databaseUrl: urlWithPassword(), schema: "no_such_schema", directory }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BACKUP_FAILED" });
    const message = (error as Error).message;
    expect(message).toContain('"no_such_schema"');
    expect(message).toContain(directory);
    expect(message).toContain("no matching schemas");
    expect(message).not.toContain("s3cret");
    expect(readdirSync(directory)).toEqual([]);
  });

  it("names a directory below a regular file", async () => {
    const error = await backupSchema({ databaseUrl: database.url, schema: SCHEMA, directory: "/etc/hostname/x" }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "BACKUP_FAILED" });
    expect((error as Error).message).toContain('"/etc/hostname/x"');
    expect((error as Error).message).toContain("ENOTDIR");
    expect(existsSync("/etc/hostname/x")).toBe(false);
  });

  it("names a directory without write permission (as an unprivileged user when the tests run as root)", () => {
    const parent = mkdtempSync(path.join(tmpdir(), "servicedesk-readonly-"));
    const directory = path.join(parent, "ro");
    mkdirSync(directory);
    chmodSync(parent, 0o755);
    chmodSync(directory, 0o500);
    try {
      const outcome = runBackupAsUnprivileged(directory);
      expect(outcome).toMatchObject({ code: "BACKUP_FAILED" });
      expect(outcome.message).toContain(`"${directory}"`);
      expect(outcome.message).toContain("EACCES");
      expect(readdirSync(directory)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

/**
 * Runs backupSchema in a child process, as uid 65534 via setpriv when this
 * process is root (root writes anywhere), from the compiled engine that the
 * global setup builds into dist/.
 */
function runBackupAsUnprivileged(directory: string): { code?: string; message: string } {
  const compiled = path.resolve(__dirname, "../../dist/engine/backup/index.js");
  const script =
    `require(${JSON.stringify(compiled)}).backupSchema(${JSON.stringify({ databaseUrl: database.url, schema: SCHEMA, directory })})` +
    `.then(() => console.log(JSON.stringify({ message: "succeeded" })),` +
    ` (e) => console.log(JSON.stringify({ code: e.code, message: e.message })))`;
  const asRoot = process.getuid?.() === 0;
  const command = asRoot ? "setpriv" : process.execPath;
  const args = asRoot ? ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", script] : ["-e", script];
  const run = spawnSync(command, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`the child process failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}
