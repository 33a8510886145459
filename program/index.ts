/**
 * This repository's own Pulumi program, one consumer of the package: a
 * ServicedeskDatabase from the stack's configuration (see Pulumi.yaml for
 * every key, its type and default), and its outputs. A project of yours
 * imports the same classes from "servicedesk-migration" (see the README).
 */
import * as pulumi from "@pulumi/pulumi";
import { BadValuePolicy, RenameMap, ResourceMode, ServicedeskDatabase, Thresholds } from "../index";

const config = new pulumi.Config();

/** "auto" stays a word; a count becomes a number (anything else is refused by the resource's check, naming the input). */
function streamsConfig(value: string | undefined): number | "auto" | undefined {
  return value === undefined || value === "auto" ? value : Number(value);
}

/** $SERVICEDESK_DATABASE_URL overrides the stack's connection (the demo uses it for an embedded server). */
const connection = process.env.SERVICEDESK_DATABASE_URL
  ? pulumi.secret(process.env.SERVICEDESK_DATABASE_URL)
  : config.getSecret("connection");

const database = new ServicedeskDatabase("servicedesk", {
  source: config.require("source"),
  connection,
  migration: {
    schemaPrefix: config.get("schemaPrefix"),
    mode: config.get("mode") as ResourceMode | undefined,
    minQuality: config.getNumber("minQuality"),
    sampleRate: config.getNumber("sampleRate"),
    sampleSeed: config.getNumber("sampleSeed"),
    badValuePolicy: config.get("badValuePolicy") as BadValuePolicy | undefined,
    typeOverrides: config.getObject<Record<string, Record<string, string>>>("typeOverrides"),
    renames: config.getObject<RenameMap>("renames"),
    includeTables: config.getObject<string[]>("includeTables"),
    excludeTables: config.getObject<string[]>("excludeTables"),
    timezone: config.get("timezone"),
    dateRange: config.get("dateRange"),
    thresholds: config.getObject<Thresholds>("thresholds"),
    acceptFindings: config.getObject<string[]>("acceptFindings"),
    allowTableLoss: config.getBoolean("allowTableLoss"),
    cutover: (config.get("cutover") || undefined) as "auto" | "manual" | undefined,
    retainVersions: config.getNumber("retainVersions"),
    backupDirectory: config.get("backupDirectory"),
    backupCompression: config.get("backupCompression"),
    backupKeepDays: config.getNumber("backupKeepDays"),
    backup: config.get("backup") as "pg_dump" | "none" | undefined,
    pgBinDir: config.get("pgBinDir"),
    minFreeDiskBytes: config.getNumber("minFreeDiskBytes"),
    minFreeMemoryBytes: config.getNumber("minFreeMemoryBytes"),
    streams: streamsConfig(config.get("streams")),
    testQueries: config.getObject<string[]>("testQueries"),
  },
  reportingRole: config.getBoolean("reportingRole") ? { password: config.requireSecret("reportingRolePassword") } : undefined,
  localPostgres: config.getBoolean("localPostgres") ? { password: config.requireSecret("localPostgresPassword") } : undefined,
});

const migration = database.migration;
export const schemaName = migration.schemaName;
export const previousSchemaName = migration.previousSchemaName;
/** The version readers are on, as the last up or refresh found it (differs from schemaName after a rollback). */
export const servedSchemaName = migration.servedSchemaName;
export const stableSchema = migration.stableSchema;
export const sourceDigest = migration.sourceDigest;
export const rowCounts = migration.rowCounts;
export const rejectCounts = migration.rejectCounts;
export const quality = migration.quality;
export const canary = migration.canary;
export const timings = migration.timings;
export const backupTool = migration.backupTool;
export const backupFile = migration.backupFile;
export const cutoverCommand = migration.cutoverCommand;
export const rollbackCommand = migration.rollbackCommand;
export const restoreCommand = migration.restoreCommand;
export const origin = migration.origin;
export const reportFile = migration.reportFile;
export const reportMarkdownFile = migration.reportMarkdownFile;
/** The reporting role's name ("" when reportingRole is off). */
export const reportingRole = database.reportingRoleName.apply((name) => name ?? "");
