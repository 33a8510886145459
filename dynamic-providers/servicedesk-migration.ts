/**
 * ServicedeskMigration: a Pulumi dynamic resource whose create() gates,
 * canaries and loads a SQLite export into a new versioned schema and
 * (cutover auto) points the stable schema at it; a change of anything that
 * shapes the data replaces it (a new version, created before the old one
 * is deleted); outputs carry the cutover, rollback and restore commands.
 *
 * @example
 * const migration = new ServicedeskMigration("servicedesk", {
 *   source: "exports/servicedesk.sqlite",
 *   connection: config.requireSecret("connection"),
 *   ...describeSource(...)   // sourceDigest and schemaPlan, see ServicedeskDatabase
 * });
 * export const cutover = migration.cutoverCommand;
 */
import * as pulumi from "@pulumi/pulumi";
import type { BadValuePolicy, RenameMap, Thresholds } from "../engine";
import type { ResourceMode, SchemaPlan } from "./inputs";

/** Arguments of ServicedeskMigration. */
export interface ServicedeskMigrationArgs {
  /** Path of the SQLite export, relative to the Pulumi project or absolute. */
  source: pulumi.Input<string>;
  /** postgresql:// URL of the target database. Pass a secret (config.requireSecret). */
  connection: pulumi.Input<string>;
  /** sha256 of the export (describeSource computes it). Changing it replaces the resource. */
  sourceDigest: pulumi.Input<string>;
  /** The schema the export produces (describeSource computes it). Changing it replaces the resource. */
  schemaPlan: pulumi.Input<SchemaPlan>;
  /** "pulumi:<project>/<stack>": recorded on each version; tells a replacement from a destroy. */
  owner: pulumi.Input<string>;
  /** Prefix of the versioned and stable schemas. Defaults to "servicedesk". Replaces. */
  schemaPrefix?: pulumi.Input<string>;
  /** simple, blue-green or complete: how the next load runs. Defaults to "complete". */
  mode?: pulumi.Input<ResourceMode>;
  /** Quality score below which the gate blocks (complete mode). Defaults to 80. */
  minQuality?: pulumi.Input<number>;
  /** Canary sample share. Defaults to 0.1. */
  sampleRate?: pulumi.Input<number>;
  /** Canary sample seed. Defaults to 1. */
  sampleSeed?: pulumi.Input<number>;
  /** reject, null or fail. Defaults to "reject". Replaces. */
  badValuePolicy?: pulumi.Input<BadValuePolicy>;
  /** table -> column -> PostgreSQL type. Defaults to none. Replaces. */
  typeOverrides?: pulumi.Input<Record<string, Record<string, string>>>;
  /** PostgreSQL names for source tables ({tables: {old: new}}) and columns ({columns: {table: {old: new}}}). Defaults to none. Replaces. */
  renames?: pulumi.Input<RenameMap>;
  /** Only these tables. Defaults to all. Replaces. */
  includeTables?: pulumi.Input<pulumi.Input<string>[]>;
  /** Tables left out. Defaults to none. Replaces. */
  excludeTables?: pulumi.Input<pulumi.Input<string>[]>;
  /** IANA zone of naive timestamps (they load as timestamptz). Defaults to "" (kept naive). Replaces. */
  timezone?: pulumi.Input<string>;
  /** Years a number in a date column must fall in, in its reading, to be a date. Defaults to "1900-2200". Replaces. */
  dateRange?: pulumi.Input<string>;
  /** Warn and fail levels per check, in percent ({"type_conformity": {"fail": 10}}). Defaults to the gate's own. */
  thresholds?: pulumi.Input<Thresholds>;
  /** Findings reviewed and accepted, "table.column:check<=count": they no longer block while they stay so. Defaults to none. */
  acceptFindings?: pulumi.Input<pulumi.Input<string>[]>;
  /** Serve a version in which a table lost over half its rows to rejects. Defaults to false. */
  allowTableLoss?: pulumi.Input<boolean>;
  /** "auto" switches the stable schema when the version is ready; "manual" leaves it to cutoverCommand. Defaults to the mode's: "manual" for blue-green, "auto" otherwise. */
  cutover?: pulumi.Input<"auto" | "manual">;
  /** Previous versions kept for instant rollback. Defaults to 1. */
  retainVersions?: pulumi.Input<number>;
  /** Folder of pg_dump backups and run reports. Defaults to "backups". */
  backupDirectory?: pulumi.Input<string>;
  /** pg_dump's codec: none, gzip, gzip:1-9, lz4[:level] or zstd[:level] (lz4 and zstd need pg_dump 16). Defaults to "gzip:1". */
  backupCompression?: pulumi.Input<string>;
  /** Days a backup no retained version needs is kept after it was written. Defaults to 0. */
  backupKeepDays?: pulumi.Input<number>;
  /** "pg_dump", or "none" to go without a backup (for a server no pg_dump at hand dumps; needs retainVersions 1 or more). Defaults to "pg_dump". */
  backup?: pulumi.Input<"pg_dump" | "none">;
  /** The folder of the pg_dump and pg_restore to use. Defaults to "": PATH's, or a /usr/lib/postgresql/<major>/bin that suits the server. */
  pgBinDir?: pulumi.Input<string>;
  /** Free disk the backup folder must keep beyond the backup. Defaults to 256 MiB. */
  minFreeDiskBytes?: pulumi.Input<number>;
  /** Free memory needed to load. Defaults to 512 MiB. */
  minFreeMemoryBytes?: pulumi.Input<number>;
  /** Tables loaded at once, each in a session of its own (1-16), or "auto": half this machine's cores for a server on it, else 1. Defaults to "auto". */
  streams?: pulumi.Input<number | "auto">;
  /** SQL the canary must run without error. Defaults to the ServiceDesk queries only. */
  testQueries?: pulumi.Input<pulumi.Input<string>[]>;
}

