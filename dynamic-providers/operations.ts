/**
 * The ServicedeskMigration provider's operations. They run in the dynamic
 * provider's process, loaded by path at each call (see
 * servicedesk-migration.ts), and keep no state between calls: every call
 * opens its own connection and closes it.
 */
import { randomUUID } from "node:crypto";
import * as path from "node:path";
import type { Client } from "pg";
import {
  defaultReportDirectory,
  describeError,
  evaluateGate,
  GateBlockedError,
  inspectSource,
  measureWithCache,
  migrate,
  MigrationError,
  MigrationReport,
  OptionError,
  backupToolFindings,
  connect,
  Finding,
  parseAcceptances,
  refusedViewsOf,
  SourceError,
  throttled,
  versions,
  withClient as engineWithClient,
  writeReportFiles,
} from "../engine";
import { pruneBackupsWithClient } from "../engine/backup";
import { backupServerOf } from "../engine/migrate/steps";
import { qualified } from "../engine/sql/identifiers";
import { dropStableAndControl } from "./teardown";
import { diffInputs } from "./diff";
import { engineLog, EngineLog } from "./engine-log";
import { CheckFailure, hasUnknowns, MigrationInputs, MigrationOutputs, SchemaPlan, validateInputs, withDefaults } from "./inputs";
import { effectiveCutover } from "./lifecycle";
import { schemaPlanOf } from "./source-plan";
import { outputsOf } from "./outputs";

// The program passes absolute paths; relative ones (older state, direct use) are taken from the provider's folder.
const sourcePathOf = (inputs: MigrationInputs) => path.resolve(process.cwd(), inputs.source);

function planOptions(inputs: MigrationInputs) {
  return {
    badValuePolicy: inputs.badValuePolicy,
    typeOverrides: inputs.typeOverrides,
    renames: inputs.renames,
    includeTables: inputs.includeTables,
    excludeTables: inputs.excludeTables,
    timezone: inputs.timezone || null,
    dateRange: inputs.dateRange,
  };
}

