#!/usr/bin/env node
/**
 * servicedesk-migrate: the migration engine from the command line.
 * Exit status: 0 success, 2 the quality gate blocked, 1 any other failure
 * (with a one-paragraph message on stderr), 1 also for a flag the command
 * does not take (commander's message). --json prints the result on stdout.
 */
import { accessSync, constants as fsConstants, mkdirSync } from "node:fs";
import { Command } from "commander";
import {
  asMigrationError,
  defaultReportDirectory,
  describeError,
  GateBlockedError,
  migrate,
  MigrationError,
  MigrationReport,
  OptionError,
  resolveOptions,
  writeReportFiles,
} from "../engine";
import { terminalText } from "./terminal-text";
import { FlagName, GATE_FLAGS, PLAN_FLAGS, withFlags } from "./flags";
import { MigrateFlags, migrateOptions } from "./options";
import { print, reportLines } from "./output";
import { ReportFiles, RunEnd } from "./progress";
import { runBackups, runPrune } from "./backups";
import { runRestore } from "./restore";
import { runReview } from "./review";
import { display, EXIT_BLOCKED, EXIT_FAILED } from "./run-output";
import { runGenerate, runPlan, runProfile } from "./inspect";
import { runSwitch, runVersions, TargetFlags } from "./versions";

/** What a command that reads an export for a database takes first: the export, the target, the mode, the plan and the gate. */
const EXPORT_FOR_TARGET_FLAGS: readonly FlagName[] = ["source", "databaseUrl", "schemaPrefix", "mode", ...PLAN_FLAGS, ...GATE_FLAGS];

/** The flags of each command: the only ones it accepts and its --help lists. */
const FLAG_SETS = {
  profile: ["source", ...PLAN_FLAGS, ...GATE_FLAGS, "json", "progress", "quiet"],
  plan: ["source", ...PLAN_FLAGS, "json"],
  migrate: [
    ...EXPORT_FOR_TARGET_FLAGS,
    "allowTableLoss",
    "sampleRate",
    "sampleSeed",
    "testQuery",
    "cutover",
    "retain",
    "backupDir",
    "backupCompression",
    "backupKeepDays",
    "backup",
    "pgBinDir",
    "reportDir",
    "streams",
    "noReuse",
    "lockTimeout",
    "json",
    "progress",
    "quiet",
  ],
  review: [
    ...EXPORT_FOR_TARGET_FLAGS,
    "cutover",
    "backup",
    "backupCompression",
    "pgBinDir",
    "backupDir",
    "reportDir",
    "owner",
    "json",
    "progress",
    "quiet",
  ],
  cutover: ["databaseUrl", "schemaPrefix", "to", "lockTimeout", "json"],
  rollback: ["databaseUrl", "schemaPrefix", "lockTimeout", "json"],
  versions: ["databaseUrl", "schemaPrefix", "json"],
  restore: ["databaseUrl", "schemaPrefix", "file", "activate", "pgBinDir", "lockTimeout", "json"],
  backups: ["databaseUrl", "schemaPrefix", "backupDir", "backupKeepDays", "json"],
  prune: ["databaseUrl", "schemaPrefix", "backupDir", "backupKeepDays", "dryRun", "lockTimeout", "json"],
  generate: ["out", "tickets", "seed", "defectRate", "json", "quiet"],
} satisfies Record<string, readonly FlagName[]>;

function reportFileLines(files: ReportFiles): string[] {
  return [`report:   ${files.markdown}`, `          ${files.json}`];
}

/**
 * A run writes the report files the Pulumi path writes, success or not, and
 * prints them last; --json adds their paths to the report as reportFiles.
 */
async function runMigrate(flags: MigrateFlags & { mode: string }): Promise<void> {
  const options = resolveOptions({ ...migrateOptions(flags), mode: flags.mode as never });
  // A --report-dir that cannot be written is refused before the run; the default, in the backup
  // folder, is left to the health check, which names the backup folder's problem.
  const reportDirectory = flags.reportDir ? writableFolder(flags.reportDir) : defaultReportDirectory(options.backupDirectory);
  const progress = display(flags);
  let end: RunEnd = {};
  try {
    const report = await migrate({ ...options, onProgress: progress.listener });
    end = { report, reportFiles: reportFilesOf(report, reportDirectory) };
  } catch (error) {
    const failure = asMigrationError(error);
    end = { report: failure.report, error: failure, reportFiles: failure.report && reportFilesOf(failure.report, reportDirectory) };
  }
  progress.finish(end);
  const { report, error, reportFiles } = end;
  if (error) {
    // A blocked gate still has a report: print it, then fail with status 2 (failure() prints the others').
    if (error instanceof GateBlockedError) print(flags, { ...error.report, reportFiles: reportFiles ?? null }, reportLines(error.report));
    throw Object.assign(error, { reportFiles });
  }
  print(flags, { ...report, reportFiles: reportFiles ?? null }, [
    ...reportLines(report!),
    ...(reportFiles ? reportFileLines(reportFiles) : []),
  ]);
}