/**
 * The provider object Pulumi serialises into the state. It holds no client
 * and no module state: each call loads the compiled operations from the
 * project (the provider process runs in the project folder) and runs them.
 */
const provider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return operations().check(olds, news);
  },
  async diff(id, olds, news) {
    return operations().diff(id, olds, news);
  },
  async create(inputs) {
    return operations().create(inputs);
  },
  async read(id, props) {
    return operations().read(id, props);
  },
  async update(id, olds, news) {
    return operations().update(id, olds, news);
  },
  async delete(id, props) {
    return operations().remove(id, props);
  },
};

/**
 * The compiled operations of the installed package. The provider process
 * runs in the folder of the program's main file: the package is found from
 * there as Node finds any dependency (the project's node_modules, a
 * workspace's or a monorepo's up the tree), or is the project itself (this
 * repository).
 * require() at call time, not import: this function is serialised into the
 * state and runs in the provider process.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
function operations() {
  const path = require("path");
  const fs = require("fs");
  const name = "servicedesk-migration";
  const entry = "dist/dynamic-providers/operations.js";
  const cwd = process.cwd();
  // The provider runs in the folder of the program's main file: this repository's own program
  // (dist/program) finds the package up the tree, any other project in its node_modules.
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    let own: { name?: string } = {};
    try {
      own = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    } catch {
      // No package.json here: look further up.
    }
    if (own.name === name && fs.existsSync(path.join(dir, entry))) return require(path.join(dir, entry));
    if (path.dirname(dir) === dir) break;
  }
  let packageJson: string;
  try {
    packageJson = require.resolve(`${name}/package.json`, { paths: [cwd] });
  } catch (error) {
    throw new Error(
      `${name}: the provider code is not installed where Pulumi runs (${cwd}): ${(error as Error).message.split("\n")[0]}. ` +
        `Install the package in the Pulumi project (npm install ${name}) and run pulumi from the project's folder.`,
    );
  }
  const file = path.join(path.dirname(packageJson), entry);
  if (!fs.existsSync(file)) throw new Error(`${name}: ${file} is missing; the installed package is incomplete (reinstall it)`);
  return require(file);
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Output fields are `declare`d: an initialised class field would overwrite,
 * after super(), the outputs the resource constructor registered.
 */
