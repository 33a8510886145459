/**
 * This engine as a contender, in a child process (engine-child.js) whose
 * tree is measured: reader worker threads share its RSS, pg_dump (complete
 * mode) is a child of it and is counted too.
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { MigrationMode, MigrationReport } from "../engine";
import { EngineChildOutcome, EngineChildRequest } from "./engine-child";
import { measuredRun } from "./measured-run";
import { RssPeak } from "./process-tree-rss";

export const SCHEMA_PREFIX = "servicedesk";

export interface EngineRun {
  readonly ok: boolean;
  readonly error: string | null;
  readonly wallSeconds: number;
  readonly rss: RssPeak;
  readonly report: MigrationReport | null;
}

interface EngineRunInput {
  readonly sourcePath: string;
  readonly databaseUrl: string;
  readonly sourceRows: Readonly<Record<string, number>>;
  /** Scratch directory of the bench: report files and backups go under it. */
  readonly workDirectory: string;
  readonly timeoutSeconds: number;
  readonly log: (line: string) => void;
}

/** What makes a finished run a failure: not loaded, or rows missing or rejected. */
function failureOf(report: MigrationReport, sourceRows: Readonly<Record<string, number>>): string | null {
  if (report.outcome !== "loaded") return `outcome ${report.outcome}${report.error ? `: ${report.error.message}` : ""}`;
  for (const [table, rows] of Object.entries(sourceRows)) {
    const loaded = report.tables.find((t) => t.source === table);
    if (!loaded || loaded.rowsLoaded !== rows) return `${table}: ${loaded?.rowsLoaded ?? "no"} rows loaded, SQLite holds ${rows}`;
  }
  return null;
}

export async function runEngine(input: EngineRunInput, mode: MigrationMode, label: string, streams?: number): Promise<EngineRun> {
  const reportFile = path.join(input.workDirectory, `${label}-report.json`);
  const request: EngineChildRequest = {
    sourcePath: input.sourcePath,
    databaseUrl: input.databaseUrl,
    mode,
    schemaPrefix: SCHEMA_PREFIX,
    backupDirectory: path.join(input.workDirectory, "backups"),
    reuse: false,
    ...(streams !== undefined ? { streams } : {}),
    reportFile,
  };
  const run = await measuredRun({
    command: process.execPath,
    args: [path.join(__dirname, "engine-child.js"), JSON.stringify(request)],
    timeoutSeconds: input.timeoutSeconds,
    onStderrLine: (line) => input.log(`${label}: ${line}`),
  });
  const outcome: EngineChildOutcome = existsSync(reportFile) ? (JSON.parse(readFileSync(reportFile, "utf8")) as EngineChildOutcome) : {};
  rmSync(reportFile, { force: true });
  const report = outcome.report ?? null;
  let error = outcome.error ?? (report ? failureOf(report, input.sourceRows) : null);
  if (run.timedOut) error = `killed after ${input.timeoutSeconds} s`;
  else if (run.exitCode !== 0 && error === null) error = `exited with ${run.exitCode ?? run.signal}: ${run.stderr.trim().slice(-2000)}`;
  return { ok: error === null, error, wallSeconds: run.wallSeconds, rss: run.rss, report };
}

/**
 * The steady state of complete mode: the same export loaded once before
 * (untimed, simple), so a previous version exists and is backed up; the
 * timed run must load again (reuse off), through health, canary, gate,
 * backup, load, validation and cutover.
 */
export async function runEngineComplete(
  input: EngineRunInput,
  beforeTimedRun: () => Promise<void>,
): Promise<EngineRun & { preload: EngineRun }> {
  input.log("engine complete: untimed preload (simple) so that a previous version exists");
  const preload = await runEngine(input, "simple", "preload");
  if (!preload.ok) return { ...preload, error: `the untimed preload failed: ${preload.error}`, preload };
  await beforeTimedRun();
  const run = await runEngine(input, "complete", "complete");
  rmSync(path.join(input.workDirectory, "backups"), { recursive: true, force: true });
  return { ...run, preload };
}