function progressTo(log: EngineLog | null) {
  if (!log) return undefined;
  let lastPhase = "";
  return throttled((event) => {
    const rows =
      event.done !== undefined && event.total !== undefined
        ? ` ${event.done.toLocaleString("en-US")}/${event.total.toLocaleString("en-US")} rows`
        : "";
    const key = `${event.phase}:${event.table ?? ""}`;
    // A new phase or table is kept in the log; row counts within it are live status lines.
    void log(`servicedesk-migration [${event.phase}]${event.table ? ` ${event.table}` : ""}:${rows || ` ${event.message}`}`, {
      ephemeral: key === lastPhase && rows !== "",
    });
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
    error instanceof SourceError
      ? "source"
      : error instanceof OptionError
        ? error.field.split(".")[0]
        : error instanceof MigrationError && (error.code === "CONNECTION_FAILED" || error.code === "PERMISSION_DENIED")
          ? "connection"
          : error instanceof MigrationError && error.code === "BACKUP_FAILED"
            ? "backupDirectory"
            : null;
  return property ? `property ${property} has a problem: ${describeError(error)}` : describeError(error);
}

/** The engine's withClient, with a failure to connect named as the connection property's problem. */
async function withClient<T>(connection: string, fn: (client: Client) => Promise<T>): Promise<T> {
  let ran = false;
  try {
    return await engineWithClient(connection, (client) => {
      ran = true;
      return fn(client);
    });
  } catch (error) {
    if (ran) throw error;
    throw new Error(failureMessage(error));
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
    if (measured.cached)
      await log?.(`servicedesk-migration [gate]: measures of this export (sha256 ${inspection.digest.slice(0, 12)}) taken from the cache`);
    const schemaPlan = schemaPlanOf(measured.tables.map((t) => t.plan));
    const quality = evaluateGate({
      tables: measured.tables,
      health: await backupCheckAtPreview(inputs, log),
      minQuality: inputs.minQuality,
      thresholds: inputs.thresholds,
      acceptances: parseAcceptances(inputs.acceptFindings),
      viewRefusals: refusedViewsOf(inspection),
      basis: "full",
    });
    // What the export brings that a reviewer should see, blocked or not (a refused view, a widened column).
    for (const f of quality.findings.filter((finding) => finding.severity !== "ok"))
      await log?.(`servicedesk-migration [gate]: ${f.accepted ? `accepted (${f.accepted})` : f.severity} ${f.check}: ${f.message}`);
    if (!quality.blocked || inputs.mode !== "complete") return { failures: [], schemaPlan };
    const findings = quality.findings
      .filter((f) => f.severity !== "ok")
      .slice(0, 10)
      .map((f) => `${f.severity} ${f.check}: ${f.message}`);
    return {
      failures: [
        {
          property: "source",
          reason:
            `the quality gate blocks ${inputs.source}: ${quality.blockedBy.join("; ")}. ` +
            `Ways forward: ${quality.waysForward.map((w, i) => `(${i + 1}) ${w}`).join(" ")}. Findings: ${findings.join(" | ")}`,
        },
      ],
      schemaPlan,
    };
  } catch (error) {
    if (error instanceof SourceError) return { failures: [{ property: "source", reason: error.message }], schemaPlan: null };
    if (error instanceof OptionError)
      return { failures: [{ property: error.field.split(".")[0], reason: error.message }], schemaPlan: null };
    if (error instanceof MigrationError) return { failures: [{ property: "source", reason: error.message }], schemaPlan: null };
    throw error;
  }
}

/**
 * Complete mode's backup tool, checked at preview as a run checks it before
 * anything is written: a pg_dump that dumps the server, which needs the
 * server's version. A connection not yet known, or a server that does not
 * answer, is said and left to the run.
 */
async function backupCheckAtPreview(inputs: MigrationInputs, log: EngineLog | null): Promise<Finding[]> {
  if (inputs.mode !== "complete" || inputs.backup !== "pg_dump" || hasUnknowns({ connection: inputs.connection })) return [];
  let client: Client;
  try {
    client = await connect(inputs.connection, { timeoutMs: PREVIEW_CONNECT_TIMEOUT_MS });
  } catch (error) {
    await log?.(`servicedesk-migration [health]: the backup's pg_dump is checked by the run: ${describeError(error)}`);
    return [];
  }
  try {
    const backupServer = await backupServerOf(client, {
      pgBinDir: inputs.pgBinDir ? path.resolve(process.cwd(), inputs.pgBinDir) : undefined,
    });
    return await backupToolFindings({ backupServer, backupCompression: inputs.backupCompression });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** How long a preview waits for the server to tell its version. */
const PREVIEW_CONNECT_TIMEOUT_MS = 5000;

export async function check(
  olds: Partial<MigrationInputs>,
  news: Partial<MigrationInputs>,
): Promise<{ inputs: MigrationInputs; failures: CheckFailure[] }> {
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
    thresholds: inputs.thresholds,
    acceptFindings: inputs.acceptFindings,
    allowTableLoss: inputs.allowTableLoss,
    sampleRate: inputs.sampleRate,
    sampleSeed: inputs.sampleSeed,
    testQueries: inputs.testQueries,
    cutover: effectiveCutover(inputs),
    retainVersions: inputs.retainVersions,
    backupDirectory: path.resolve(process.cwd(), inputs.backupDirectory),
    backupCompression: inputs.backupCompression,
    backupKeepDays: inputs.backupKeepDays,
    backup: inputs.backup,
    pgBinDir: inputs.pgBinDir ? path.resolve(process.cwd(), inputs.pgBinDir) : undefined,
    minFreeDiskBytes: inputs.minFreeDiskBytes,
    minFreeMemoryBytes: inputs.minFreeMemoryBytes,
    streams: inputs.streams,
  };
}

/** The backups of the resource's prefix, pruned wherever its versions are dropped. */
function backupsOf(inputs: MigrationInputs) {
  return {
    backupDirectory: path.resolve(process.cwd(), inputs.backupDirectory),
    prefix: inputs.schemaPrefix,
    keepDays: inputs.backupKeepDays,
  };
}

function reportsDirectory(inputs: MigrationInputs): string {
  return defaultReportDirectory(path.resolve(process.cwd(), inputs.backupDirectory));
}

export async function create(inputs: MigrationInputs): Promise<{ id: string; outs: MigrationOutputs }> {
  const log = engineLog();
  // A new instance per create: the predecessor of a replacement sees a newer
  // instance in the claim and knows it is being replaced, not destroyed.
  const holder = { owner: inputs.owner, instance: randomUUID() };
  let report: MigrationReport;
  try {
    report = await migrate({ ...migrateOptions(inputs), holder, onProgress: progressTo(log) });
  } catch (error) {
    if (error instanceof GateBlockedError) {
      const files = writeReportFiles(error.report, reportsDirectory(inputs));
      throw new Error(`${error.message} (report: ${files.markdown})`);
    }
    throw new Error(failureMessage(error));
  }
  const files = writeReportFiles(report, reportsDirectory(inputs));
  await log?.(`servicedesk-migration: ${report.outcome} ${report.schema}; report ${files.markdown}`);
  return { id: report.schema!, outs: { ...outputsOf(inputs, report, files), instanceId: holder.instance } };
}

export async function update(id: string, olds: MigrationOutputs, news: MigrationInputs): Promise<{ outs: MigrationOutputs }> {
  await withClient(news.connection, async (client) => {
    await versions.withPrefixLock(client, news.schemaPrefix, {}, async () => {
      const active = await versions.activeVersion(client, news.schemaPrefix);
      // A change that makes the cutover automatic (cutover, or a mode leaving blue-green) serves this resource's version now.
      if (effectiveCutover(news) === "auto" && effectiveCutover(olds) !== "auto" && active !== id)
        await versions.switchTo(client, news.schemaPrefix, id);
      const keep = [id, ...(await versions.heldByOthers(client, news.schemaPrefix, news.owner))];
      await versions.collectGarbage(client, news.schemaPrefix, { retain: news.retainVersions + 1, keep });
      await pruneBackupsWithClient(client, backupsOf(news));
      if (olds.owner !== news.owner) await versions.releaseClaim(client, news.schemaPrefix, olds.owner);
      await versions.holdVersion(client, news.schemaPrefix, { owner: news.owner, instance: olds.instanceId ?? "" }, id);
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

/**
 * Delete: a replacement's predecessor (a newer instance of the same owner
 * holds the claim) leaves everything as it is: the replacement serves what
 * it needs, and its create applied retention with the current settings. A
 * destroy (this instance still holds the claim) releases it and removes
 * what this owner loaded that no other holder holds, and the stable and
 * control schemas when no holder is left. Its backups are kept.
 */
export async function remove(id: string, props: MigrationOutputs): Promise<void> {
  await withClient(props.connection, (client) =>
    versions.withPrefixLock(client, props.schemaPrefix, {}, async () => {
      const claims = await versions.readClaims(client, props.schemaPrefix);
      if (!stillHolds(claims.get(props.owner), id, props.instanceId)) return;
      await versions.releaseClaim(client, props.schemaPrefix, props.owner);
      const others = [...claims.keys()].filter((owner) => owner !== props.owner);
      if (others.length === 0) await dropStableAndControl(client, props.schemaPrefix);
      // With other holders left the stable schema stays, and so does the version it serves,
      // whoever loaded it: readers use it. Retention takes it once another is active.
      const keep = new Set([
        ...others.map((o) => claims.get(o)!.schema),
        ...(others.length > 0 ? [await versions.activeVersion(client, props.schemaPrefix)] : []),
      ]);
      for (const version of await versions.listVersions(client, props.schemaPrefix)) {
        const mine = version.loadedBy === props.owner || version.schema === id;
        if (mine && !keep.has(version.schema)) await versions.dropVersion(client, props.schemaPrefix, version.schema);
      }
      // The backups stay: after a destroy they are the last copy of what it
      // dropped. `servicedesk-migrate prune` removes them when nobody needs them.
    }),
  );
}

/**
 * Whether the claim is still this resource's. Resources created before
 * instances were recorded have none: theirs is the claim of the same
 * schema with no instance, and a claim with an instance is a replacement's.
 */
function stillHolds(claim: versions.Claim | undefined, id: string, instance: string | undefined): boolean {
  if (claim === undefined) return false;
  return instance ? claim.instance === instance : claim.instance === "" && claim.schema === id;
}
