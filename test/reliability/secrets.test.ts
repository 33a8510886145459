/**
 * Secrets and least privilege. The whole flow runs as a role holding only
 * LOGIN and CONNECT + CREATE on the database (no superuser, no CREATEDB,
 * no CREATEROLE, no membership): through `pulumi up` (load, replace with a
 * backup and a cutover, a failed up, the rollback and cutover commands) and
 * through the CLI (complete mode twice, the restore command, rollback),
 * and `pulumi destroy`.
 *
 * Its password is unique and holds characters a URL must encode; neither
 * it, its encoded form nor its random core appears in `pulumi stack
 * export` (the CLI binary: the Automation API's exportStack adds
 * --show-secrets), the outputs, history, any file of the backend, the
 * project, the backups or the reports, the CLI's stdout and stderr, error
 * messages of runs that failed after connecting, backup file names or the
 * commands. Backups and reports are mode 0600 in a 0700 folder.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { dropTestDatabase, queryRows, useTestDatabase, withDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";
import { activeVersionOf, CliResult, countRows, quoteIdent, reportOf, runCli, schemasOf, scratchDir } from "./support";

const CORE = randomBytes(12).toString("hex");
const PASSWORD = `Sdm+${CORE}/=`;
/** Every spelling of the password that could leak: plain, URL-encoded, and its random core alone. */
const SPELLINGS = [PASSWORD, encodeURIComponent(PASSWORD), CORE];
const ROLE = `sdm_least_${randomBytes(3).toString("hex")}`;

function expectNoSecret(where: string, text: string): void {
  for (const spelling of SPELLINGS) expect({ where, leaks: text.includes(spelling) }).toEqual({ where, leaks: false });
}

/** Files under `dir` whose name or content holds the password in any spelling (grep -a: binary files too). */
function filesHoldingSecret(dir: string): string[] {
  const found = new Set<string>();
  for (const spelling of SPELLINGS) {
    const grep = spawnSync("grep", ["-rlaF", "--", spelling, dir], { encoding: "utf8" });
    if (grep.status !== 1 && grep.status !== 0) throw new Error(`grep failed: ${grep.stderr}`);
    for (const file of grep.stdout.split("\n").filter(Boolean)) found.add(file);
  }
  const names = spawnSync("find", [dir], { encoding: "utf8" }).stdout.split("\n");
  for (const name of names) if (SPELLINGS.some((s) => path.basename(name).includes(s))) found.add(name);
  return [...found];
}

