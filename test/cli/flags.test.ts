/**
 * Each subcommand takes only the flags it uses: another command's flag is
 * refused with commander's message and exit status 1 before anything runs,
 * and `<command> --help` lists exactly the command's own flags.
 */
import { program } from "../../cli/servicedesk-migrate";
import { cli } from "./support";

const flagsOf = (name: string) =>
  program()
    .commands.find((c) => c.name() === name)!
    .options.map((o) => o.long!)
    .sort();

test("every command's flags, as each declares them", () => {
  const plan = ["--date-range", "--exclude", "--include", "--on-bad-value", "--rename-column", "--rename-table", "--timezone", "--type"];
  const gate = ["--accept", "--min-quality", "--threshold"];
  expect(flagsOf("plan")).toEqual(["--json", "--source", ...plan].sort());
  expect(flagsOf("profile")).toEqual(["--json", "--progress", "--quiet", "--source", ...plan, ...gate].sort());
  expect(flagsOf("versions")).toEqual(["--database-url", "--json", "--schema-prefix"]);
  expect(flagsOf("cutover")).toEqual(["--database-url", "--json", "--lock-timeout", "--schema-prefix", "--to"]);
  expect(flagsOf("rollback")).toEqual(["--database-url", "--json", "--lock-timeout", "--schema-prefix"]);
  expect(flagsOf("restore")).toEqual([
    "--activate",
    "--database-url",
    "--file",
    "--json",
    "--lock-timeout",
    "--pg-bin-dir",
    "--schema-prefix",
  ]);
  expect(flagsOf("backups")).toEqual(["--backup-dir", "--backup-keep-days", "--database-url", "--json", "--schema-prefix"]);
  expect(flagsOf("prune")).toEqual([
    "--backup-dir",
    "--backup-keep-days",
    "--database-url",
    "--dry-run",
    "--json",
    "--lock-timeout",
    "--schema-prefix",
  ]);
  expect(flagsOf("generate")).toEqual(["--defect-rate", "--json", "--out", "--quiet", "--seed", "--tickets"]);
  expect(flagsOf("migrate")).toEqual(
    [
      ...plan,
      ...gate,
      "--allow-table-loss",
      "--backup",
      "--backup-compression",
      "--backup-dir",
      "--backup-keep-days",
      "--cutover",
      "--database-url",
      "--json",
      "--lock-timeout",
      "--mode",
      "--no-reuse",
      "--pg-bin-dir",
      "--progress",
      "--quiet",
      "--report-dir",
      "--retain",
      "--sample-rate",
      "--sample-seed",
      "--schema-prefix",
      "--source",
      "--streams",
      "--test-query",
    ].sort(),
  );
});

test.each([
  [["versions", "--mode", "simple"], "--mode"],
  [["plan", "--source", "x.sqlite", "--database-url", "postgresql://h/d"], "--database-url"],
  [["cutover", "--to", "sd_v20260101_000000", "--source", "x.sqlite"], "--source"],
  [["generate", "--out", "x.sqlite", "--schema-prefix", "sd"], "--schema-prefix"],
  [["migrate", "--source", "x.sqlite", "--to", "sd_v20260101_000000"], "--to"],
])("%j is refused: %s is not a flag of that command", async (args, flag) => {
  const result = await cli(args);
  expect(result.status).toBe(1);
  expect(result.stderr.split("\n")[0]).toBe(`error: unknown option '${flag}'`);
  expect(result.stdout).toBe("");
});

test("<command> --help lists that command's flags and no other's", async () => {
  const versions = await cli(["versions", "--help"]);
  expect(versions.status).toBe(0);
  expect(versions.stdout).toContain("Usage: servicedesk-migrate versions [options]");
  const listed = [...versions.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]).sort();
  expect(listed).toEqual(["--database-url", "--help", "--json", "--schema-prefix"]);
  const migrate = await cli(["migrate", "--help"]);
  for (const flag of ["--lock-timeout <seconds>", "--progress <mode>", "--report-dir <dir>", "--mode <mode>"])
    expect(migrate.stdout).toContain(flag);
  expect(migrate.stdout.replace(/\s+/g, " ")).toContain('(choices: "auto", "bar", "plain", "json", "none", default: "auto")');
  expect(migrate.stdout).not.toContain("--to <schema>");
});

test("a value outside a flag's choices is refused by commander", async () => {
  const result = await cli(["migrate", "--source", "x.sqlite", "--progress", "fancy"]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain(
    "error: option '--progress <mode>' argument 'fancy' is invalid. Allowed choices are auto, bar, plain, json, none.",
  );
});
