/**
 * The ServicedeskMigration provider's operations. They run in the dynamic
 * provider's process, loaded by path at each call (see
 * servicedesk-migration.ts), and keep no state between calls: every call
 * opens its own connection and closes it.
 */
import * as path from "node:path";
import type { Client } from "pg";
import {
  connect, describeError, evaluateGate, GateBlockedError, inspectSource, measureWithCache, migrate, MigrationError, MigrationReport,
  OptionError, SourceError, throttled, versions, writeReportFiles,
} from "../engine";
import { qualified } from "../engine/sql/identifiers";
import { claim, claimedByOthers, dropStableAndControl, readClaims, releaseClaim } from "./claims";
import { diffInputs } from "./diff";
import { engineLog, EngineLog } from "./engine-log";
import { CheckFailure, hasUnknowns, MigrationInputs, MigrationOutputs, SchemaPlan, validateInputs, withDefaults } from "./inputs";
import { schemaPlanOf } from "./source-plan";
import { outputsOf } from "./outputs";

// The program passes absolute paths; relative ones (older state, direct use) are taken from the provider's folder.
const sourcePathOf = (inputs: MigrationInputs) => path.resolve(process.cwd(), inputs.source);

function planOptions(inputs: MigrationInputs) {
  return {
    badValuePolicy: inputs.badValuePolicy,
    typeOverrides: inputs.typeOverrides,
    includeTables: inputs.includeTables,
    excludeTables: inputs.excludeTables,
    timezone: inputs.timezone || null,
  };
}

function progressTo(log: EngineLog | null) {
  if (!log) return undefined;
  let lastPhase = "";
  return throttled((event) => {
    const rows = event.done !== undefined && event.total !== undefined ? ` ${event.done.toLocaleString("en-US")}/${event.total.toLocaleString("en-US")} rows` : "";
    const key = `${event.phase}:${event.table ?? ""}`;
    // A new phase or table is kept in the log; row counts within it are live status lines.
    void log(`servicedesk-migration [${event.phase}]${event.table ? ` ${event.table}` : ""}:${rows || ` ${event.message}`}`, { ephemeral: key === lastPhase && rows !== "" });
    lastPhase = key;
  }, 2000);
}

/**
 * The message of a failed operation, naming the input to fix when there is
 * one, as check's {property, reason} failures do: create and update can only
 * throw, and "cannot connect to ..." alone does not say which setting is wrong.
 */
function failureMessage(error: unknown): string {
  const property =
    error instanceof SourceError ? "source"
    : error instanceof OptionError ? error.field.split(".")[0]
    : error instanceof MigrationError && (error.code === "CONNECTION_FAILED" || error.code === "PERMISSION_DENIED") ? "connection"
    : error instanceof MigrationError && error.code === "BACKUP_FAILED" ? "backupDirectory"
    : null;
  return property ? `property ${property} has a problem: ${describeError(error)}` : describeError(error);
}

