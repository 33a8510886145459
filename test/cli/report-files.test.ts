/**
 * migrate writes the run report files the Pulumi path writes (JSON and
 * Markdown, mode 0600, named after the run) into --report-dir, by default
 * <backup-dir>/reports as for Pulumi, for a failed run too, and prints
 * their paths last; the connection's password is in none of them.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { schemasOf, scratchDir } from "../reliability/support";
import { cli } from "./support";

// The server trusts local connections, so a password in the URL is accepted and ignored: it must still never be written.
const PASSWORD = "pw-Report-7c1e9";

describe("report files of a CLI run", () => {
  const database = useTestDatabase("cli_reports");
  let sources: SourceFolder;
  let scratch: ReturnType<typeof scratchDir>;
  let url: string;

  beforeAll(() => {
    sources = sourceFolder();
    scratch = scratchDir("cli-reports");
    const withPassword = new URL(database.url);
    withPassword.password = PASSWORD;
    url = withPassword.toString();
  });

  afterAll(() => {
    sources?.cleanup();
    scratch?.cleanup();
  });

  /** `migrate` of a source into a prefix as every case here runs it, plus its own flags. */
  const migrate = (sourcePath: string, prefix: string, ...flags: string[]) =>
    cli(["migrate", "--source", sourcePath, "--database-url", url, "--schema-prefix", prefix, ...flags]);

  const expectPrivateFile = (file: string) => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain(PASSWORD);
    return text;
  };

  test("a loaded run: files in <backup-dir>/reports named after the version, paths printed last", async () => {
    const source = sources.make("a.sqlite", { tickets: 300, seed: 1 });
    const backups = scratch.path("backups");
    // 0.07 * 100 is 7.000000000000001 in floating point: the summary prints the rounded figure.
    const result = await migrate(source.path, "sdrep", "--backup-dir", backups, "--sample-rate", "0.07");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/test queries passed on a 7% sample in /);
    const schema = /^versioned schema: (\S+)/m.exec(result.stdout)![1];
    const json = path.join(backups, "reports", `${schema}.json`);
    const markdown = path.join(backups, "reports", `${schema}.md`);
    expect(result.stdout.trimEnd().split("\n").slice(-2)).toEqual([`report:   ${markdown}`, `          ${json}`]);
    const report = JSON.parse(expectPrivateFile(json));
    expect(report).toMatchObject({ outcome: "loaded", schema, mode: "complete" });
    expect(report.tables.map((t: { table: string; rowsLoaded: number }) => [t.table, t.rowsLoaded])).toEqual(Object.entries(source.rows));
    expect(expectPrivateFile(markdown)).toContain(`# Migration report: ${schema}`);
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  test("a failed run (a test query fails on the canary): files with the error, in --report-dir, paths in --json", async () => {
    const source = sources.make("b.sqlite", { tickets: 300, seed: 2 });
    const reports = scratch.path("elsewhere/reports");
    const result = await migrate(
      source.path,
      "sdrepfail",
      "--backup-dir",
      scratch.path("backups"),
      "--report-dir",
      reports,
      "--test-query",
      "SELECT 1 / 0",
      "--json",
      "--quiet",
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^servicedesk-migrate: failed \[CANARY_FAILED\]: /m);
    const printed = JSON.parse(result.stdout);
    expect(printed.error.code).toBe("CANARY_FAILED");
    expect(path.dirname(printed.reportFiles.json)).toBe(reports);
    const report = JSON.parse(expectPrivateFile(printed.reportFiles.json));
    // A run that made no version is named after its start.
    expect(path.basename(printed.reportFiles.json)).toBe(`run-${report.startedAt.replace(/[:.]/g, "")}.json`);
    expect(report).toMatchObject({ outcome: "failed", error: { code: "CANARY_FAILED" } });
    expect(expectPrivateFile(printed.reportFiles.markdown)).toContain("- error (CANARY_FAILED): ");
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  test("a report folder that cannot be written is refused before anything is loaded", async () => {
    const source = sources.make("a.sqlite", { tickets: 300, seed: 1 });
    const result = await migrate(source.path, "sdrepnot", "--report-dir", "/dev/null/reports");
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^servicedesk-migrate: failed \[INVALID_OPTION\]: --report-dir: cannot write the report files into \/dev\/null\/reports: ENOTDIR/,
    );
    expect(await schemasOf(database.url, "sdrepnot")).toEqual([]);
  });

  test("report files that cannot be written in the default folder are a warning: the run's outcome stands", async () => {
    const source = sources.make("a.sqlite", { tickets: 300, seed: 1 });
    // The run's scratch files need the backup folder; only its reports/ is unusable (a file).
    const scratch = scratchDir("report-warning");
    const backupDir = scratch.dir;
    writeFileSync(path.join(backupDir, "reports"), "not a folder");
    const result = await migrate(source.path, "sdrepwarn", "--mode", "simple", "--backup-dir", backupDir, "--json", "--quiet");
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(`^servicedesk-migrate: warning: cannot write the report files into ${path.join(backupDir, "reports")}: E(EXIST|NOTDIR)`),
    );
    const report = JSON.parse(result.stdout);
    expect({ outcome: report.outcome, reportFiles: report.reportFiles }).toEqual({ outcome: "loaded", reportFiles: null });
    expect(await schemasOf(database.url, "sdrepwarn")).toContain(report.schema);
    scratch.cleanup();
  });
});