/** Refused before the run, not after a load that then could not say what it did. */
function writableFolder(directory: string): string {
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    accessSync(directory, fsConstants.W_OK);
  } catch (error) {
    throw new OptionError("--report-dir", `cannot write the report files into ${directory}: ${describeError(error)}`);
  }
  return directory;
}

/**
 * The report files, or undefined when they cannot be written: that is
 * said on stderr, and it never changes what the run did or its exit status.
 */
function reportFilesOf(report: MigrationReport, directory: string): ReportFiles | undefined {
  try {
    return writeReportFiles(report, directory);
  } catch (error) {
    process.stderr.write(`servicedesk-migrate: warning: cannot write the report files into ${directory}: ${describeError(error)}\n`);
    return undefined;
  }
}

/**
 * What --json prints for a failure: the run report up to the failure when
 * there is one (its `error` says what and where), else the error alone.
 */
function failureJson(error: MigrationError & { reportFiles?: ReportFiles }): unknown {
  if (error.report) return { ...error.report, reportFiles: error.reportFiles ?? null };
  const { code, message, table, column, rowKey } = error;
  return {
    outcome: "failed",
    error: { code, message, ...(table ? { table } : {}), ...(column ? { column } : {}), ...(rowKey ? { rowKey } : {}) },
  };
}

function failure(error: unknown, flags: { json?: boolean } | undefined): number {
  const blocked = error instanceof GateBlockedError;
  const failed = asMigrationError(error) as MigrationError & { reportFiles?: ReportFiles };
  // A blocked gate's report is on stdout already; any other failure's goes there now.
  if (flags?.json && !blocked) process.stdout.write(`${JSON.stringify(failureJson(failed), null, 2)}\n`);
  if (!flags?.json && failed.reportFiles) process.stdout.write(`${reportFileLines(failed.reportFiles).join("\n")}\n`);
  process.stderr.write(
    terminalText(
      `servicedesk-migrate: ${blocked ? "the quality gate blocked the migration" : "failed"} [${failed.code}]: ${describeError(failed)}`,
    ) + "\n",
  );
  return blocked ? EXIT_BLOCKED : EXIT_FAILED;
}

export function program(): Command {
  const cli = new Command("servicedesk-migrate")
    .description("Migrate a ServiceDesk SQLite export into versioned PostgreSQL schemas.")
    .showHelpAfterError();
  const action =
    <A extends unknown[]>(fn: (...args: A) => Promise<void> | void) =>
    async (...args: A) => {
      try {
        await fn(...args);
      } catch (error) {
        process.exitCode = failure(error, args[0] as { json?: boolean });
      }
    };
  const command = (name: keyof typeof FLAG_SETS, description: string) =>
    withFlags(cli.command(name).description(description), FLAG_SETS[name]);
  command("profile", "convert every value without loading and run the quality gate").action(action(runProfile));
  command("plan", "show the tables, columns and PostgreSQL types a migration would create").action(action(runPlan));
  command("migrate", "migrate the export into a new versioned schema").action(action(runMigrate));
  command("review", "review an export against the version readers are on, as Markdown and JSON to post on a pull request").action(
    action(runReview),
  );
  command("cutover", "point the stable schema at a version").action(action((f: TargetFlags & { to: string }) => runSwitch(f, false)));
  command("rollback", "point the stable schema back at the previous version").action(action((f: TargetFlags) => runSwitch(f, true)));
  command("versions", "list the versions of a prefix").action(action(runVersions));
  command("restore", "restore a backup of a version (pg_restore in one transaction), optionally making it active").action(
    action(runRestore),
  );
  command("backups", "list the backups of a prefix and what each is kept for").action(action(runBackups));
  command("prune", "remove the backups no retained version needs, once older than --backup-keep-days").action(action(runPrune));
  command("generate", "write a realistic ServiceDesk SQLite export").action(action(runGenerate));
  return cli;
}

if (require.main === module) {
  void program().parseAsync(process.argv);
}
