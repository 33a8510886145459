#!/usr/bin/env node
/**
 * servicedesk-migrate: the migration engine from the command line.
 * Exit status: 0 success, 2 the quality gate blocked, 1 any other failure
 * (with a one-paragraph message on stderr). --json prints the report on stdout.
 */
import { Command, Option } from "commander";
import {
  DEFAULTS,
  evaluateGate,
  GateBlockedError,
  generateServicedeskDatabase,
  inspectSource,
  measureByReading,
  migrate,
  asMigrationError,
  MigrationError,
  resolveOptions,
  throttled,
  versions,
  describeError,
  withClient,
} from "../engine";
import { CommonFlags, databaseUrlOf, migrateOptions, renames, requireSource, typeOverrides } from "./options";
import { planLines, progressLine, qualityLines, reportLines } from "./output";

const EXIT_BLOCKED = 2;
const EXIT_FAILED = 1;

function commonOptions(command: Command): Command {
  return command
    .option("--source <file>", "the SQLite export")
    .option("--database-url <url>", "target PostgreSQL (default: $DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres)")
    .option("--schema-prefix <prefix>", "prefix of the versioned and stable schemas", DEFAULTS.schemaPrefix)
    .option("--min-quality <score>", `gate threshold, 0-100 (default ${DEFAULTS.minQuality})`)
    .option("--sample-rate <rate>", `canary sample share, (0, 1] (default ${DEFAULTS.sampleRate})`)
    .option("--sample-seed <seed>", `canary sample seed (default ${DEFAULTS.sampleSeed})`)
    .addOption(
      new Option("--on-bad-value <policy>", "a value that cannot be converted: reject the row, null the value, or fail")
        .choices(["reject", "null", "fail"])
        .default(DEFAULTS.badValuePolicy),
    )
    .option("--type <table.column=type>", "override a column's type (repeatable)", collect, [])
    .option("--rename-table <table=name>", "give a table another name in PostgreSQL (repeatable)", collect, [])
    .option("--rename-column <table.column=name>", "give a column another name in PostgreSQL (repeatable)", collect, [])
    .option("--include <table>", "migrate only these tables (repeatable)", collect, [])
    .option("--exclude <table>", "leave these tables out (repeatable)", collect, [])
    .option("--timezone <zone>", "IANA zone of naive timestamps; they load as timestamptz")
    .option("--test-query <sql>", "SQL the canary must run without error (repeatable)", collect, [])
    .option("--json", "print the machine-readable report on stdout", false)
    .option("--quiet", "no progress on stderr", false);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function progress(flags: { quiet: boolean; json: boolean }) {
  return flags.quiet ? undefined : throttled((event) => process.stderr.write(`${progressLine(event)}\n`), 2000);
}

function print(flags: { json: boolean }, json: unknown, lines: string[]): void {
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${lines.join("\n")}\n`);
}

async function runMigrate(flags: CommonFlags & { mode: string }): Promise<void> {
  const options = { ...migrateOptions(flags), mode: flags.mode as never, onProgress: progress(flags) };
  resolveOptions(options);
  try {
    const report = await migrate(options);
    print(flags, report, reportLines(report));
  } catch (error) {
    // A blocked gate still has a report: print it, then fail with status 2.
    if (error instanceof GateBlockedError) print(flags, error.report, reportLines(error.report));
    throw error;
  }
}

/**
 * What --json prints for a failure: the run report up to the failure when
 * there is one (its `error` says what and where), else the error alone.
 */
function failureJson(error: unknown): unknown {
  const failure = asMigrationError(error);
  if (failure.report) return failure.report;
  const { code, message, table, column, rowKey } = failure;
  return {
    outcome: "failed",
    error: { code, message, ...(table ? { table } : {}), ...(column ? { column } : {}), ...(rowKey ? { rowKey } : {}) },
  };
}

async function runProfile(flags: CommonFlags): Promise<void> {
  const options = migrateOptions({ ...flags, databaseUrl: flags.databaseUrl ?? "unused" });
  const inspection = await inspectSource(options.sourcePath, options);
  const measured = await measureByReading({ ...inspection, sourcePath: options.sourcePath }, progress(flags));
  const quality = evaluateGate({ tables: measured.tables, minQuality: options.minQuality, basis: "full" });
  print(
    flags,
    {
      source: options.sourcePath,
      digest: inspection.digest,
      quality,
      stats: measured.tables.map((t) => ({ table: t.plan.name, ...t.stats })),
    },
    qualityLines(quality),
  );
  if (quality.blocked) process.exitCode = EXIT_BLOCKED;
}

async function runPlan(flags: CommonFlags): Promise<void> {
  const inspection = await inspectSource(requireSource(flags), {
    typeOverrides: typeOverrides(flags.type),
    renames: renames(flags.renameTable, flags.renameColumn),
    includeTables: flags.include,
    excludeTables: flags.exclude,
    timezone: flags.timezone ?? null,
    badValuePolicy: flags.onBadValue as never,
  });
  print(flags, { digest: inspection.digest, plan: inspection.plan }, planLines(inspection.plan));
}

async function runVersions(flags: CommonFlags): Promise<void> {
  await withClient(databaseUrlOf(flags), async (client) => {
    const list = await versions.listVersions(client, flags.schemaPrefix);
    const state = await versions.stableState(client, flags.schemaPrefix);
    const lines = list.map(
      (v) =>
        `${v.schema === state?.active ? "*" : v.schema === state?.previous ? "p" : " "} ${v.schema}  ${v.status}  ${v.createdAt}  ${Object.entries(
          v.tables,
        )
          .map(([t, x]) => `${t}=${x.rows}`)
          .join(" ")}`,
    );
    print(
      flags,
      { active: state?.active ?? null, previous: state?.previous ?? null, versions: list },
      lines.length ? lines : ["no versions"],
    );
  });
}

async function runSwitch(flags: CommonFlags & { to?: string }, rollback: boolean): Promise<void> {
  await withClient(databaseUrlOf(flags), async (client) => {
    const state = await versions.stableState(client, flags.schemaPrefix);
    const target = rollback ? state?.previous : flags.to;
    if (!target)
      throw new MigrationError(
        "VERSION_NOT_FOUND",
        rollback ? `no previous version of prefix "${flags.schemaPrefix}" to roll back to` : "--to <schema> is required",
      );
    const result = await versions.switchTo(client, flags.schemaPrefix, target);
    print(flags, result, [`${flags.schemaPrefix} now points at ${result.active} (was ${result.previous ?? "nothing"})`]);
  });
}

function runGenerate(flags: { tickets: string; seed: string; defectRate: string; out: string; json: boolean; quiet: boolean }): void {
  const result = generateServicedeskDatabase({
    tickets: Number(flags.tickets),
    seed: Number(flags.seed),
    defectRate: Number(flags.defectRate),
    out: flags.out,
    onProgress: flags.quiet ? undefined : (done, total) => process.stderr.write(`[generate] ${done}/${total} tickets\n`),
  });
  print(flags, result, [
    `${result.path}: ${Object.entries(result.rows)
      .map(([t, r]) => `${t} ${r}`)
      .join(", ")}; ${result.bytes} bytes`,
  ]);
}

function failure(error: unknown, flags: { json?: boolean } | undefined): number {
  const blocked = error instanceof GateBlockedError;
  // A blocked gate's report is on stdout already; any other failure's goes there now.
  if (flags?.json && !blocked) process.stdout.write(`${JSON.stringify(failureJson(error), null, 2)}\n`);
  const failed = asMigrationError(error);
  process.stderr.write(
    `servicedesk-migrate: ${blocked ? "the quality gate blocked the migration" : "failed"} [${failed.code}]: ${describeError(failed)}\n`,
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
  commonOptions(cli.command("profile").description("convert every value without loading and run the quality gate")).action(
    action(runProfile),
  );
  commonOptions(cli.command("plan").description("show the tables, columns and PostgreSQL types a migration would create")).action(
    action(runPlan),
  );
  commonOptions(cli.command("migrate").description("migrate the export into a new versioned schema"))
    .addOption(
      new Option("--mode <mode>", "simple | canary | blue-green | complete")
        .choices(["simple", "canary", "blue-green", "complete"])
        .default(DEFAULTS.mode),
    )
    .addOption(
      new Option(
        "--cutover <when>",
        "switch the stable schema automatically or leave it to the cutover command (default: manual for blue-green, auto otherwise)",
      ).choices(["auto", "manual"]),
    )
    .option("--retain <n>", `previous versions kept besides the active one (default ${DEFAULTS.retainVersions})`)
    .option("--backup-dir <dir>", `where pg_dump backups of the active version go (default ./${DEFAULTS.backupDirectory})`)
    .option(
      "--backup-compression <codec>",
      `pg_dump codec: none, gzip, gzip:1-9, lz4[:level], zstd[:level] (lz4, zstd need pg_dump 16) (default ${DEFAULTS.backupCompression})`,
    )
    .option("--backup-keep-days <days>", `days a backup no retained version needs is kept (default ${DEFAULTS.backupKeepDays})`)
    .option("--no-reuse", "load even when a retained version holds this export already")
    .action(action(runMigrate));
  commonOptions(cli.command("cutover").description("point the stable schema at a version"))
    .requiredOption("--to <schema>", "the versioned schema")
    .action(action((f: CommonFlags & { to: string }) => runSwitch(f, false)));
  commonOptions(cli.command("rollback").description("point the stable schema back at the previous version")).action(
    action((f: CommonFlags) => runSwitch(f, true)),
  );
  commonOptions(cli.command("versions").description("list the versions of a prefix")).action(action(runVersions));
  cli
    .command("generate")
    .description("write a realistic ServiceDesk SQLite export")
    .requiredOption("--out <file>", "the SQLite file to write")
    .option("--tickets <n>", "tickets", "10000")
    .option("--seed <s>", "random seed", "1")
    .option("--defect-rate <r>", "share of rows with a defect, 0-1", "0")
    .option("--json", "print the result as JSON", false)
    .option("--quiet", "no progress", false)
    .action(action(runGenerate));
  return cli;
}

if (require.main === module) {
  void program().parseAsync(process.argv);
}
