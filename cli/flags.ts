/**
 * Every flag of the CLI, defined once; each command picks the sets it uses
 * (see FLAG_SETS in servicedesk-migrate.ts), so a flag a command would
 * ignore is refused by commander instead of silently accepted.
 */
import { DEFAULTS } from "../engine";
import { Command, Option } from "commander";
import { PROGRESS_MODES } from "./progress";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A function per flag: commander's Option objects belong to one command each. */
const FLAGS = {
  source: () => new Option("--source <file>", "the SQLite export"),
  databaseUrl: () =>
    new Option(
      "--database-url <url>",
      "target PostgreSQL database (default: $DATABASE_URL, else the PG* variables; a database must be named, see the README)",
    ),
  schemaPrefix: () => new Option("--schema-prefix <prefix>", "prefix of the versioned and stable schemas").default(DEFAULTS.schemaPrefix),
  onBadValue: () =>
    new Option("--on-bad-value <policy>", "a value that cannot be converted: reject the row, null the value, or fail")
      .choices(["reject", "null", "fail"])
      .default(DEFAULTS.badValuePolicy),
  type: () => new Option("--type <table.column=type>", "override a column's type (repeatable)").argParser(collect).default([]),
  renameTable: () =>
    new Option("--rename-table <table=name>", "give a table another name in PostgreSQL (repeatable)").argParser(collect).default([]),
  renameColumn: () =>
    new Option("--rename-column <table.column=name>", "give a column another name in PostgreSQL (repeatable)")
      .argParser(collect)
      .default([]),
  include: () => new Option("--include <table>", "migrate only these tables (repeatable)").argParser(collect).default([]),
  exclude: () => new Option("--exclude <table>", "leave these tables out (repeatable)").argParser(collect).default([]),
  timezone: () => new Option("--timezone <zone>", "IANA zone of naive timestamps; they load as timestamptz"),
  dateRange: () =>
    new Option("--date-range <from-to>", "years a number in a date column must fall in, in its reading, to be a date").default(
      DEFAULTS.dateRange,
    ),
  threshold: () =>
    new Option("--threshold <check=warn:fail>", "a check's warn and fail levels in percent, e.g. type_conformity=0.1:10 (repeatable)")
      .argParser(collect)
      .default([]),
  accept: () =>
    new Option(
      "--accept <table.column:check<=count>",
      "a reviewed finding that no longer blocks while it concerns at most count rows or values (repeatable)",
    )
      .argParser(collect)
      .default([]),
  backup: () =>
    new Option(
      "--backup <how>",
      "back up the active version before a cutover with pg_dump, or none (for a server no pg_dump at hand dumps; needs --retain 1 or more)",
    )
      .choices(["pg_dump", "none"])
      .default(DEFAULTS.backup),
  pgBinDir: () =>
    new Option(
      "--pg-bin-dir <folder>",
      "the folder of the pg_dump and pg_restore to use (default: PATH's, or a /usr/lib/postgresql/<major>/bin that suits the server)",
    ),
  allowTableLoss: () =>
    new Option("--allow-table-loss", "serve a version in which a table lost over half its rows to rejects").default(false),
  minQuality: () => new Option("--min-quality <score>", `gate threshold, 0-100 (default ${DEFAULTS.minQuality})`),
  sampleRate: () => new Option("--sample-rate <rate>", `canary sample share, (0, 1] (default ${DEFAULTS.sampleRate})`),
  sampleSeed: () => new Option("--sample-seed <seed>", `canary sample seed (default ${DEFAULTS.sampleSeed})`),
  testQuery: () => new Option("--test-query <sql>", "SQL the canary must run without error (repeatable)").argParser(collect).default([]),
  mode: () =>
    new Option("--mode <mode>", "simple | canary | blue-green | complete")
      .choices(["simple", "canary", "blue-green", "complete"])
      .default(DEFAULTS.mode),
  cutover: () =>
    new Option(
      "--cutover <when>",
      "switch the stable schema automatically or leave it to the cutover command (default: manual for blue-green, auto otherwise)",
    ).choices(["auto", "manual"]),
  retain: () => new Option("--retain <n>", `previous versions kept besides the active one (default ${DEFAULTS.retainVersions})`),
  backupDir: () => new Option("--backup-dir <dir>", `the folder of the pg_dump backups (default ./${DEFAULTS.backupDirectory})`),
  reportDir: () =>
    new Option("--report-dir <dir>", `where the run report files go (default <backup-dir>/${DEFAULTS.reportFolder}, as for Pulumi)`),
  streams: () =>
    new Option(
      "--streams <n>",
      `tables loaded at once, each in a session of its own, or auto: half this machine's cores for a local server, else 1 (default ${DEFAULTS.streams})`,
    ),
  owner: () =>
    new Option(
      "--owner <holder>",
      "the holder whose version readers should be on (a stack's pulumi:<project>/<stack>): the review says when they are on another, and why",
    ),
  noReuse: () => new Option("--no-reuse", "load even when a retained version holds this export already"),
  lockTimeout: () =>
    new Option(
      "--lock-timeout <seconds>",
      `how long to wait for another run holding the prefix's lock (default ${DEFAULTS.lockTimeoutMs / 1000})`,
    ),
  to: () => new Option("--to <schema>", "the versioned schema").makeOptionMandatory(),
  file: () => new Option("--file <dump>", "a backup written by migrate (a pg_dump custom-format file)").makeOptionMandatory(),
  activate: () => new Option("--activate", "point the stable schema at the restored version").default(false),
  backupCompression: () =>
    new Option(
      "--backup-compression <codec>",
      `pg_dump codec: none, gzip, gzip:1-9, lz4[:level], zstd[:level] (lz4, zstd need pg_dump 16) (default ${DEFAULTS.backupCompression})`,
    ),
  backupKeepDays: () =>
    new Option("--backup-keep-days <days>", `days a backup no retained version needs is kept (default ${DEFAULTS.backupKeepDays})`),
  dryRun: () => new Option("--dry-run", "say what would be removed, remove nothing").default(false),
  out: () => new Option("--out <file>", "the SQLite file to write").makeOptionMandatory(),
  tickets: () => new Option("--tickets <n>", "tickets").default("10000"),
  seed: () => new Option("--seed <s>", "random seed").default("1"),
  defectRate: () => new Option("--defect-rate <r>", "share of rows with a defect, 0-1").default("0"),
  json: () => new Option("--json", "print the machine-readable result on stdout").default(false),
  progress: () =>
    new Option("--progress <mode>", "progress on stderr: auto (a bar on a terminal, else plain lines), bar, plain, json or none")
      .choices(PROGRESS_MODES)
      .default("auto"),
  quiet: () => new Option("--quiet", "no progress on stderr (--progress none)").default(false),
} as const;

export type FlagName = keyof typeof FLAGS;

/** The flags that shape the plan: every command that reads the export takes them. */
export const PLAN_FLAGS: readonly FlagName[] = [
  "onBadValue",
  "type",
  "renameTable",
  "renameColumn",
  "include",
  "exclude",
  "timezone",
  "dateRange",
];

/** The flags of the quality gate: every command that runs it takes them. */
export const GATE_FLAGS: readonly FlagName[] = ["minQuality", "threshold", "accept"];

export function withFlags(command: Command, names: readonly FlagName[]): Command {
  for (const name of names) command.addOption(FLAGS[name]());
  return command;
}
