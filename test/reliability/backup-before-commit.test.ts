/**
 * No version exists whose predecessor is not backed up: in complete mode
 * the new version commits only once pg_dump of the active version has
 * finished. A run killed while the backup still runs (its load done and
 * validated, its transaction open) leaves no new version, so nothing can
 * adopt one and cut over without a backup; a backup that fails leaves no
 * new version either. pg_dump is replaced by a stand-in on PATH that
 * sleeps or fails, so the window is held open on purpose, not hoped for.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { queryRows, useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { activeVersionOf, CLI, reportOf, runCli, schemasOf, scratchDir } from "./support";

const PREFIX = "sdorder";
const REAL_PG_DUMP = execFileSync("sh", ["-c", "command -v pg_dump"], { encoding: "utf8" }).trim();
const database = useTestDatabase("backup_order");
let scratch: ReturnType<typeof scratchDir>;
let sources: SourceFolder;
let first: string;

/** A folder whose `pg_dump` records its pid in `marker`, then sleeps (or fails at once). */
function standInPgDump(name: string, behaviour: "sleep" | "fail"): { bin: string; marker: string } {
  const bin = scratch.path(`${name}/bin/pg_dump`);
  const marker = scratch.path(`${name}/started`);
  writeFileSync(
    bin,
    // --version is the real one's: the health check asks which codecs pg_dump writes before the dump starts.
    `#!/bin/sh\n[ "$1" = --version ] && exec '${REAL_PG_DUMP}' --version\necho $$ > '${marker}'\n${behaviour === "sleep" ? "exec sleep 300" : "echo 'pg_dump: simulated failure' >&2; exit 1"}\n`,
  );
  chmodSync(bin, 0o755);
  return { bin: path.dirname(bin), marker };
}

const migrateArgs = (source: string) => [
  "migrate",
  "--source",
  source,
  "--database-url",
  database.url,
  "--schema-prefix",
  PREFIX,
  "--backup-dir",
  scratch.path("backups"),
  "--json",
  "--quiet",
];

/** Waits until the run's load is done and its transaction open, idle, waiting for the backup. */
async function waitForOpenLoad(timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const [{ n }] = await queryRows<{ n: string }>(
      database.url,
      `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'servicedesk-migration'
         AND state = 'idle in transaction' AND xact_start < now() - interval '1 second'`,
    );
    if (Number(n) > 0) return;
    if (Date.now() - started > timeoutMs) throw new Error("the run never reached its open, idle load transaction");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  scratch = scratchDir("backup-order");
  sources = sourceFolder();
  const result = await runCli(migrateArgs(sources.make("first.sqlite", { tickets: 400, seed: 1 }).path));
  expect(result.status).toBe(0);
  first = reportOf(result).schema!;
});

afterAll(() => {
  sources?.cleanup();
  scratch?.cleanup();
});

test("a run killed while pg_dump still runs leaves no new version: nothing to adopt without a backup", async () => {
  const pgDump = standInPgDump("slow", "sleep");
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, ...migrateArgs(sources.make("second.sqlite", { tickets: 500, seed: 2 }).path)],
    {
      env: { ...process.env, PATH: `${pgDump.bin}:${process.env.PATH}` },
      stdio: "ignore",
    },
  );
  try {
    await waitForOpenLoad();
    expect(existsSync(pgDump.marker)).toBe(true);
  } finally {
    child.kill("SIGKILL");
    if (existsSync(pgDump.marker)) process.kill(Number(readFileSync(pgDump.marker, "utf8")), "SIGKILL");
  }
  await new Promise((resolve) => child.once("close", resolve));
  // The server rolled the open load back when its session died.
  for (let i = 0; i < 50 && (await schemasOf(database.url, PREFIX)).length !== 3; i++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await schemasOf(database.url, PREFIX)).toEqual([PREFIX, `${PREFIX}_control`, first].sort());
  expect(await activeVersionOf(database.url, PREFIX)).toBe(first);

  // The next run (real pg_dump) loads and backs up: it finds no unbacked version to adopt.
  const next = await runCli(migrateArgs(sources.make("second.sqlite", { tickets: 500, seed: 2 }).path));
  expect(next.status).toBe(0);
  const report = reportOf<{ outcome: string; schema: string; backup: { file: string } | null }>(next);
  expect({ outcome: report.outcome, backedUp: report.backup !== null && existsSync(report.backup.file) }).toEqual({
    outcome: "loaded",
    backedUp: true,
  });
  const [{ c }] = await queryRows<{ c: string }>(database.url, "SELECT obj_description($1::regnamespace, 'pg_namespace') AS c", [
    report.schema,
  ]);
  expect(JSON.parse(c).replaced).toEqual({ schema: first, backupFile: report.backup!.file });
});

test("a backup that fails leaves no new version: BACKUP_FAILED, the stable schema untouched", async () => {
  const active = await activeVersionOf(database.url, PREFIX);
  const before = await schemasOf(database.url, PREFIX);
  const pgDump = standInPgDump("failing", "fail");
  const result = await runCli(migrateArgs(sources.make("third.sqlite", { tickets: 450, seed: 3 }).path), {
    env: { PATH: `${pgDump.bin}:${process.env.PATH}` },
  });
  expect(result.status).toBe(1);
  expect(reportOf(result)).toMatchObject({
    outcome: "failed",
    error: { code: "BACKUP_FAILED", message: expect.stringContaining("simulated failure") },
  });
  expect(await schemasOf(database.url, PREFIX)).toEqual(before);
  expect(await activeVersionOf(database.url, PREFIX)).toBe(active);
  expect(readdirSync(scratch.path(`backups/${PREFIX}`)).filter((f) => f.endsWith(".partial"))).toEqual([]);
});