async function withClient<T>(connection: string, fn: (client: Client) => Promise<T>): Promise<T> {
  let client: Client;
  try {
    client = await connect(connection);
  } catch (error) {
    throw new Error(failureMessage(error));
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The quality gate at preview: every value converted (cached by digest),
 * no database touched. Also the schema plan as measured: a column the full
 * read had to widen shows its wider type in the preview.
 */
async function previewGate(inputs: MigrationInputs): Promise<{ failures: CheckFailure[]; schemaPlan: SchemaPlan | null }> {
  try {
    const sourcePath = sourcePathOf(inputs);
    const inspection = await inspectSource(sourcePath, planOptions(inputs));
    const log = engineLog();
    const measured = await measureWithCache({ ...inspection, sourcePath }, progressTo(log));
    if (measured.cached) await log?.(`servicedesk-migration [gate]: measures of this export (sha256 ${inspection.digest.slice(0, 12)}) taken from the cache`);
    const schemaPlan = schemaPlanOf(measured.tables.map((t) => t.plan));
    const quality = evaluateGate({ tables: measured.tables, minQuality: inputs.minQuality, basis: "full" });
    if (!quality.blocked || inputs.mode !== "complete") return { failures: [], schemaPlan };
    const findings = quality.findings.filter((f) => f.severity !== "ok").slice(0, 10).map((f) => `${f.severity} ${f.check}: ${f.message}`);
    return { failures: [{ property: "source", reason: `the quality gate blocks ${inputs.source}: ${quality.blockedBy.join("; ")}. Findings: ${findings.join(" | ")}` }], schemaPlan };
  } catch (error) {
    if (error instanceof SourceError) return { failures: [{ property: "source", reason: error.message }], schemaPlan: null };
    if (error instanceof OptionError) return { failures: [{ property: error.field.split(".")[0], reason: error.message }], schemaPlan: null };
    if (error instanceof MigrationError) return { failures: [{ property: "source", reason: error.message }], schemaPlan: null };
    throw error;
  }
}

export async function check(olds: Partial<MigrationInputs>, news: Partial<MigrationInputs>): Promise<{ inputs: MigrationInputs; failures: CheckFailure[] }> {
  void olds;
  const inputs = withDefaults(news);
  const failures = validateInputs(inputs);
  const dataInputsKnown = !hasUnknowns({ ...inputs, connection: "", owner: "" });
  if (failures.length > 0 || !dataInputsKnown) return { inputs, failures };
  const gate = await previewGate(inputs);
  return { inputs: gate.schemaPlan ? { ...inputs, schemaPlan: gate.schemaPlan } : inputs, failures: gate.failures };
}

export async function diff(_id: string, olds: MigrationOutputs, news: MigrationInputs) {
  return diffInputs(olds, news);
}

function migrateOptions(inputs: MigrationInputs) {
  return {
    ...planOptions(inputs),
    sourcePath: sourcePathOf(inputs),
    databaseUrl: inputs.connection,
    mode: inputs.mode,
    schemaPrefix: inputs.schemaPrefix,
    minQuality: inputs.minQuality,
    sampleRate: inputs.sampleRate,
    sampleSeed: inputs.sampleSeed,
    testQueries: inputs.testQueries,
    cutover: inputs.cutover,
    retainVersions: inputs.retainVersions,
    backupDirectory: path.resolve(process.cwd(), inputs.backupDirectory),
    minFreeDiskBytes: inputs.minFreeDiskBytes,
    minFreeMemoryBytes: inputs.minFreeMemoryBytes,
    loadedBy: inputs.owner || undefined,
  };
}

function reportsDirectory(inputs: MigrationInputs): string {
  return path.resolve(process.cwd(), inputs.backupDirectory, "reports");
}

export async function create(inputs: MigrationInputs): Promise<{ id: string; outs: MigrationOutputs }> {
  const log = engineLog();
  let report: MigrationReport;
  try {
    // Another stack sharing the prefix holds its version however old it is.
    const keepVersions = await withClient(inputs.connection, (client) => claimedByOthers(client, inputs.schemaPrefix, inputs.owner));
    report = await migrate({ ...migrateOptions(inputs), keepVersions, onProgress: progressTo(log) });
  } catch (error) {
    if (error instanceof GateBlockedError) {
      const files = writeReportFiles(error.report, reportsDirectory(inputs));
      throw new Error(`${error.message} (report: ${files.markdown})`);
    }
    throw new Error(failureMessage(error));
  }
  const files = writeReportFiles(report, reportsDirectory(inputs));
  await withClient(inputs.connection, async (client) => {
    await claim(client, inputs.schemaPrefix, inputs.owner, report.schema!);
    // Retention with this resource's retainVersions, after an adoption too (migrate
    // collects only after a load). The replaced resource's delete must not do it:
    // it only has the setting it was created with (see remove).
    const keep = [report.schema!, ...(await claimedByOthers(client, inputs.schemaPrefix, inputs.owner))];
    await versions.collectGarbage(client, inputs.schemaPrefix, { retain: inputs.retainVersions + 1, keep });
  });
  await log?.(`servicedesk-migration: ${report.outcome} ${report.schema}; report ${files.markdown}`);
  return { id: report.schema!, outs: outputsOf(inputs, report, files) };
}

export async function update(id: string, olds: MigrationOutputs, news: MigrationInputs): Promise<{ outs: MigrationOutputs }> {
  await withClient(news.connection, async (client) => {
    await versions.withPrefixLock(client, news.schemaPrefix, {}, async () => {
      const active = await versions.activeVersion(client, news.schemaPrefix);
      if (news.cutover === "auto" && olds.cutover !== "auto" && active !== id) await versions.switchTo(client, news.schemaPrefix, id);
      const keep = [id, ...(await claimedByOthers(client, news.schemaPrefix, news.owner))];
      await versions.collectGarbage(client, news.schemaPrefix, { retain: news.retainVersions + 1, keep });
      await claim(client, news.schemaPrefix, news.owner, id);
    });
  });
  return { outs: { ...olds, ...news } };
}

export async function read(id: string, props: MigrationOutputs): Promise<{ id: string; props: MigrationOutputs }> {
  return withClient(props.connection, async (client) => {
    const meta = await versions.readVersionMetadata(client, id);
    // A version dropped behind Pulumi's back: an empty id tells refresh it is gone.
    if (meta === null) return { id: "", props };
    const rowCounts: Record<string, number> = {};
    for (const table of Object.keys(meta.tables)) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(id, table)}`);
      rowCounts[table] = Number(rows[0].n);
    }
    return { id, props: { ...props, rowCounts } };
  });
}

export async function remove(id: string, props: MigrationOutputs): Promise<void> {
  await withClient(props.connection, (client) =>
    versions.withPrefixLock(client, props.schemaPrefix, {}, async () => {
      const claims = await readClaims(client, props.schemaPrefix);
      if (claims.get(props.owner) !== id) {
        // Replaced: the owner holds a newer version now, and the replacement's create
        // applied retention with the current retainVersions. These props hold the value
        // this resource was created with: when retainVersions rose along with a new
        // export, applying it here dropped a version the new setting keeps.
        return;
      }
      await releaseClaim(client, props.schemaPrefix, props.owner);
      const others = [...claims.keys()].filter((owner) => owner !== props.owner);
      if (others.length === 0) await dropStableAndControl(client, props.schemaPrefix);
      const othersHold = new Set(others.map((o) => claims.get(o)));
      for (const version of await versions.listVersions(client, props.schemaPrefix)) {
        const mine = version.loadedBy === props.owner || version.schema === id;
        if (mine && !othersHold.has(version.schema)) await versions.dropVersion(client, props.schemaPrefix, version.schema);
      }
    }),
  );
}
