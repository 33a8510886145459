/**
 * The backup catalog with real complete runs, the real pg_dump and the
 * real PostgreSQL: backups in a folder per prefix, each living exactly as
 * long as a retained version names it (plus keep-days), pruned by the run
 * whose retention drops that version and on demand; partial dumps removed
 * only when their writer is gone; two prefixes sharing a backup directory
 * never touching each other's files; dumps of another database never pruned.
 */
import { spawn, ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import * as path from "node:path";
import { migrate } from "../../engine";
import { backupFolder, backupSchema, dumpFileName, listBackups, partialFileName, pruneBackups } from "../../engine/backup";
import { readVersionMetadata, switchTo } from "../../engine/versions";
import { queryRows, useTestDatabase, withConnection, withDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { useTempDir } from "./engine-fixtures";

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
});
const database = useTestDatabase("backup_catalog");
const tmp = useTempDir("backup-catalog");
let sources: SourceFolder;
let run = 0;

beforeAll(() => {
  sources = sourceFolder();
});
afterAll(() => sources?.cleanup());

/** A complete run that loads anew (reuse off), each from its own export. */
async function completeRun(prefix: string, backupDirectory: string, extra: { backupKeepDays?: number; retainVersions?: number } = {}) {
  run++;
  const report = await migrate({
    sourcePath: sources.make(`run-${run}.sqlite`, { tickets: 60 + run, seed: run }).path,
    databaseUrl: database.url,
    schemaPrefix: prefix,
    mode: "complete",
    retainVersions: extra.retainVersions ?? 0,
    backupDirectory,
    backupKeepDays: extra.backupKeepDays,
    reuse: false,
    minFreeMemoryBytes: 0,
  });
  expect(report.outcome).toBe("loaded");
  return report;
}

async function versionsOf(prefix: string): Promise<string[]> {
  const rows = await queryRows<{ nspname: string }>(database.url, "SELECT nspname FROM pg_namespace WHERE nspname ~ $1 ORDER BY 1", [
    `^${prefix}_v[0-9]{8}_[0-9]{6}$`,
  ]);
  return rows.map((r) => r.nspname);
}

/** A process that stays alive: the writer of a dump "in progress". */
function liveProcess(): number {
  const child = spawn("sleep", ["600"], { stdio: "ignore" });
  children.push(child);
  return child.pid!;
}

