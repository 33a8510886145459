/**
 * ServicedeskDatabase: the migration of a ServiceDesk export, and, when
 * enabled, what surrounds it: a read-only reporting role with grants on the
 * stable schema (@pulumi/postgresql) and, for dev stacks, a local
 * PostgreSQL container (@pulumi/docker). Neither provider plugin can be
 * installed offline, so both are off unless asked for.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ServicedeskMigration, ServicedeskMigrationArgs } from "../dynamic-providers/servicedesk-migration";
import { describeSource, SourceDescription } from "../dynamic-providers/source-plan";
import { MigrationError } from "../engine";
import { containerConnection, connectionParts } from "./connection";

export type MigrationSettings = Omit<ServicedeskMigrationArgs, "source" | "connection" | "sourceDigest" | "schemaPlan" | "owner">;

export interface ReportingRoleArgs {
  /** Name of the login role dashboards use. Defaults to "<prefix>_reader". */
  name?: pulumi.Input<string>;
  /** Its password: a secret. */
  password: pulumi.Input<string>;
}

export interface LocalPostgresArgs {
  /** Docker image. Defaults to "postgres:15". */
  image?: pulumi.Input<string>;
  /** Host port the container publishes. Defaults to 5433. */
  port?: number;
  /** The postgres user's password: a secret. */
  password: pulumi.Input<string>;
  /** Database the migration loads into. Defaults to "servicedesk". */
  database?: string;
}

export interface ServicedeskDatabaseArgs {
  /** Path of the SQLite export. */
  source: pulumi.Input<string>;
  /** postgresql:// URL of the target database (a secret). Ignored when localPostgres is set. */
  connection?: pulumi.Input<string>;
  /** Settings of the migration resource. Defaults to its own defaults. */
  migration?: MigrationSettings;
  /** Creates a read-only role with SELECT on the stable schema. Defaults to none. */
  reportingRole?: ReportingRoleArgs;
  /** Runs PostgreSQL in a local Docker container and migrates into it. Defaults to none. */
  localPostgres?: LocalPostgresArgs;
}

export class ServicedeskDatabase extends pulumi.ComponentResource {
  public readonly migration: ServicedeskMigration;
  /** The reporting role's name, when one is created. */
  public readonly reportingRoleName: pulumi.Output<string | undefined>;
  /** The connection the migration used (a secret). */
  public readonly connection: pulumi.Output<string>;

  constructor(name: string, args: ServicedeskDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("servicedesk:index:ServicedeskDatabase", name, {}, opts);
    const local = args.localPostgres ? localPostgres(name, args.localPostgres, this) : undefined;
    const connection = pulumi.secret(local ? local.connection : requireConnection(args.connection));
    this.connection = connection;
    const settings = args.migration ?? {};
    // Relative paths are relative to the project (the folder of Pulumi.yaml),
    // whatever folder the program or the provider runs in.
    const root = pulumi.getRootDirectory();
    const source = pulumi.output(args.source).apply((s) => path.resolve(root, s));
    const described = pulumi
      .all([
        source,
        settings.typeOverrides,
        settings.renames,
        settings.includeTables,
        settings.excludeTables,
        settings.timezone,
        settings.badValuePolicy,
        settings.dateRange,
      ])
      .apply(([file, typeOverrides, renames, includeTables, excludeTables, timezone, badValuePolicy, dateRange]) =>
        describeSource(file, {
          typeOverrides,
          renames,
          includeTables,
          excludeTables,
          timezone: timezone || null,
          badValuePolicy,
          dateRange,
        }).catch(leaveToCheck),
      );
    this.migration = new ServicedeskMigration(
      `${name}-migration`,
      {
        ...settings,
        source,
        backupDirectory: pulumi.output(settings.backupDirectory ?? "backups").apply((d) => path.resolve(root, d)),
        connection,
        sourceDigest: described.sourceDigest,
        schemaPlan: described.schemaPlan,
        owner: `pulumi:${pulumi.getProject()}/${pulumi.getStack()}`,
      },
      { parent: this, dependsOn: local ? [local.container] : [] },
    );
    this.reportingRoleName = args.reportingRole
      ? reportingRole(name, args.reportingRole, connection, this.migration, this)
      : pulumi.output(undefined);
    this.registerOutputs({ migration: this.migration, reportingRoleName: this.reportingRoleName });
  }
}

