/**
 * restore, backups, prune and --lock-timeout through the CLI, on a prefix
 * with three complete runs (so the first version is dropped and its backup
 * is the only way back to it):
 * - restore brings the dropped version back with its rows, --activate
 *   serves it; the active version and a file that is no backup are refused;
 * - every command that takes the prefix lock gives up after --lock-timeout
 *   with LOCK_TIMEOUT naming the prefix and the server process holding it;
 * - backups lists each dump with why it is kept; prune removes the one no
 *   retained version needs (--dry-run only says so).
 */
import { copyFileSync, existsSync } from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { prefixLockKeySql } from "../../engine/versions";
import { useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { activeVersionOf, countRows, schemasOf, scratchDir } from "../reliability/support";
import { cli, lastLine, Run } from "./support";

const PREFIX = "sdrst";

describe("restore, backups, prune and --lock-timeout", () => {
  const database = useTestDatabase("cli_restore");
  let sources: SourceFolder;
  let scratch: ReturnType<typeof scratchDir>;
  let backups: string;
  const runs: { schema: string; rows: Record<string, number>; backupFile: string | null }[] = [];

  const target = ["--database-url", "", "--schema-prefix", PREFIX];
  const json = (result: Run) => {
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    target[1] = database.url;
    sources = sourceFolder();
    scratch = scratchDir("cli-restore");
    backups = scratch.path("backups");
    for (const [i, tickets] of [300, 350, 400].entries()) {
      const source = sources.make(`${i}.sqlite`, { tickets, seed: i + 1 });
      const report = json(await cli(["migrate", "--source", source.path, ...target, "--backup-dir", backups, "--json", "--quiet"]));
      runs.push({ schema: report.schema, rows: source.rows, backupFile: report.backup?.file ?? null });
    }
  });

  afterAll(() => {
    sources?.cleanup();
    scratch?.cleanup();
  });

  test("the first version is gone and its backup is in the prefix's folder", async () => {
    const versions = json(await cli(["versions", ...target, "--json"]));
    expect(versions.versions.map((v: { schema: string }) => v.schema).sort()).toEqual([runs[1].schema, runs[2].schema]);
    expect(path.dirname(runs[1].backupFile!)).toBe(path.join(backups, PREFIX));
    expect(path.basename(runs[1].backupFile!)).toMatch(new RegExp(`^${runs[0].schema}_\\d{8}T\\d{6}Z\\.dump$`));
  });

  test("restore brings the dropped version back with its rows; --activate serves it", async () => {
    const restored = json(await cli(["restore", ...target, "--file", runs[1].backupFile!, "--activate", "--json"]));
    expect(restored).toMatchObject({ schema: runs[0].schema, file: runs[1].backupFile, rows: runs[0].rows, active: runs[0].schema });
    for (const [table, rows] of Object.entries(runs[0].rows)) {
      expect(await countRows(database.url, runs[0].schema, table)).toBe(rows);
      expect(await countRows(database.url, PREFIX, table)).toBe(rows);
    }
    const versions = json(await cli(["versions", ...target, "--json"]));
    expect({ active: versions.active, previous: versions.previous }).toEqual({ active: runs[0].schema, previous: runs[2].schema });
  });

  test("restore refuses the active version and a file that is no backup of the prefix", async () => {
    const active = await cli(["restore", ...target, "--file", runs[1].backupFile!]);
    expect(active.status).toBe(1);
    expect(lastLine(active.stderr)).toBe(
      `servicedesk-migrate: failed [SCHEMA_CONFLICT]: ${runs[0].schema} is the active version of prefix "${PREFIX}": ` +
        "a restore cannot replace it; switch away first (servicedesk-migrate rollback or cutover --to)",
    );
    const stranger = scratch.path("dump.sql");
    const notBackup = await cli(["restore", ...target, "--file", stranger]);
    expect(notBackup.status).toBe(1);
    expect(lastLine(notBackup.stderr)).toContain(
      `failed [INVALID_OPTION]: --file: ${stranger} is not a backup of a version of prefix "${PREFIX}"`,
    );
  });

  test("with the prefix lock held elsewhere, each command gives up after --lock-timeout naming the holder", async () => {
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${prefixLockKeySql("$1")})`, [PREFIX]);
      const [{ pid }] = (await holder.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows;
      const source = sources.make("0.sqlite", { tickets: 300, seed: 1 });
      const commands = [
        ["cutover", "--to", runs[2].schema],
        ["rollback"],
        ["restore", "--file", runs[2].backupFile!],
        ["prune", "--backup-dir", backups],
        ["migrate", "--source", source.path, "--backup-dir", backups, "--quiet", "--no-reuse"],
      ];
      const started = performance.now();
      const results = await Promise.all(commands.map((args) => cli([...args, ...target, "--lock-timeout", "1"])));
      expect((performance.now() - started) / 1000).toBeLessThan(60);
      for (const [i, result] of results.entries())
        expect({ command: commands[i][0], status: result.status, message: lastLine(result.stderr) }).toEqual({
          command: commands[i][0],
          status: 1,
          message: `servicedesk-migrate: failed [LOCK_TIMEOUT]: another migration holds the lock of schema prefix "${PREFIX}" (server process ${pid}); waited 1 s`,
        });
    } finally {
      await holder.end();
    }
    expect(await activeVersionOf(database.url, PREFIX)).toBe(runs[0].schema); // nothing switched meanwhile
    expect((await schemasOf(database.url, PREFIX)).filter((s) => s.includes("_v")).sort()).toEqual(runs.map((r) => r.schema).sort());
    const after = json(await cli(["cutover", "--to", runs[2].schema, ...target, "--lock-timeout", "1", "--json"]));
    expect(after.active).toBe(runs[2].schema);
  });

  test("backups lists each dump with why it is kept; prune removes only what no retained version needs", async () => {
    // A dump of a version long gone that no retained version names: what prune is for.
    const stale = path.join(backups, PREFIX, `${PREFIX}_v20200101_000000_20200101T000000Z.dump`);
    copyFileSync(runs[2].backupFile!, stale);
    const listed = json(await cli(["backups", ...target, "--backup-dir", backups, "--json"])).backups as {
      path: string;
      status: string;
      neededBy: string | null;
    }[];
    expect(listed.map((b) => [b.path, b.status, b.neededBy])).toEqual([
      [stale, "expired", null],
      [runs[1].backupFile, "protects-retained-version", runs[1].schema],
      [runs[2].backupFile, "protects-retained-version", runs[2].schema],
    ]);
    const unchecked = await cli(["backups", "--schema-prefix", PREFIX, "--backup-dir", backups]);
    expect(unchecked.status).toBe(0);
    expect(
      unchecked.stdout
        .trim()
        .split("\n")
        .map((line) => line.split("  ")[4]),
    ).toEqual(["unchecked", "unchecked", "unchecked"]);

    const dry = json(await cli(["prune", ...target, "--backup-dir", backups, "--dry-run", "--json"]));
    expect(dry.removed.map((b: { path: string }) => b.path)).toEqual([stale]);
    expect(existsSync(stale)).toBe(true);
    const pruned = await cli(["prune", ...target, "--backup-dir", backups]);
    expect(pruned.status).toBe(0);
    expect(pruned.stdout.trim().split("\n").pop()).toBe("removed 1 backup(s), kept 2");
    expect([existsSync(stale), existsSync(runs[1].backupFile!), existsSync(runs[2].backupFile!)]).toEqual([false, true, true]);
  });
});
