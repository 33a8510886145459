/**
 * Parallel table streams, in the default mode (complete): two streams load
 * what one loads, value for value, reject for reject, key for key (the
 * export's defects make tickets reject rows that comments and timesheets
 * refer to while they load beside it); a failure in one stream stops the
 * others and leaves no version, no staging schema and no session; a
 * staging schema a killed run left is dropped by the next run, and one
 * that is not ours is never touched. The comparison is the server's own
 * text of every row, not the engine's checksums.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { Client } from "pg";
import { generateServicedeskDatabase, migrate, MigrationReport, ProgressEvent } from "../../engine";
import { queryRows, useTestDatabase } from "../support/database";
import { otherSessions, schemasOf, sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("streams");
const tmp = useTempDir("streams");
const CLI = path.resolve(__dirname, "../../dist/cli/servicedesk-migrate.js");
/** The export's defects are the point here: the gate reports them and lets the load go on. */
const TOLERATED = Object.fromEntries(
  ["type_conformity", "timestamp_parse_rate", "invalid_utf8", "nul_bytes", "orphans", "duplicate_keys", "null_keys"].map((k) => [
    k,
    { fail: 100 },
  ]),
);
const TOOL_MARK = JSON.stringify({ tool: "servicedesk-migration", formatVersion: 1, prefix: "leftover", staging: true });

let source: string;
beforeAll(() => {
  source = path.join(tmp.dir, "servicedesk.db");
  generateServicedeskDatabase({ out: source, tickets: 3000, seed: 11, defectRate: 0.03 });
});

const run = (prefix: string, streams: number, extra: Partial<Parameters<typeof migrate>[0]> = {}) => {
  const events: ProgressEvent[] = [];
  const report = migrate({
    sourcePath: source,
    databaseUrl: database.url,
    schemaPrefix: prefix,
    backupDirectory: path.join(tmp.dir, "backups"),
    minQuality: 0,
    thresholds: TOLERATED,
    streams,
    onProgress: (e) => events.push(e),
    ...extra,
  });
  return { report, events };
};