/** A pid no process has: one that ran and exited. */
async function deadPid(): Promise<number> {
  const child = spawn("true", { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

const HOST = hostname().replace(/[^A-Za-z0-9-]/g, "-") || "localhost";

describe("pruning with retention (retainVersions 0)", () => {
  const PREFIX = "prune";
  let root: string;
  const reports: Awaited<ReturnType<typeof completeRun>>[] = [];

  beforeAll(() => {
    root = path.join(tmp.dir, "prune-root");
  });

  it("keeps the backup of the replaced version in <root>/<prefix>/, named by the version that replaced it", async () => {
    reports.push(await completeRun(PREFIX, root));
    expect(reports[0].backup).toBeNull(); // nothing was active
    reports.push(await completeRun(PREFIX, root));
    const [first, second] = reports.map((r) => r.schema!);
    const backup = reports[1].backup!;
    expect(path.dirname(backup.file)).toBe(path.join(root, PREFIX));
    expect(path.basename(backup.file)).toMatch(new RegExp(`^${first}_\\d{8}T\\d{6}Z\\.dump$`));
    expect(statSync(backup.file).mode & 0o777).toBe(0o600);
    expect(await versionsOf(PREFIX)).toEqual([second]); // retention 0 dropped the first version: the backup is its only copy

    const entries = await listBackups({ backupDirectory: root, prefix: PREFIX, databaseUrl: database.url });
    expect(entries).toEqual([
      {
        path: backup.file,
        prefix: PREFIX,
        version: first,
        bytes: statSync(backup.file).size,
        createdAt: expect.any(Date),
        compression: "gzip:1",
        status: "protects-retained-version",
        neededBy: second,
        database: database.db.name,
      },
    ]);
    expect(Math.abs(entries[0].createdAt.getTime() - Date.now())).toBeLessThan(120_000);
    const meta = await withConnection(database.url, (c) => readVersionMetadata(c, second));
    expect(meta?.replaced).toEqual({ schema: first, backupFile: backup.file });
  });

  it("removes a backup in the run whose retention drops the version that needed it", async () => {
    const oldBackup = reports[1].backup!.file;
    reports.push(await completeRun(PREFIX, root));
    const [, second, third] = reports.map((r) => r.schema!);
    expect(await versionsOf(PREFIX)).toEqual([third]);
    expect(existsSync(oldBackup)).toBe(false);
    const entries = await listBackups({ backupDirectory: root, prefix: PREFIX, databaseUrl: database.url });
    expect(entries.map((e) => [e.version, e.status, e.neededBy])).toEqual([[second, "protects-retained-version", third]]);
    expect(readdirSync(path.join(root, PREFIX))).toEqual([path.basename(reports[2].backup!.file)]);
  });

  it("with backupKeepDays, keeps an unneeded backup younger than that, and prunes it on demand with keepDays 0", async () => {
    const kept = reports[2].backup!.file;
    reports.push(await completeRun(PREFIX, root, { backupKeepDays: 2 }));
    const [, second, third, fourth] = reports.map((r) => r.schema!);
    expect(existsSync(kept)).toBe(true);
    const entries = await listBackups({ backupDirectory: root, prefix: PREFIX, databaseUrl: database.url, keepDays: 2 });
    expect(entries.map((e) => [e.version, e.status])).toEqual([
      [second, "within-keep-days"],
      [third, "protects-retained-version"],
    ]);
    expect(entries[1].neededBy).toBe(fourth);

    const dry = await pruneBackups({ backupDirectory: root, prefix: PREFIX, databaseUrl: database.url, keepDays: 0, dryRun: true });
    expect(dry.removed.map((e) => e.path)).toEqual([kept]);
    expect(existsSync(kept)).toBe(true);
    const done = await pruneBackups({ backupDirectory: root, prefix: PREFIX, databaseUrl: database.url, keepDays: 0 });
    expect(done.removed.map((e) => [e.path, e.status])).toEqual([[kept, "expired"]]);
    expect(done.kept.map((e) => [e.version, e.status])).toEqual([[third, "protects-retained-version"]]);
    expect(existsSync(kept)).toBe(false);
  });

  it("ages keep-days from the time in the name: an old copy is expired, old-layout dumps in the root are pruned too", async () => {
    const current = reports[3].backup!.file;
    const version = reports[2].schema!;
    const old = path.join(root, PREFIX, dumpFileName(version, new Date("2020-01-01T00:00:00Z")));
    const legacy = path.join(root, dumpFileName(version, new Date("2021-01-01T00:00:00Z")));
    const otherPrefix = path.join(root, dumpFileName("pruneother_v20200101_000000", new Date("2020-01-01T00:00:00Z")));
    for (const copy of [old, legacy, otherPrefix]) copyFileSync(current, copy);
    const listed = await listBackups({ backupDirectory: root, prefix: PREFIX, databaseUrl: database.url, keepDays: 30 });
    expect(listed.map((e) => [e.path, e.status])).toEqual([
      [old, "expired"],
      [legacy, "expired"],
      [current, "protects-retained-version"],
    ]);
    const { removed } = await pruneBackups({ backupDirectory: root, prefix: PREFIX, databaseUrl: database.url, keepDays: 30 });
    expect(removed.map((e) => e.path)).toEqual([old, legacy]);
    expect(existsSync(current)).toBe(true);
    expect(existsSync(otherPrefix)).toBe(true); // not a version of this prefix
  });

  it("without a database, lists every complete dump as unchecked", async () => {
    const entries = await listBackups({ backupDirectory: root, prefix: PREFIX });
    expect(entries.map((e) => [e.path, e.status, e.neededBy])).toEqual([[reports[3].backup!.file, "unchecked", null]]);
  });

  it("never prunes a dump of another database sharing the folder", async () => {
    const otherName = `${database.db.name}_other`;
    await queryRows(database.url, `CREATE DATABASE "${otherName}"`);
    try {
      const otherUrl = withDatabase(database.url, otherName);
      await queryRows(otherUrl, `CREATE SCHEMA "${PREFIX}_v20200101_000000"`);
      const other = await backupSchema({
        databaseUrl: otherUrl,
        schema: `${PREFIX}_v20200101_000000`,
        directory: backupFolder(root, PREFIX),
      });
      const { removed, kept } = await pruneBackups({ backupDirectory: root, prefix: PREFIX, databaseUrl: database.url });
      expect(removed).toEqual([]);
      expect(kept.find((e) => e.path === other.file)).toMatchObject({ status: "unchecked", database: otherName });
      expect(existsSync(other.file)).toBe(true);
    } finally {
      await queryRows(database.url, `DROP DATABASE "${otherName}" WITH (FORCE)`);
    }
  });
});

describe("two prefixes sharing a backup directory", () => {
  let root: string;
  beforeAll(() => {
    root = path.join(tmp.dir, "shared-root");
  });

  it("one's partial dump in progress survives the other's runs; its abandoned one goes with its own run only", async () => {
    await completeRun("alpha", root);
    await completeRun("beta", root);
    const alphaFolder = backupFolder(root, "alpha");
    mkdirSync(alphaFolder, { recursive: true });
    // What a pg_dump of alpha's run still writing leaves in its folder, and what a killed one left.
    const inProgress = path.join(alphaFolder, `${dumpFileName("alpha_v20250101_000000", new Date())}.${HOST}.${liveProcess()}.partial`);
    const abandoned = path.join(alphaFolder, `${dumpFileName("alpha_v20250101_000001", new Date())}.${HOST}.${await deadPid()}.partial`);
    const otherHost = path.join(alphaFolder, `${dumpFileName("alpha_v20250101_000002", new Date())}.elsewhere.1.partial`);
    for (const file of [inProgress, abandoned, otherHost]) writeFileSync(file, "PGDMP partial");

    const beta = await completeRun("beta", root);
    expect(path.dirname(beta.backup!.file)).toBe(backupFolder(root, "beta"));
    await pruneBackups({ backupDirectory: root, prefix: "beta", databaseUrl: database.url });
    expect([inProgress, abandoned, otherHost].map(existsSync)).toEqual([true, true, true]);

    const listed = await listBackups({ backupDirectory: root, prefix: "alpha", databaseUrl: database.url });
    expect(
      listed
        .filter((e) => e.status === "partial")
        .map((e) => e.path)
        .sort(),
    ).toEqual([inProgress, abandoned, otherHost].sort());

    await completeRun("alpha", root);
    expect([inProgress, abandoned, otherHost].map(existsSync)).toEqual([true, false, true]);
    expect(readdirSync(backupFolder(root, "beta")).every((name) => name.startsWith("beta_v"))).toBe(true);
    expect(
      readdirSync(alphaFolder)
        .filter((name) => !name.endsWith(".partial"))
        .every((name) => name.startsWith("alpha_v")),
    ).toBe(true);
  });

  it("names this process's partial dumps with its host and pid", () => {
    expect(partialFileName("/b/x.dump")).toBe(`/b/x.dump.${HOST}.${process.pid}.partial`);
  });
});

describe("adoption that lets retention drop the active version", () => {
  it("backs the active version up, names that backup on the adopted version, and prunes the older dump no version names", async () => {
    const root = path.join(tmp.dir, "adopt-root");
    const exportA = sources.make("adopt-a.sqlite", { tickets: 70, seed: 41 }).path;
    const exportB = sources.make("adopt-b.sqlite", { tickets: 71, seed: 42 }).path;
    const options = {
      databaseUrl: database.url,
      schemaPrefix: "adopt",
      mode: "complete" as const,
      backupDirectory: root,
      minFreeMemoryBytes: 0,
    };
    const a = await migrate({ ...options, sourcePath: exportA, retainVersions: 1 });
    const b = await migrate({ ...options, sourcePath: exportB, retainVersions: 1 });
    await withConnection(database.url, (c) => switchTo(c, "adopt", a.schema!)); // a rollback: a active, b retained
    const again = await migrate({ ...options, sourcePath: exportB, retainVersions: 0 });
    expect(again.outcome).toBe("adopted");
    expect(again.schema).toBe(b.schema);
    expect(await versionsOf("adopt")).toEqual([b.schema]);
    expect(path.basename(again.backup!.file)).toMatch(new RegExp(`^${a.schema}_`));
    const meta = await withConnection(database.url, (c) => readVersionMetadata(c, b.schema!));
    expect(meta?.replaced).toEqual({ schema: a.schema, backupFile: again.backup!.file });
    expect(existsSync(b.backup!.file)).toBe(false); // the earlier dump of a: no version names it any more
    const entries = await listBackups({ backupDirectory: root, prefix: "adopt", databaseUrl: database.url });
    expect(entries.map((e) => [e.path, e.version, e.status, e.neededBy])).toEqual([
      [again.backup!.file, a.schema, "protects-retained-version", b.schema],
    ]);
  });
});

describe("keep-days", () => {
  it.each([-1, Number.NaN])("refuses %s days with INVALID_OPTION naming backupKeepDays, before connecting or loading", async (days) => {
    const unreachable = "postgresql://nobody@127.0.0.1:1/none";
    await expect(
      pruneBackups({ backupDirectory: tmp.dir, prefix: "keep", databaseUrl: unreachable, keepDays: days }),
    ).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: `backupKeepDays: must be a number of days >= 0, got ${JSON.stringify(days)}`,
    });
    await expect(migrate({ sourcePath: "/nonexistent.sqlite", databaseUrl: unreachable, backupKeepDays: days })).rejects.toMatchObject({
      code: "INVALID_OPTION",
      message: expect.stringMatching(/^backupKeepDays: /),
    });
  });
});