export class ServicedeskMigration extends pulumi.dynamic.Resource {
  /** The versioned schema holding this export, e.g. servicedesk_v20261126_093000. */
  declare public readonly schemaName: pulumi.Output<string>;
  /** The version that was active before this one ("" for the first). */
  declare public readonly previousSchemaName: pulumi.Output<string>;
  /** The version readers are on now (the stable schema serves it), as the last up or `pulumi refresh` found it; it differs from schemaName after a rollback or a restore. "" when none. */
  declare public readonly servedSchemaName: pulumi.Output<string>;
  /** The review of the export against the version readers are on, as the preview printed it (engine/review). */
  declare public readonly review: pulumi.Output<Record<string, string>>;
  /** The schema of views dashboards read: the prefix. */
  declare public readonly stableSchema: pulumi.Output<string>;
  declare public readonly sourceDigest: pulumi.Output<string>;
  /** Rows loaded per table. */
  declare public readonly rowCounts: pulumi.Output<Record<string, number>>;
  /** Rows set aside per table (see <schema>._rejects). */
  declare public readonly rejectCounts: pulumi.Output<Record<string, number>>;
  /** Score and findings of the quality gate. */
  declare public readonly quality: pulumi.Output<{
    score: number;
    minQuality: number;
    basis: string;
    findings: { check: string; severity: string; message: string }[];
  } | null>;
  /** The canary's sample and test queries (complete mode). */
  declare public readonly canary: pulumi.Output<{
    sampleRate: number;
    sampleRows: Record<string, number>;
    queries: number;
    seconds: number;
  } | null>;
  /** Seconds per phase. */
  declare public readonly timings: pulumi.Output<Record<string, number>>;
  /** pg_dump of the version this one replaced ("" when none). */
  declare public readonly backupFile: pulumi.Output<string>;
  /** The pg_dump that made backupFile, "none (backup: none)" when a complete run went without one, else "". */
  declare public readonly backupTool: pulumi.Output<string>;
  /** psql lines; the connection comes from $DATABASE_URL, never from the command. */
  declare public readonly cutoverCommand: pulumi.Output<string>;
  declare public readonly rollbackCommand: pulumi.Output<string>;
  declare public readonly restoreCommand: pulumi.Output<string>;
  /** "loaded", or "adopted" when a retained identical version was reused. */
  declare public readonly origin: pulumi.Output<"loaded" | "adopted">;
  /** The run report, JSON and Markdown. */
  declare public readonly reportFile: pulumi.Output<string>;
  declare public readonly reportMarkdownFile: pulumi.Output<string>;

  constructor(name: string, args: ServicedeskMigrationArgs, opts?: pulumi.CustomResourceOptions) {
    const outputs = {
      schemaName: undefined,
      previousSchemaName: undefined,
      servedSchemaName: undefined,
      review: undefined,
      stableSchema: undefined,
      rowCounts: undefined,
      rejectCounts: undefined,
      quality: undefined,
      canary: undefined,
      timings: undefined,
      backupFile: undefined,
      backupTool: undefined,
      cutoverCommand: undefined,
      rollbackCommand: undefined,
      restoreCommand: undefined,
      origin: undefined,
      reportFile: undefined,
      reportMarkdownFile: undefined,
      createdAt: undefined,
    };
    super(
      provider,
      name,
      { ...outputs, ...args },
      { ...opts, additionalSecretOutputs: ["connection"] },
      "servicedesk",
      "ServicedeskMigration",
    );
  }
}
