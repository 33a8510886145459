/**
 * The stable access schema and switch_to(), judged by what PostgreSQL holds
 * after each step: the views in "servicedesk", the rows they return, the
 * schema comments, and what psql and a concurrent reader see.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { MigrationError } from "../../engine/errors";
import { cutoverSql, ensureStableSchema, psqlCommand, stableState, switchCommands, switchTo, withPrefixLock } from "../../engine/versions";
import { useTestDatabase } from "../support/database";
import { createForeignStatusSchema, createTestVersion } from "../support/versions";

const clients: Client[] = [];
// Declared before useTestDatabase: after-all hooks run in declaration order, and the database is dropped in its hook.
afterAll(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
});
const database = useTestDatabase("stable");
const PREFIX = "servicedesk";
/** Distinct row counts per version, so every read tells which version answered. */
const ROWS = { v1: { tickets: 3, lines: 7 }, v2: { tickets: 5, lines: 11 } };

let client: Client;
let v1: string;
let v2: string;

async function connect(): Promise<Client> {
  const c = new Client({ connectionString: database.url });
  await c.connect();
  clients.push(c);
  return c;
}

async function scalar<T>(sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await client.query(sql, params);
  return Object.values(rows[0] as Record<string, unknown>)[0] as T;
}

/** A ready version holding "tickets" and "Order Lines" with the given row counts. */
async function readyVersion(prefix: string, at: string, rows: { tickets: number; lines: number }): Promise<string> {
  const meta = await createTestVersion(client, {
    prefix,
    now: new Date(at),
    tables: { tickets: { rows: rows.tickets, rejects: 0 }, "Order Lines": { rows: rows.lines, rejects: 0 } },
  });
  const s = `"${meta.schema}"`;
  await client.query(`CREATE TABLE ${s}."tickets" ("id" int PRIMARY KEY, "title" text)`);
  await client.query(`CREATE TABLE ${s}."Order Lines" ("Line No" int, "Ticket Id" int, "Qty" numeric)`);
  await client.query(`INSERT INTO ${s}."tickets" SELECT i, 'ticket ' || i FROM generate_series(1, $1) i`, [rows.tickets]);
  await client.query(`INSERT INTO ${s}."Order Lines" SELECT i, 1, i * 1.5 FROM generate_series(1, $1) i`, [rows.lines]);
  return meta.schema;
}

async function counts(c: Client = client): Promise<{ tickets: number; lines: number }> {
  const { rows } = await c.query<{ tickets: string; lines: string }>(
    `SELECT (SELECT count(*) FROM "servicedesk"."tickets") AS "tickets",
            (SELECT count(*) FROM "servicedesk"."Order Lines") AS "lines"`,
  );
  return { tickets: Number(rows[0].tickets), lines: Number(rows[0].lines) };
}

async function stableViews(schema = PREFIX): Promise<string[]> {
  const { rows } = await client.query<{ relname: string; relkind: string }>(
    `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 ORDER BY c.relname`,
    [schema],
  );
  return rows.map((r) => `${r.relname}:${r.relkind}`);
}

/** The versioned schema a stable view reads from, according to pg_depend. */
async function viewSource(view: string): Promise<string> {
  return scalar<string>(
    `SELECT DISTINCT tn.nspname FROM pg_depend d
     JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
     JOIN pg_class t ON d.refclassid = 'pg_class'::regclass AND t.oid = d.refobjid AND t.oid <> r.ev_class
     JOIN pg_namespace tn ON tn.oid = t.relnamespace
     WHERE r.ev_class = format('%I.%I', $1::text, $2::text)::regclass`,
    [PREFIX, view],
  );
}