/** Per table of a schema: its rows as PostgreSQL prints them, sorted, hashed; its columns' types; its constraints and indexes. */
async function content(schema: string): Promise<Record<string, unknown>> {
  const tables = await queryRows<{ relname: string }>(
    database.url,
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY 1`,
    [schema],
  );
  const out: Record<string, unknown> = {};
  for (const { relname } of tables) {
    const ident = `"${schema}"."${relname}"`;
    const [rows] = await queryRows<{ n: string; digest: string }>(
      database.url,
      `SELECT count(*) AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE "C"), '')) AS digest FROM ${ident} t`,
    );
    const types = await queryRows(
      database.url,
      `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [ident],
    );
    const constraints = await queryRows(
      database.url,
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY conname`,
      [ident],
    );
    const indexes = await queryRows(
      database.url,
      `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = $1::regclass ORDER BY 1`,
      [ident],
    );
    // Index definitions name their schema: compare them without it.
    const unqualified = indexes.map((i) => ({ def: String(i.def).split(`"${schema}".`).join("").split(`${schema}.`).join("") }));
    const constraintsUnqualified = constraints.map((c) => ({ ...c, def: String(c.def).split(`${schema}.`).join("") }));
    out[relname] = { rows: Number(rows.n), digest: rows.digest, types, constraints: constraintsUnqualified, indexes: unqualified };
  }
  return out;
}

const tableCounts = (report: MigrationReport) =>
  Object.fromEntries(report.tables.map((t) => [t.table, { loaded: t.rowsLoaded, rejected: t.rejected, nulled: t.nulled }]));

test("two streams load what one stream loads: every row, reject, type, key and index", async () => {
  const one = await run("one", 1).report;
  const twoRun = run("two", 2);
  const two = await twoRun.report;
  expect({ one: one.outcome, two: two.outcome, mode: two.mode }).toEqual({ one: "loaded", two: "loaded", mode: "complete" });
  expect({ one: one.streams, two: two.streams }).toEqual({ one: 1, two: 2 });
  // The defects are real: tickets reject rows, and their comments and timesheets follow them out.
  expect(tableCounts(one).tickets).toMatchObject({ rejected: expect.any(Number) });
  expect((tableCounts(one).tickets as { rejected: number }).rejected).toBeGreaterThan(0);
  expect(tableCounts(two)).toEqual(tableCounts(one));
  const [oneContent, twoContent] = [await content(one.schema!), await content(two.schema!)];
  expect(Object.keys(twoContent).sort()).toEqual(["_rejects", "comments", "tickets", "timesheets"]);
  expect(twoContent).toEqual(oneContent);
  // A child that loaded beside its parent and missed the parent's rejections was loaded again.
  expect(twoRun.events.some((e) => /^loading (comments|timesheets) again: tickets rejected rows/.test(e.message))).toBe(true);
  expect(await schemasOf(database.url, "two")).toEqual(["two", "two_control", two.schema]);
  expect(await otherSessions(database.url)).toEqual([]);
});

test("a bad value under the fail policy stops every stream and leaves no version, no staging schema, no session", async () => {
  // Simple mode: complete mode's canary samples the rows the profile found suspect, and stops the run before any stream starts.
  const error = await run("failing", 2, { badValuePolicy: "fail", mode: "simple" }).report.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: "BAD_VALUE", table: expect.any(String), column: expect.any(String), rowKey: expect.any(String) });
  expect((error as Error).message).toMatch(/^table "\w+", column "\w+", row \S+: /);
  expect((await schemasOf(database.url, "failing")).filter((s) => s.startsWith("failing_v") || s === "failing_staging")).toEqual([]);
  expect(await otherSessions(database.url)).toEqual([]);
});

test("the next run drops a staging schema a stopped run left; a foreign one of that name is refused, never dropped", async () => {
  await queryRows(database.url, `CREATE SCHEMA leftover_staging`);
  await queryRows(database.url, `CREATE TABLE leftover_staging.tickets (id int)`);
  await queryRows(database.url, `COMMENT ON SCHEMA leftover_staging IS '${TOOL_MARK}'`);
  const { report, events } = run("leftover", 1);
  expect((await report).outcome).toBe("loaded");
  expect(events.map((e) => e.message)).toContain("removed the staging schema of a stopped parallel load");
  expect(await schemasOf(database.url, "leftover")).not.toContain("leftover_staging");

  await queryRows(database.url, `CREATE SCHEMA foreign_staging`);
  await queryRows(database.url, `CREATE TABLE foreign_staging.notes (note text)`);
  await queryRows(database.url, `INSERT INTO foreign_staging.notes VALUES ('theirs')`);
  const refused = await run("foreign", 2).report.then(
    () => null,
    (e: unknown) => e,
  );
  expect(refused).toMatchObject({ code: "SCHEMA_CONFLICT" });
  expect((refused as Error).message).toBe(`schema "foreign_staging" exists and is not ours; parallel load streams need that name`);
  expect((await run("foreign", 1).report).outcome).toBe("loaded");
  expect(await queryRows(database.url, `SELECT note FROM foreign_staging.notes`)).toEqual([{ note: "theirs" }]);
});

/** Enough rows that the streams are still loading when the test takes its lock (a few milliseconds after the schema appears). */
const ROWS_OF_KILLED = 50_000;

test("a run killed after its streams committed leaves only the staging schema, which the next run drops", async () => {
  const small = sqliteFile(
    tmp.dir,
    "killed",
    `CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));`,
    (db) =>
      db.transaction(() => {
        for (let i = 1; i <= ROWS_OF_KILLED; i++) db.prepare("INSERT INTO a VALUES (?, ?)").run(i, `v${i}`);
        for (let i = 1; i <= ROWS_OF_KILLED; i++) db.prepare("INSERT INTO b VALUES (?, ?)").run(i, i);
      })(),
  );
  // A reader of the staging schema's rejects table (made before the streams start, moved first by the
  // version's transaction) holds the lock that transaction needs: the run waits there.
  const holder = new Client({ connectionString: database.url });
  await holder.connect();
  const holderPid = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0].pid;
  try {
    const child = spawn(
      process.execPath,
      [CLI, "migrate", "--source", small, "--database-url", database.url, "--schema-prefix", "killed", "--streams", "2"].concat([
        "--backup-dir",
        path.join(tmp.dir, "backups"),
        "--progress",
        "none",
      ]),
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await holder.query("BEGIN");
    for (let attempt = 0; ; attempt++) {
      const staged = await holder.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'killed_staging' AND tablename = '_rejects'`);
      if (staged.rowCount === 1) break;
      if (attempt > 6000) throw new Error("the staging schema never appeared");
      await new Promise((r) => setTimeout(r, 5));
    }
    await holder.query(`LOCK TABLE killed_staging._rejects IN ACCESS SHARE MODE`);
    // Both tables committed, the version's transaction waits on the lock.
    for (let attempt = 0; ; attempt++) {
      // From another session: pg_stat_activity stays as it was for the rest of the holder's transaction.
      const waiting = await queryRows(
        database.url,
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%SET SCHEMA%'`,
      );
      if (waiting.length === 1) break;
      if (attempt > 600 || child.exitCode !== null)
        throw new Error(`the version's transaction never waited for the staged table: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    await exited;
    await holder.query("COMMIT");
    // The server ends the killed run's sessions once their statements return.
    for (let attempt = 0; (await otherSessions(database.url)).some((s) => s.pid !== holderPid); attempt++) {
      if (attempt > 200) throw new Error("the killed run's sessions stayed");
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await schemasOf(database.url, "killed")).toEqual(["killed_staging"]);
    const staged = await queryRows(database.url, `SELECT tablename FROM pg_tables WHERE schemaname = 'killed_staging' ORDER BY 1`);
    expect(staged).toEqual([{ tablename: "_rejects" }, { tablename: "a" }, { tablename: "b" }]);
    const next = await migrate({ sourcePath: small, databaseUrl: database.url, schemaPrefix: "killed", backupDirectory: tmp.dir });
    expect(next.outcome).toBe("loaded");
    expect(await schemasOf(database.url, "killed")).toEqual(["killed", "killed_control", next.schema]);
  } finally {
    await holder.end();
  }
});
