/**
 * `review`: what a new export brings against the version readers are on,
 * without Pulumi: every value converted, nothing written. Writes the review
 * as Markdown (ready to post on a pull request) and JSON, prints a summary
 * and their paths; exit status 2 when the gate blocks, as migrate's.
 */
import * as path from "node:path";
import { defaultReportDirectory, DEFAULTS, reviewExport, reviewSummary, writeReviewFiles } from "../engine";
import type { MigrationMode } from "../engine";
import { targetDatabaseUrl, targetGiven } from "./database";
import { GateFlags, gateOptions, PlanFlags, planOptions, requireSource } from "./options";
import { print } from "./output";
import { display, EXIT_BLOCKED, OutputFlags } from "./run-output";

export interface ReviewFlags extends PlanFlags, GateFlags, OutputFlags {
  source?: string;
  databaseUrl?: string;
  schemaPrefix: string;
  mode: string;
  cutover?: string;
  backup: "pg_dump" | "none";
  backupCompression?: string;
  backupDir?: string;
  reportDir?: string;
  pgBinDir?: string;
  owner?: string;
}

export async function runReview(flags: ReviewFlags): Promise<void> {
  const sourcePath = requireSource(flags);
  const gate = gateOptions(flags);
  // Without a database the review is of the export alone; a database given must be named, as for migrate.
  const databaseUrl = targetGiven(flags.databaseUrl) ? targetDatabaseUrl(flags.databaseUrl) : null;
  const progress = display(flags);
  let result: Awaited<ReturnType<typeof reviewExport>>;
  try {
    result = await reviewExport({
      ...planOptions(flags),
      sourcePath,
      mode: flags.mode as MigrationMode,
      minQuality: gate.minQuality ?? DEFAULTS.minQuality,
      thresholds: gate.thresholds,
      acceptFindings: gate.acceptFindings,
      backup: flags.backup,
      backupCompression: flags.backupCompression ?? DEFAULTS.backupCompression,
      pgBinDir: flags.pgBinDir === undefined ? undefined : path.resolve(flags.pgBinDir),
      databaseUrl,
      schemaPrefix: flags.schemaPrefix,
      cutover: flags.cutover as "auto" | "manual" | undefined,
      owner: flags.owner ?? null,
      onProgress: progress.listener,
    });
  } finally {
    progress.finish({});
  }
  const { review } = result;
  const directory = flags.reportDir ?? defaultReportDirectory(path.resolve(flags.backupDir ?? DEFAULTS.backupDirectory));
  const files = writeReviewFiles(review, directory);
  print(flags, { ...review, reviewFiles: files }, [
    ...Object.entries(reviewSummary(review)).map(([key, value]) => `${key}: ${value}`),
    `review:   ${files.markdown}`,
    `          ${files.json}`,
  ]);
  if (review.verdict === "blocked") process.exitCode = EXIT_BLOCKED;
}