function psql(sql: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync("psql", [database.url, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], { encoding: "utf8" });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(async () => {
  client = await connect();
  v1 = await readyVersion(PREFIX, "2025-03-01T10:00:00Z", ROWS.v1);
  v2 = await readyVersion(PREFIX, "2025-03-02T10:00:00Z", ROWS.v2);
});

describe("ensureStableSchema", () => {
  it("creates the stable and control schemas with switch_to(), idempotently", async () => {
    await ensureStableSchema(client, PREFIX);
    await ensureStableSchema(client, PREFIX);
    expect(await stableViews()).toEqual([]);
    expect(await stableState(client, PREFIX)).toEqual({ active: null, previous: null, switchedAt: null });
    const fn = await scalar<string>(`SELECT to_regprocedure('"servicedesk_control".switch_to(text)')::text`);
    expect(fn).toBe("servicedesk_control.switch_to(text)");
    const control = await scalar<string>(`SELECT obj_description('"servicedesk_control"'::regnamespace, 'pg_namespace')`);
    expect(JSON.parse(control)).toMatchObject({ tool: "servicedesk-migration", prefix: PREFIX, role: "control" });
  });
});

describe("switchTo", () => {
  it("points the views at v1, then at v2, recording active and previous", async () => {
    expect(await switchTo(client, PREFIX, v1)).toEqual({ previous: null, active: v1 });
    expect(await counts()).toEqual(ROWS.v1);
    expect(await switchTo(client, PREFIX, v2)).toEqual({ previous: v1, active: v2 });

    expect(await stableViews()).toEqual(["Order Lines:v", "tickets:v"]);
    expect(await scalar<string>(`SELECT count(*) FROM servicedesk.tickets`)).toBe(String(ROWS.v2.tickets));
    expect(await counts()).toEqual(ROWS.v2);
    expect(await viewSource("tickets")).toBe(v2);
    expect(await viewSource("Order Lines")).toBe(v2);
    const comment = JSON.parse(await scalar<string>(`SELECT obj_description('servicedesk'::regnamespace, 'pg_namespace')`));
    expect(comment).toMatchObject({ tool: "servicedesk-migration", formatVersion: 1, prefix: PREFIX, active: v2, previous: v1 });
    expect(new Date(comment.switchedAt).toISOString()).toBe(comment.switchedAt);
  });

  it("creates views with every column, quoted, in table order", async () => {
    const { rows } = await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = 'servicedesk' AND table_name = 'Order Lines' ORDER BY ordinal_position`,
    );
    expect(rows.map((r) => r.column_name)).toEqual(["Line No", "Ticket Id", "Qty"]);
  });

  it("keeps grants on the stable views across a switch", async () => {
    const role = `sdm_reader_${randomBytes(3).toString("hex")}`;
    await client.query(`CREATE ROLE "${role}"`);
    try {
      await client.query(`GRANT SELECT ON "servicedesk"."tickets" TO "${role}"`);
      await switchTo(client, PREFIX, v1);
      await switchTo(client, PREFIX, v2);
      expect(await scalar<boolean>(`SELECT has_table_privilege($1, 'servicedesk.tickets', 'SELECT')`, [role])).toBe(true);
      expect(await scalar<boolean>(`SELECT has_table_privilege($1, 'servicedesk."Order Lines"', 'SELECT')`, [role])).toBe(false);
    } finally {
      await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA "servicedesk" FROM "${role}"`);
      await client.query(`DROP ROLE "${role}"`);
    }
  });

  it("switches from the session holding the prefix lock without deadlocking", async () => {
    const result = await withPrefixLock(client, PREFIX, { timeoutMs: 2000 }, () => switchTo(client, PREFIX, v1));
    expect(result).toEqual({ previous: v2, active: v1 });
    expect(await counts()).toEqual(ROWS.v1);
  });

  it("waits for a run of the prefix in another session, then switches", async () => {
    const run = await connect();
    let release!: () => void;
    const held = withPrefixLock(run, PREFIX, {}, () => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    let switched = false;
    const switching = switchTo(client, PREFIX, v2).then((result) => ((switched = true), result));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(switched).toBe(false);
    expect(await counts(run)).toEqual(ROWS.v1);
    release();
    await held;
    await expect(switching).resolves.toEqual({ previous: v1, active: v2 });
    expect(await counts(run)).toEqual(ROWS.v2);
  });
});

