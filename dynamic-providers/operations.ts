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
  GateBlockedError,
  migrate,
  MigrationError,
  MigrationReport,
  OptionError,
  holderState,
  releaseHolder,
  Review,
  reviewExport,
  reviewSummary,
  settleHolder,
  SourceError,
  throttled,
  withClient as engineWithClient,
  writeReportFiles,
  writeReviewFiles,
} from "../engine";
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
 * Whether a review is shown for the first time in this provider process.
 * Pulumi checks a replaced resource's inputs twice in one operation (with
 * its old inputs, then alone for the replacement): the same review is
 * printed once. The process lives for one operation.
 */
const shownReviews = new Set<string>();
function firstShowing(key: string): boolean {
  if (shownReviews.has(key)) return false;
  shownReviews.add(key);
  return true;
}

/**
 * The review files, or why they could not be written: a preview is not
 * failed for the reports folder (the run's health check names a backup
 * folder that cannot be written).
 */
function reviewFilesOf(review: Review, directory: string): { json: string; markdown: string } | { error: string } {
  try {
    return writeReviewFiles(review, directory);
  } catch (error) {
    return { error: `not written, ${directory} cannot be written: ${describeError(error)}` };
  }
}

/**
 * The review at preview (engine/review): every value converted, no
 * database written, set against the version readers are on. It is printed
 * as a short block, written as Markdown and JSON beside the run reports,
 * and its summary becomes the `review` input, so the preview diff says what
 * comes; a blocked export fails the check with the gate's ways forward.
 */
async function previewReview(
  inputs: MigrationInputs,
): Promise<{ failures: CheckFailure[]; schemaPlan: SchemaPlan | null; review: Record<string, string> | null }> {
  try {
    const log = engineLog();
    const { review, preview } = await reviewExport({
      ...planOptions(inputs),
      sourcePath: sourcePathOf(inputs),
      mode: inputs.mode,
      minQuality: inputs.minQuality,
      thresholds: inputs.thresholds,
      acceptFindings: inputs.acceptFindings,
      backup: inputs.backup,
      backupCompression: inputs.backupCompression,
      pgBinDir: pgBinDirOf(inputs),
      databaseUrl: hasUnknowns({ connection: inputs.connection }) ? null : inputs.connection,
      schemaPrefix: inputs.schemaPrefix,
      cutover: effectiveCutover(inputs),
      owner: inputs.owner || null,
      onProgress: progressTo(log),
    });
    const { quality } = preview;
    const summary = reviewSummary(review);
    const files = reviewFilesOf(review, reportsDirectory(inputs));
    if (firstShowing(`${preview.digest} ${JSON.stringify(summary)}`)) {
      for (const [key, value] of Object.entries(summary)) await log?.(`servicedesk-migration [review] ${key}: ${value}`);
      await log?.(`servicedesk-migration [review] files: ${"error" in files ? files.error : `${files.markdown} ${files.json}`}`);
      // Each finding in full, blocked or not (a refused view, a widened column).
      for (const f of quality.findings.filter((finding) => finding.severity !== "ok"))
        await log?.(`servicedesk-migration [gate]: ${f.accepted ? `accepted (${f.accepted})` : f.severity} ${f.check}: ${f.message}`);
    }
    const schemaPlan = schemaPlanOf(preview.tables);
    if (!preview.refused) return { failures: [], schemaPlan, review: summary };
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
            `Ways forward: ${quality.waysForward.map((w, i) => `(${i + 1}) ${w}`).join(" ")}. Findings: ${findings.join(" | ")}. ` +
            `Review: ${"error" in files ? files.error : files.markdown}`,
        },
      ],
      schemaPlan,
      review: summary,
    };
  } catch (error) {
    const failed = (property: string, reason: string) => ({ failures: [{ property, reason }], schemaPlan: null, review: null });
    if (error instanceof SourceError) return failed("source", error.message);
    if (error instanceof OptionError) return failed(error.field.split(".")[0], error.message);
    if (error instanceof MigrationError) return failed("source", error.message);
    throw error;
  }
}

const pgBinDirOf = (inputs: MigrationInputs) => (inputs.pgBinDir ? path.resolve(process.cwd(), inputs.pgBinDir) : undefined);

export async function check(
  olds: Partial<MigrationInputs>,
  news: Partial<MigrationInputs>,
): Promise<{ inputs: MigrationInputs; failures: CheckFailure[] }> {
  void olds;
  const inputs = withDefaults(news);
  const failures = validateInputs(inputs);
  const dataInputsKnown = !hasUnknowns({ ...inputs, connection: "", owner: "" });
  if (failures.length > 0 || !dataInputsKnown) return { inputs, failures };
  const gate = await previewReview(inputs);
  return {
    inputs: { ...inputs, ...(gate.schemaPlan ? { schemaPlan: gate.schemaPlan } : {}), ...(gate.review ? { review: gate.review } : {}) },
    failures: gate.failures,
  };
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
    pgBinDir: pgBinDirOf(inputs),
    minFreeDiskBytes: inputs.minFreeDiskBytes,
    minFreeMemoryBytes: inputs.minFreeMemoryBytes,
    streams: inputs.streams,
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
  const served = await withClient(news.connection, (client) =>
    settleHolder(
      client,
      {
        prefix: news.schemaPrefix,
        schema: id,
        owner: news.owner,
        instance: olds.instanceId ?? "",
        retainVersions: news.retainVersions,
        backupDirectory: path.resolve(process.cwd(), news.backupDirectory),
        backupKeepDays: news.backupKeepDays,
      },
      // A change that makes the cutover automatic (cutover, or a mode leaving blue-green) serves this resource's version now.
      { serveNow: effectiveCutover(news) === "auto" && effectiveCutover(olds) !== "auto", previousOwner: olds.owner },
    ),
  );
  return { outs: { ...olds, ...news, servedSchemaName: served ?? "" } };
}

export async function read(id: string, props: MigrationOutputs): Promise<{ id: string; props: MigrationOutputs }> {
  const { rowCounts, served } = await withClient(props.connection, (client) =>
    holderState(client, { prefix: props.schemaPrefix, schema: id }),
  );
  // A version dropped behind Pulumi's back: an empty id tells refresh it is gone.
  // Readers may be on another version (a rollback, a restore): servedSchemaName says which.
  return rowCounts === null ? { id: "", props } : { id, props: { ...props, rowCounts, servedSchemaName: served ?? "" } };
}

/**
 * Delete: a destroy releases this resource's claim and removes what it
 * loaded that no other holder holds; a replacement's predecessor leaves
 * everything to its successor (engine/lifecycle/holder.ts). Backups stay.
 */
export async function remove(id: string, props: MigrationOutputs): Promise<void> {
  await withClient(props.connection, (client) =>
    releaseHolder(client, { prefix: props.schemaPrefix, schema: id, owner: props.owner, instance: props.instanceId }),
  );
}