describe("secrets stay secret, and a least-privilege role runs the whole flow", () => {
  const database = useTestDatabase("secrets");
  let sandbox: PulumiSandbox;
  let project: ScratchProject;
  let sources: SourceFolder;
  let scratch: ReturnType<typeof scratchDir>;
  let stack: Stack;
  let connection: string;
  /** Folders the product creates: the stack's backups, and the CLI's working folder (its backups go to ./backups). */
  let pulumiBackups: string;
  let cliWork: string;
  /** Everything the Pulumi CLI and the migration CLI printed, checked at the end. */
  const printed: { where: string; text: string }[] = [];

  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
  const pulumiCli = (args: string[]) =>
    execFileSync(sandbox.command.command, [...args, "--stack", "secrets"], {
      cwd: project.dir,
      env: { ...process.env, ...sandbox.env },
      encoding: "utf8",
    });
  const cli = async (args: string[], cwd: string): Promise<CliResult> => {
    const result = await runCli(args, { cwd });
    printed.push({ where: `servicedesk-migrate ${args[0]}`, text: result.stdout + result.stderr });
    return result;
  };

  beforeAll(async () => {
    await queryRows(
      database.url,
      `CREATE ROLE ${ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS PASSWORD '${PASSWORD}'`,
    );
    // Nothing through PUBLIC either: no TEMPORARY on the database, no USAGE on schema public.
    await queryRows(
      database.url,
      `REVOKE ALL ON DATABASE ${quoteIdent(database.db.name)} FROM PUBLIC; REVOKE ALL ON SCHEMA public FROM PUBLIC`,
    );
    await queryRows(database.url, `GRANT CONNECT, CREATE ON DATABASE ${quoteIdent(database.db.name)} TO ${ROLE}`);
    const url = new URL(withDatabase(database.url, database.db.name));
    url.username = ROLE;
    url.password = encodeURIComponent(PASSWORD);
    connection = url.toString();
    sandbox = await createPulumiSandbox();
    project = scratchProject();
    sources = sourceFolder();
    scratch = scratchDir("secrets");
    pulumiBackups = path.join(scratch.dir, "pulumi-backups");
    cliWork = path.join(scratch.dir, "cli-work");
    mkdirSync(cliWork);
    stack = await stackOf(sandbox, project.dir, "secrets");
    await stack.setAllConfig({
      source: { value: sources.make("a.sqlite", { tickets: 300, seed: 1 }).path },
      connection: { value: connection, secret: true },
      schemaPrefix: { value: "sdsecret" },
      backupDirectory: { value: pulumiBackups },
    });
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("secrets", { force: true }).catch(() => undefined);
    sandbox?.cleanup();
    project?.cleanup();
    sources?.cleanup();
    scratch?.cleanup();
    // The role owns the versions: the database goes first.
    await dropTestDatabase(database.db);
    await queryRows(database.db.serverUrl, `DROP ROLE IF EXISTS ${ROLE}`);
  });

  test("the role has LOGIN and CONNECT + CREATE on the database, nothing more", async () => {
    const [attributes] = await queryRows(
      database.url,
      "SELECT rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1",
      [ROLE],
    );
    expect(attributes).toEqual({
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolinherit: false,
      rolreplication: false,
      rolbypassrls: false,
      rolcanlogin: true,
    });
    expect(await queryRows(database.url, "SELECT roleid FROM pg_auth_members WHERE member = $1::regrole", [ROLE])).toEqual([]);
    const granted = await queryRows<{ privilege_type: string }>(
      database.url,
      "SELECT a.privilege_type FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database() AND a.grantee = $1::regrole ORDER BY 1",
      [ROLE],
    );
    expect(granted.map((g) => g.privilege_type)).toEqual(["CONNECT", "CREATE"]);
    const [rights] = await queryRows(
      database.url,
      "SELECT has_database_privilege($1, current_database(), 'TEMPORARY') AS temp, has_schema_privilege($1, 'public', 'USAGE') AS public_usage",
      [ROLE],
    );
    expect(rights).toEqual({ temp: false, public_usage: false });
  });

  test("pulumi up as that role: load, then a replacement with a backup and a cutover", async () => {
    const first = await stack.up();
    printed.push({ where: "pulumi up 1", text: first.stdout + first.stderr });
    const v1 = (await outputs()).schemaName as string;
    await stack.setConfig("source", { value: sources.make("b.sqlite", { tickets: 350, seed: 2 }).path });
    const second = await stack.up();
    printed.push({ where: "pulumi up 2", text: second.stdout + second.stderr });
    expect(second.summary.resourceChanges).toEqual({ replace: 1, same: 2 });
    const out = await outputs();
    expect(out.previousSchemaName).toBe(v1);
    expect(await activeVersionOf(database.url, "sdsecret")).toBe(out.schemaName);
    expect(out.rowCounts).toEqual({ tickets: 350, comments: expect.any(Number), timesheets: expect.any(Number) });
    expect(out.backupFile).toMatch(new RegExp(`/${v1}_\\d{8}T\\d{6}Z\\.dump$`));
    const owners = await queryRows<{ nspname: string; owner: string }>(
      database.url,
      "SELECT nspname, nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname LIKE 'sdsecret%' ORDER BY 1",
    );
    expect(owners.every((o) => o.owner === ROLE)).toBe(true);
  });

  test("an up that fails after connecting (a canary test query) says why, without the password", async () => {
    await stack.setConfig("source", { value: sources.make("c.sqlite", { tickets: 250, seed: 3 }).path });
    await stack.setConfig("testQueries[0]", { value: "SELECT 1 / 0" }, true);
    let message = "";
    try {
      await stack.up();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/canary test query "user query 1" failed.*division by zero/);
    printed.push({ where: "failed pulumi up", text: message });
    await stack.removeConfig("testQueries");
    await stack.setConfig("source", { value: sources.make("b.sqlite", { tickets: 350, seed: 2 }).path });
  });

  test("a connection that fails validation is named, its value shown as [secret]", async () => {
    await stack.setConfig("connection", { value: connection.replace(/^postgresql:/, "postgresq:"), secret: true });
    let message = "";
    try {
      await stack.preview();
    } catch (error) {
      message = (error as Error).message;
    } finally {
      await stack.setConfig("connection", { value: connection, secret: true });
    }
    expect(message).toContain("property connection value {[secret]} has a problem: must be a postgresql:// URL");
    printed.push({ where: "failed pulumi preview", text: message });
  });

  test("the rollback and cutover outputs run as that role, with the connection from $DATABASE_URL", async () => {
    const out = await outputs();
    const env = { ...process.env, DATABASE_URL: connection };
    for (const command of ["cutoverCommand", "rollbackCommand", "restoreCommand"]) {
      expect(out[command]).toContain('"$DATABASE_URL"');
      expectNoSecret(`output ${command}`, out[command] as string);
    }
    execFileSync("bash", ["-c", out.rollbackCommand as string], { env, stdio: "pipe" });
    expect(await activeVersionOf(database.url, "sdsecret")).toBe(out.previousSchemaName);
    expect(await countRows(database.url, "sdsecret", "tickets")).toBe(300);
    execFileSync("bash", ["-c", out.cutoverCommand as string], { env, stdio: "pipe" });
    expect(await activeVersionOf(database.url, "sdsecret")).toBe(out.schemaName);
    expect(await countRows(database.url, "sdsecret", "tickets")).toBe(350);
  });

  test("the CLI as that role: complete mode twice (backup and cutover), restore, rollback, and a failure after connecting", async () => {
    // The default backup folder, ./backups, relative to where the CLI runs and not yet there.
    const cwd = cliWork;
    const args = (source: string, ...extra: string[]) => [
      "migrate",
      "--source",
      source,
      "--database-url",
      connection,
      "--schema-prefix",
      "sdsecretcli",
      "--json",
      ...extra,
    ];
    const first = await cli(args(sources.make("a.sqlite", { tickets: 300, seed: 1 }).path), cwd);
    expect({ status: first.status, outcome: reportOf(first).outcome }).toEqual({ status: 0, outcome: "loaded" });
    const second = await cli(args(sources.make("b.sqlite", { tickets: 350, seed: 2 }).path), cwd);
    expect(second.status).toBe(0);
    const report = reportOf(second);
    expect({ outcome: report.outcome, cutOver: report.cutOver, previous: report.previousSchema }).toEqual({
      outcome: "loaded",
      cutOver: true,
      previous: reportOf(first).schema,
    });
    expect(path.dirname(report.backup!.file)).toBe(path.join(cwd, "backups", "sdsecretcli")); // the prefix's folder
    expect(await countRows(database.url, "sdsecretcli", "tickets")).toBe(350);

    // Restore the backup of the first version over it (it is not active), then roll back to it.
    const env = { ...process.env, DATABASE_URL: connection };
    execFileSync("bash", ["-c", report.commands.restoreCommand!], { env, stdio: "pipe" });
    expect(await countRows(database.url, report.previousSchema!, "tickets")).toBe(300);
    const rollback = await cli(["rollback", "--schema-prefix", "sdsecretcli", "--database-url", connection], cwd);
    expect(rollback.status).toBe(0);
    expect(await activeVersionOf(database.url, "sdsecretcli")).toBe(report.previousSchema);
    expect(await countRows(database.url, "sdsecretcli", "tickets")).toBe(300);

    const failed = await cli(args(sources.make("c.sqlite", { tickets: 250, seed: 3 }).path, "--test-query", "SELECT 1 / 0"), cwd);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/\[CANARY_FAILED\].*division by zero/);
    expect(await schemasOf(database.url, "sdsecretcli")).toEqual(
      ["sdsecretcli", "sdsecretcli_control", report.previousSchema!, report.schema!].sort(),
    );
  });

  test("backups and reports are 0600 in 0700 folders", () => {
    const folders = [pulumiBackups, path.join(cliWork, "backups")];
    const files = folders.flatMap((dir) =>
      readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => path.join(e.parentPath, e.name)),
    );
    const dumps = files.filter((f) => f.endsWith(".dump"));
    const reports = files.filter((f) => /\.(json|md)$/.test(f));
    expect(dumps.length).toBe(2);
    expect(reports.length).toBeGreaterThanOrEqual(4);
    for (const file of [...dumps, ...reports])
      expect({ file, mode: (statSync(file).mode & 0o777).toString(8) }).toEqual({ file, mode: "600" });
    for (const dir of [...folders, path.join(folders[0], "reports")])
      expect({ dir, mode: (statSync(dir).mode & 0o777).toString(8) }).toEqual({ dir, mode: "700" });
  });

  test("the password is nowhere: stack export, outputs, history, backend, project, backups, reports, CLI output, errors", () => {
    const exported = pulumiCli(["stack", "export"]);
    expect(exported).toContain("ciphertext");
    expectNoSecret("pulumi stack export", exported);
    expectNoSecret("pulumi stack output --show-secrets", pulumiCli(["stack", "output", "--json", "--show-secrets"]));
    expectNoSecret("pulumi stack history", pulumiCli(["stack", "history", "--json"]));
    expectNoSecret("pulumi config", pulumiCli(["config", "--json"]));
    for (const { where, text } of printed) expectNoSecret(where, text);
    expect(printed.map((p) => p.where)).toEqual([
      "pulumi up 1",
      "pulumi up 2",
      "failed pulumi up",
      "failed pulumi preview",
      "servicedesk-migrate migrate",
      "servicedesk-migrate migrate",
      "servicedesk-migrate rollback",
      "servicedesk-migrate migrate",
    ]);
    // Files: the backend (state, history, backups of the state), Pulumi's home, the project (stack config), dumps and reports.
    expect(filesHoldingSecret(path.dirname(sandbox.stateDir))).toEqual([]);
    expect(filesHoldingSecret(project.dir)).toEqual([]);
    expect(filesHoldingSecret(scratch.dir)).toEqual([]);
    // The search itself finds each spelling, in a file's content and in its name.
    const planted = scratch.path(`planted/${CORE}.txt`);
    writeFileSync(scratch.path("planted/encoded.bin"), Buffer.concat([Buffer.from([0, 255]), Buffer.from(encodeURIComponent(PASSWORD))]));
    writeFileSync(planted, "nothing inside");
    expect(filesHoldingSecret(path.dirname(planted)).sort()).toEqual([scratch.path("planted/encoded.bin"), planted].sort());
  });

  test("pulumi destroy as that role removes every schema the stack made", async () => {
    const destroy = await stack.destroy();
    expect(destroy.summary.result).toBe("succeeded");
    expectNoSecret("pulumi destroy", destroy.stdout + destroy.stderr);
    expect(await schemasOf(database.url, "sdsecret")).toEqual([]);
  });
});