/**
 * An export that cannot be read (missing, corrupt, no table selected, a bad
 * option) is left to the resource's check, which reads it again and fails
 * naming the property (`source`, `includeTables`, ...). Thrown here it would
 * be an unhandled exception of the program, naming no property, and each
 * preview or up took about 30 s longer to report it (measured here).
 */
function leaveToCheck(error: unknown): SourceDescription {
  if (error instanceof MigrationError) return { sourceDigest: "", schemaPlan: {} };
  throw error;
}

function requireConnection(connection: pulumi.Input<string> | undefined): pulumi.Input<string> {
  if (connection === undefined) throw new Error("ServicedeskDatabase: give `connection`, or enable `localPostgres`");
  return connection;
}

function localPostgres(name: string, args: LocalPostgresArgs, parent: pulumi.Resource) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const docker = require("@pulumi/docker") as typeof import("@pulumi/docker");
  const port = args.port ?? 5433;
  const database = args.database ?? "servicedesk";
  const image = new docker.RemoteImage(`${name}-postgres-image`, { name: args.image ?? "postgres:15", keepLocally: true }, { parent });
  const container = new docker.Container(
    `${name}-postgres`,
    {
      image: image.imageId,
      ports: [{ internal: 5432, external: port }],
      envs: pulumi.all([args.password]).apply(([password]) => [`POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${database}`]),
      restart: "unless-stopped",
    },
    { parent, additionalSecretOutputs: ["envs"] },
  );
  return { container, connection: pulumi.output(args.password).apply((password) => containerConnection(port, password, database)) };
}

function reportingRole(
  name: string,
  args: ReportingRoleArgs,
  connection: pulumi.Output<string>,
  migration: ServicedeskMigration,
  parent: pulumi.Resource,
): pulumi.Output<string | undefined> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const postgresql = require("@pulumi/postgresql") as typeof import("@pulumi/postgresql");
  const parts = connection.apply(connectionParts);
  const provider = new postgresql.Provider(
    `${name}-postgresql`,
    {
      host: parts.host,
      port: parts.port,
      username: parts.username,
      password: pulumi.secret(parts.password),
      database: parts.database,
      sslmode: parts.sslmode,
    },
    { parent },
  );
  const roleName = pulumi.output(args.name ?? pulumi.interpolate`${migration.stableSchema}_reader`);
  const role = new postgresql.Role(`${name}-reader`, { name: roleName, login: true, password: args.password }, { parent, provider });
  const usage = new postgresql.Grant(
    `${name}-reader-usage`,
    {
      database: parts.database,
      role: role.name,
      schema: migration.stableSchema,
      objectType: "schema",
      privileges: ["USAGE"],
    },
    { parent, provider },
  );
  new postgresql.Grant(
    `${name}-reader-select`,
    {
      database: parts.database,
      role: role.name,
      schema: migration.stableSchema,
      objectType: "table",
      privileges: ["SELECT"],
    },
    { parent, provider, dependsOn: [usage] },
  );
  // Views a later cutover creates (a table a new export adds) are created by the
  // migration's role: its default privileges in the stable schema grant them too.
  new postgresql.DefaultPrivileges(
    `${name}-reader-future-views`,
    {
      database: parts.database,
      role: role.name,
      owner: parts.username,
      schema: migration.stableSchema,
      objectType: "table",
      privileges: ["SELECT"],
    },
    { parent, provider, dependsOn: [usage] },
  );
  return role.name;
}
