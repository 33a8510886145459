/**
 * Two runs on one schema prefix at once, through the real Pulumi CLI (two
 * stacks) and through the CLI (two processes). The test holds the prefix's
 * advisory lock until both runs are waiting on it, so they truly overlap;
 * then they serialize: both succeed, each version is complete and ready
 * with exact counts, and the stable schema points at the one that finished
 * last. A run that cannot get the lock in time fails with LOCK_TIMEOUT
 * naming the server process that holds it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { Stack } from "@pulumi/pulumi/automation";
import { LockTimeoutError, migrate, versions } from "../../engine";
import { queryRows, useTestDatabase, withDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";
import { activeVersionOf, countRows, reportOf, runCli, schemasOf } from "./support";

/** Holds a prefix's advisory lock (as a run does) on a connection of its own. */
async function holdPrefixLock(url: string, prefix: string): Promise<{ pid: number; release(): Promise<void> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  await client.query(`SELECT pg_advisory_lock(${versions.prefixLockKeySql("$1")})`, [prefix]);
  const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  return {
    pid: rows[0].pid,
    async release() {
      await client.end();
    },
  };
}

/** Waits until `count` migration sessions are polling for the prefix lock (their last query is the try-lock). */
async function waitForWaiters(url: string, count: number, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const rows = await queryRows<{ n: string }>(
      url,
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'servicedesk-migration' AND query LIKE '%pg_try_advisory_lock%'`,
    );
    if (Number(rows[0].n) >= count) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`only ${rows[0].n} of ${count} runs reached the prefix lock in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Each version holds exactly its export's rows and is marked ready with them. */
async function expectComplete(url: string, schema: string, rows: Record<string, number>): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  let meta: Awaited<ReturnType<typeof versions.readVersionMetadata>>;
  try {
    meta = await versions.readVersionMetadata(client, schema);
  } finally {
    await client.end();
  }
  expect(meta?.status).toBe("ready");
  for (const [table, expected] of Object.entries(rows)) {
    expect({ table, rows: await countRows(url, schema, table) }).toEqual({ table, rows: expected });
    expect({ table, recorded: meta!.tables[table] }).toEqual({ table, recorded: { rows: expected, rejects: 0 } });
  }
}

describe("two runs on one prefix at once serialize on the advisory lock", () => {
  const database = useTestDatabase("concurrency");
  let sandbox: PulumiSandbox;
  let project: ScratchProject;
  let sources: SourceFolder;
  let backups: string;
  const stacks: Stack[] = [];

  beforeAll(async () => {
    sandbox = await createPulumiSandbox();
    project = scratchProject();
    sources = sourceFolder();
    backups = mkdtempSync(path.join(tmpdir(), "sdm-backups-"));
  });

  afterAll(async () => {
    for (const stack of stacks) await stack.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    sandbox?.cleanup();
    project?.cleanup();
    sources?.cleanup();
    rmSync(backups, { recursive: true, force: true });
  });

  test("two pulumi up on two stacks with the same schemaPrefix", async () => {
    const prefix = "sdconcpulumi";
    const exports = {
      left: sources.make("left.sqlite", { tickets: 300, seed: 1 }),
      right: sources.make("right.sqlite", { tickets: 400, seed: 2 }),
    };
    for (const name of ["left", "right"] as const) {
      const stack = await stackOf(sandbox, project.dir, name);
      await stack.setAllConfig({
        source: { value: exports[name].path },
        connection: { value: withDatabase(database.url, database.db.name), secret: true },
        schemaPrefix: { value: prefix },
        backupDirectory: { value: backups },
      });
      stacks.push(stack);
    }
    const lock = await holdPrefixLock(database.url, prefix);
    const ups = stacks.map((stack) => stack.up());
    let results: Awaited<(typeof ups)[number]>[];
    try {
      await waitForWaiters(database.url, 2);
    } finally {
      await lock.release();
      results = await Promise.all(ups);
    }
    expect(results.map((r) => r.summary.result)).toEqual(["succeeded", "succeeded"]);
    const outs = await Promise.all(
      stacks.map(async (s) => Object.fromEntries(Object.entries(await s.outputs()).map(([k, v]) => [k, v.value]))),
    );
    const [left, right] = outs.map((o) => o.schemaName as string);
    expect(left).not.toBe(right);
    await expectComplete(database.url, left, exports.left.rows);
    await expectComplete(database.url, right, exports.right.rows);
    // The one loaded second replaced the first as active and kept it as previous.
    const [first, second] = outs[0].previousSchemaName === right ? [right, left] : [left, right];
    expect(outs.map((o) => o.previousSchemaName).sort()).toEqual(["", first]);
    expect(await activeVersionOf(database.url, prefix)).toBe(second);
    expect(await schemasOf(database.url, prefix)).toEqual([prefix, `${prefix}_control`, left, right].sort());
    const claims = await queryRows<{ owner: string; schema_name: string }>(
      database.url,
      `SELECT owner, schema_name FROM "${prefix}_control".claims ORDER BY owner`,
    );
    expect(claims).toEqual([
      { owner: "pulumi:servicedesk-migration/left", schema_name: left },
      { owner: "pulumi:servicedesk-migration/right", schema_name: right },
    ]);
    const rows = exports[second === left ? "left" : "right"].rows;
    for (const [table, expected] of Object.entries(rows)) expect(await countRows(database.url, prefix, table)).toBe(expected);

    // Retention on one stack never drops the version the other stack holds, however old:
    // the stack that loaded last loads a third export keeping no previous version.
    const lastStack = stacks[second === left ? 0 : 1];
    const third = sources.make("third.sqlite", { tickets: 200, seed: 3 });
    await lastStack.setAllConfig({ source: { value: third.path }, retainVersions: { value: "0" } });
    const up = await lastStack.up();
    expect(up.summary.result).toBe("succeeded");
    const newest = (await lastStack.outputs()).schemaName.value as string;
    await expectComplete(database.url, newest, third.rows);
    expect(await activeVersionOf(database.url, prefix)).toBe(newest);
    // `second` (this stack's previous version) is gone as retainVersions 0 says; `first` stays: the other stack holds it.
    expect(await schemasOf(database.url, prefix)).toEqual([prefix, `${prefix}_control`, first, newest].sort());
    await expectComplete(database.url, first, exports[first === left ? "left" : "right"].rows);
  });

  test("two CLI migrate runs on the same prefix", async () => {
    const prefix = "sdconccli";
    const a = sources.make("cli-a.sqlite", { tickets: 300, seed: 3 });
    const b = sources.make("cli-b.sqlite", { tickets: 350, seed: 4 });
    const args = (source: string) => [
      "migrate",
      "--source",
      source,
      "--database-url",
      database.url,
      "--schema-prefix",
      prefix,
      "--backup-dir",
      backups,
      "--json",
      "--quiet",
    ];
    const lock = await holdPrefixLock(database.url, prefix);
    const runs = [runCli(args(a.path)), runCli(args(b.path))];
    try {
      await waitForWaiters(database.url, 2);
    } finally {
      await lock.release();
    }
    const results = await Promise.all(runs);
    expect(results.map((r) => [r.status, r.stderr])).toEqual([
      [0, ""],
      [0, ""],
    ]);
    const [ra, rb] = results.map((r) => reportOf(r));
    await expectComplete(database.url, ra.schema!, a.rows);
    await expectComplete(database.url, rb.schema!, b.rows);
    const [first, second] = ra.previousSchema === rb.schema ? [rb, ra] : [ra, rb];
    expect([first.previousSchema, second.previousSchema]).toEqual([null, first.schema]);
    // The second run backed up the first one's version before switching away from it.
    expect(second.backup?.file).toContain(`${first.schema}_`);
    expect(await activeVersionOf(database.url, prefix)).toBe(second.schema);
    const rows = second === ra ? a.rows : b.rows;
    for (const [table, expected] of Object.entries(rows)) expect(await countRows(database.url, prefix, table)).toBe(expected);
  });

  test("a run that cannot get the lock in time fails with LOCK_TIMEOUT naming the holder's server process, and changes nothing", async () => {
    const prefix = "sdconccli";
    const before = await schemasOf(database.url, prefix);
    const active = await activeVersionOf(database.url, prefix);
    const lock = await holdPrefixLock(database.url, prefix);
    try {
      const run = migrate({
        sourcePath: sources.make("cli-c.sqlite", { tickets: 200, seed: 5 }).path,
        databaseUrl: database.url,
        schemaPrefix: prefix,
        lockTimeoutMs: 1500,
        backupDirectory: backups,
      });
      await expect(run).rejects.toThrow(LockTimeoutError);
      await expect(run).rejects.toMatchObject({
        code: "LOCK_TIMEOUT",
        holderPid: lock.pid,
        message: `another migration holds the lock of schema prefix "${prefix}" (server process ${lock.pid}); waited 2 s`,
      });
    } finally {
      await lock.release();
    }
    expect(await schemasOf(database.url, prefix)).toEqual(before);
    expect(await activeVersionOf(database.url, prefix)).toBe(active);
  });
});