describe("cutover SQL run by psql", () => {
  it("is one statement that switches back to v1", async () => {
    const sql = cutoverSql(PREFIX, v1);
    expect(sql).toBe(`SELECT "servicedesk_control".switch_to('${v1}');`);
    execFileSync("psql", [database.url, "-v", "ON_ERROR_STOP=1", "-c", sql], { stdio: "pipe" });
    expect(await counts()).toEqual(ROWS.v1);
    expect(await stableState(client, PREFIX)).toMatchObject({ active: v1, previous: v2 });
  });

  it("runs as the shell line of psqlCommand with DATABASE_URL from the environment", async () => {
    const { rollbackCommand, rollbackSql } = switchCommands(PREFIX, v1, v2);
    expect(rollbackCommand).toBe(psqlCommand(rollbackSql!));
    expect(rollbackCommand).toBe(`psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c '${rollbackSql!.replace(/'/g, `'\\''`)}'`);
    execFileSync("bash", ["-c", rollbackCommand!], { env: { ...process.env, DATABASE_URL: database.url }, stdio: "pipe" });
    expect(await counts()).toEqual(ROWS.v2);
    expect(await stableState(client, PREFIX)).toMatchObject({ active: v2, previous: v1 });
  });

  it("refuses a schema that is not a ready version, or a missing one, naming it, and leaves the views as they were", async () => {
    const loading = await createForeignStatusSchema(client, PREFIX, new Date(), "loading");
    const before = await stableState(client, PREFIX);
    const viaPsql = psql(cutoverSql(PREFIX, loading));
    expect(viaPsql.status).not.toBe(0);
    expect(viaPsql.stderr).toContain(loading);
    expect(viaPsql.stderr).toContain('"loading"');

    await expect(switchTo(client, PREFIX, loading)).rejects.toMatchObject({ code: "VERSION_NOT_FOUND" });
    await expect(switchTo(client, PREFIX, loading)).rejects.toThrow(loading);
    const missing = "servicedesk_v20990101_000000";
    await expect(switchTo(client, PREFIX, missing)).rejects.toThrow(missing);
    await expect(switchTo(client, PREFIX, missing)).rejects.toBeInstanceOf(MigrationError);
    const raw = psql(`SELECT "servicedesk_control".switch_to('public');`);
    expect(raw.stderr).toContain('"public"');

    expect(await stableState(client, PREFIX)).toEqual(before);
    expect(await counts()).toEqual(ROWS.v2);
    expect(await stableViews()).toEqual(["Order Lines:v", "tickets:v"]);
    await client.query(`DROP SCHEMA "${loading}"`);
  });
});

describe("a concurrent reader", () => {
  it("sees all of v1 or all of v2 while the views are switched back and forth", async () => {
    const reader = await connect();
    const seen: string[] = [];
    let switching = true;
    const reading = (async () => {
      while (switching) {
        const c = await counts(reader);
        seen.push(
          c.tickets === ROWS.v1.tickets && c.lines === ROWS.v1.lines
            ? "v1"
            : c.tickets === ROWS.v2.tickets && c.lines === ROWS.v2.lines
              ? "v2"
              : `mixed ${JSON.stringify(c)}`,
        );
      }
    })();
    // Readers inside an open transaction hold their view locks across statements.
    const holder = await connect();
    for (let i = 0; i < 20; i++) {
      await holder.query("BEGIN");
      await counts(holder);
      const switched = switchTo(client, PREFIX, i % 2 === 0 ? v1 : v2);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await holder.query("COMMIT");
      await switched;
    }
    switching = false;
    await reading;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s !== "v1" && s !== "v2")).toEqual([]);
    expect(await counts()).toEqual(ROWS.v2);
  });

  it("reading one view, then the other, in a transaction during a switch: one version, no deadlock", async () => {
    const reader = await connect();
    await reader.query("BEGIN");
    const tickets = Number((await reader.query(`SELECT count(*) AS "n" FROM "servicedesk"."tickets"`)).rows[0].n);
    const switched = switchTo(client, PREFIX, v1);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the switch is now waiting for "tickets"
    const lines = Number((await reader.query(`SELECT count(*) AS "n" FROM "servicedesk"."Order Lines"`)).rows[0].n);
    await reader.query("COMMIT");
    expect({ tickets, lines }).toEqual(ROWS.v2);
    await expect(switched).resolves.toEqual({ previous: v2, active: v1 });
    expect(await counts(reader)).toEqual(ROWS.v1);
    await switchTo(client, PREFIX, v2);
  });
});

describe("a schema named like the prefix that is not ours", () => {
  it("refuses with SCHEMA_CONFLICT naming the schema and the object", async () => {
    const other = "sdconflict";
    await client.query(`CREATE SCHEMA "${other}"`);
    await client.query(`CREATE TABLE "${other}"."notes" ("id" int)`);
    const error = await ensureStableSchema(client, other).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SCHEMA_CONFLICT" });
    expect((error as Error).message).toContain(`"${other}"`);
    expect(await scalar<string | null>(`SELECT to_regnamespace('sdconflict_control')::text`)).toBeNull();
  });

  it("refuses our stable schema once it holds a table, naming the table", async () => {
    await client.query(`CREATE TABLE "servicedesk"."scratch" ("id" int)`);
    try {
      const error = await switchTo(client, PREFIX, v1).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "SCHEMA_CONFLICT" });
      expect((error as Error).message).toMatch(/"servicedesk".*table "scratch"/);
      expect(await counts()).toEqual(ROWS.v2);
    } finally {
      await client.query(`DROP TABLE "servicedesk"."scratch"`);
    }
  });
});
