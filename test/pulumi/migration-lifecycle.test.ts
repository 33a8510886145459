/**
 * The ServicedeskMigration lifecycle through the real Pulumi CLI
 * (Automation API, local file backend) against the real PostgreSQL:
 * preview, up, no-op, replace, cutover and rollback commands, adoption on
 * revert, a failed up, refresh after drift, destroy, and secrets.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { dropTestDatabase, queryRows, useTestDatabase, withDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";

const PREFIX = "sdlife";
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}-unique`;

describe("ServicedeskMigration through the Pulumi CLI", () => {
  const database = useTestDatabase("lifecycle");
  let sandbox: PulumiSandbox;
  let project: ScratchProject;
  let sources: SourceFolder;
  let backups: string;
  let stack: Stack;
  let role: string;
  let connection: string;
  const versionsIn = async () =>
    (
      await queryRows<{ nspname: string }>(database.url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1 ORDER BY 1", [
        `${PREFIX}_v%`,
      ])
    ).map((r) => r.nspname);
  const stableTarget = async () => {
    const rows = await queryRows<{ c: string }>(database.url, "SELECT obj_description($1::regnamespace, 'pg_namespace') AS c", [PREFIX]);
    return JSON.parse(rows[0].c).active as string;
  };
  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));

  beforeAll(async () => {
    role = `sdm_owner_${Math.random().toString(36).slice(2, 8)}`;
    await queryRows(database.url, `CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
    await queryRows(database.url, `GRANT CREATE, CONNECT ON DATABASE ${database.db.name} TO ${role}`);
    const url = new URL(withDatabase(database.url, database.db.name));
    url.username = role;
    url.password = PASSWORD;
    connection = url.toString();
    sandbox = await createPulumiSandbox();
    project = scratchProject();
    sources = sourceFolder();
    backups = mkdtempSync(path.join(tmpdir(), "sdm-backups-"));
    sources.make("a.sqlite", { tickets: 1500, seed: 1 });
    sources.make("b.sqlite", { tickets: 1800, seed: 2 });
    sources.make("bad.sqlite", { tickets: 1500, seed: 3, defectRate: 0.2 });
    stack = await stackOf(sandbox, project.dir, "lifecycle");
    await stack.setAllConfig({
      source: { value: sources.make("a.sqlite", { tickets: 1500, seed: 1 }).path },
      connection: { value: connection, secret: true },
      schemaPrefix: { value: PREFIX },
      backupDirectory: { value: backups },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("lifecycle", { force: true }).catch(() => undefined);
    sandbox?.cleanup();
    project?.cleanup();
    sources?.cleanup();
    rmSync(backups, { recursive: true, force: true });
    // The role owns objects in the test database: drop that first.
    await dropTestDatabase(database.db);
    await queryRows(database.db.serverUrl, `DROP ROLE IF EXISTS ${role}`);
  });

  test("preview of a new stack shows the plan and changes nothing in the database", async () => {
    const preview = await stack.preview({ diff: true });
    // The stack, the component and the migration.
    expect(preview.changeSummary.create).toBe(3);
    expect(preview.stdout).toContain("schemaPlan");
    expect(preview.stdout).toMatch(/created_at\s*:\s*"timestamp without time zone"/);
    expect(preview.stdout).toMatch(/logged_at\s*:\s*"timestamp with time zone"/);
    const schemas = await queryRows(database.url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", [`${PREFIX}%`]);
    expect(schemas).toEqual([]);
  });

  test("preview of an export below minQuality fails with the gate's findings", async () => {
    await stack.setConfig("source", { value: sources.make("bad.sqlite", { tickets: 1500, seed: 3, defectRate: 0.2 }).path });
    await expect(stack.preview()).rejects.toThrow(/quality gate blocks .*bad\.sqlite: quality score \d+ is below minQuality 80/);
    await stack.setConfig("source", { value: sources.make("a.sqlite", { tickets: 1500, seed: 1 }).path });
    expect(await versionsIn()).toEqual([]);
  });

  test("up creates the versioned schema with its rows, types, keys and outputs; a second up is a no-op", async () => {
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ create: 3 });
    const out = await outputs();
    const a = sources.make("a.sqlite", { tickets: 1500, seed: 1 });
    expect(out.schemaName).toMatch(new RegExp(`^${PREFIX}_v\\d{8}_\\d{6}$`));
    expect(await versionsIn()).toEqual([out.schemaName]);
    expect(await stableTarget()).toBe(out.schemaName);
    for (const table of ["tickets", "comments", "timesheets"]) {
      const [{ n }] = await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM "${out.schemaName}"."${table}"`);
      expect(Number(n)).toBe(out.rowCounts[table]);
      expect(Number(n) + out.rejectCounts[table]).toBe(a.rows[table as "tickets"]);
    }
    const types = await queryRows<{ column_name: string; data_type: string }>(
      database.url,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'tickets' AND column_name IN ('created_at', 'updated_at', 'is_escalated', 'estimated_cost') ORDER BY 1",
      [out.schemaName],
    );
    expect(types).toEqual([
      { column_name: "created_at", data_type: "timestamp without time zone" },
      { column_name: "estimated_cost", data_type: "numeric" },
      { column_name: "is_escalated", data_type: "boolean" },
      { column_name: "updated_at", data_type: "timestamp with time zone" },
    ]);
    const keys = await queryRows<{ contype: string; n: string }>(
      database.url,
      "SELECT contype, count(*) AS n FROM pg_constraint WHERE connamespace = $1::regnamespace GROUP BY contype ORDER BY contype",
      [out.schemaName],
    );
    // Three primary keys, two foreign keys, and the CHECK on _rejects.action.
    expect(keys).toEqual([
      { contype: "c", n: "1" },
      { contype: "f", n: "2" },
      { contype: "p", n: "3" },
    ]);
    expect(out.cutoverCommand).toBe(
      `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c 'SELECT "${PREFIX}_control".switch_to('\\''${out.schemaName}'\\'');'`,
    );
    expect(out.origin).toBe("loaded");
    expect(out.quality.score).toBe(100);

    const again = await stack.up();
    expect(again.summary.resourceChanges).toEqual({ same: 3 });
  });

  test("a changed export replaces: a new version loads, the previous is kept, and the commands switch back and forth", async () => {
    const first = (await outputs()).schemaName as string;
    await stack.setConfig("source", { value: sources.make("b.sqlite", { tickets: 1800, seed: 2 }).path });
    // From here on the stack loads with two table streams: the parallel path of every later up.
    await stack.setConfig("streams", { value: "2" });
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ replace: 1, same: 2 });
    const out = await outputs();
    const report = JSON.parse(readFileSync(path.join(backups, "reports", `${out.schemaName as string}.json`), "utf8"));
    expect({ streams: report.streams, mode: report.mode }).toEqual({ streams: 2, mode: "complete" });
    expect(await queryRows(database.url, "SELECT nspname FROM pg_namespace WHERE nspname = $1", [`${PREFIX}_staging`])).toEqual([]);
    expect(out.schemaName).not.toBe(first);
    expect(out.previousSchemaName).toBe(first);
    expect(await versionsIn()).toEqual([first, out.schemaName].sort());
    expect(await stableTarget()).toBe(out.schemaName);
    expect(out.backupFile).toMatch(new RegExp(`${first}_\\d{8}T\\d{6}Z\\.dump$`));

    const env = { ...process.env, DATABASE_URL: withDatabase(database.url, database.db.name) };
    const ticketsNow = async () =>
      Number((await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM ${PREFIX}.tickets`))[0].n);
    execFileSync("bash", ["-c", out.rollbackCommand], { env, stdio: "pipe" });
    expect(await stableTarget()).toBe(first);
    expect(await ticketsNow()).toBe(1500 - 0);
    execFileSync("bash", ["-c", out.cutoverCommand], { env, stdio: "pipe" });
    expect(await stableTarget()).toBe(out.schemaName);
    expect(await ticketsNow()).toBe(out.rowCounts.tickets);
  });

  test("the stack's state, history and outputs never hold the password in plain text", async () => {
    // The CLI itself, not the Automation API: its exportStack adds --show-secrets.
    const cli = (args: string[]) =>
      execFileSync(sandbox.command.command, [...args, "--stack", "lifecycle"], {
        cwd: project.dir,
        env: { ...process.env, ...sandbox.env },
        encoding: "utf8",
      });
    const exported = cli(["stack", "export"]);
    expect(exported).toContain("ciphertext");
    expect(exported).not.toContain(PASSWORD);
    expect(cli(["stack", "history", "--json"])).not.toContain(PASSWORD);
    expect(cli(["stack", "output", "--json"])).not.toContain(PASSWORD);
    // Every file of the backend: checkpoints, their backups, history.
    const grep = spawnSync("grep", ["-rl", PASSWORD, sandbox.stateDir], { encoding: "utf8" });
    expect(grep.stdout).toBe("");
    expect(grep.status).toBe(1);
  });

  test("reverting the export adopts the retained version without reloading", async () => {
    const [first] = await versionsIn();
    await stack.setConfig("source", { value: sources.make("a.sqlite", { tickets: 1500, seed: 1 }).path });
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ replace: 1, same: 2 });
    const out = await outputs();
    expect(out.origin).toBe("adopted");
    expect(out.schemaName).toBe(first);
    expect((await versionsIn()).length).toBe(2);
    expect(await stableTarget()).toBe(first);
  });

  test("an up that fails midway leaves the stable schema and the versions untouched; the next up succeeds", async () => {
    const before = await outputs();
    const versionsBefore = await versionsIn();
    // An export no retained version holds, so it must load (and its canary run).
    await stack.setConfig("source", { value: sources.make("c.sqlite", { tickets: 1200, seed: 4 }).path });
    await stack.setConfig("testQueries[0]", { value: "SELECT count(*) FROM no_such_table" }, true);
    await expect(stack.up()).rejects.toThrow(/canary test query "user query 1" failed .*no_such_table/);
    expect(await stableTarget()).toBe(before.schemaName);
    expect(await versionsIn()).toEqual(versionsBefore);
    expect((await outputs()).schemaName).toBe(before.schemaName);
    const state = await stack.exportStack();
    expect(state.deployment.pending_operations ?? []).toEqual([]);

    await stack.removeConfig("testQueries");
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const out = await outputs();
    expect(out.origin).toBe("loaded");
    expect(out.rowCounts.tickets).toBe(1200);
    expect(await stableTarget()).toBe(out.schemaName);
  });

  test("refresh reports a version dropped behind Pulumi's back", async () => {
    const out = await outputs();
    await queryRows(database.url, `DROP SCHEMA "${out.schemaName}" CASCADE`);
    const refresh = await stack.refresh();
    expect(refresh.summary.resourceChanges?.delete).toBe(1);
    const state = await stack.exportStack();
    const types = (state.deployment.resources ?? []).map((r: { type: string }) => r.type);
    expect(types).not.toContain("pulumi-nodejs:dynamic/servicedesk:ServicedeskMigration");
  });

  test("the next up loads again, and destroy removes every schema the stack owns but keeps its backups", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect((await versionsIn()).length).toBeGreaterThan(0);
    const dumps = () => readdirSync(path.join(backups, PREFIX)).filter((f) => f.endsWith(".dump"));
    const before = dumps();
    expect(before.length).toBeGreaterThan(0);
    const destroy = await stack.destroy();
    expect(destroy.summary.result).toBe("succeeded");
    const left = await queryRows(database.url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", [`${PREFIX}%`]);
    expect(left).toEqual([]);
    // The last copy of what destroy dropped: pruning them is the operator's call.
    expect(dumps()).toEqual(before);
  });
});
