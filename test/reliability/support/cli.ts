/**
 * The CLI as a child process: exit status, streams, peak RSS (a preload
 * writes ru_maxrss at exit), and a hard timeout, so a hang fails the test
 * instead of stalling it.
 */
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "../../support/pulumi";

export const CLI = path.join(PROJECT_ROOT, "dist", "cli", "servicedesk-migrate.js");
const PEAK_RSS_PRELOAD = path.join(__dirname, "..", "fixtures", "peak-rss.js");

export interface CliResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
  /** Peak resident set of the CLI process (worker threads included), in bytes. */
  readonly peakRssBytes: number;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** The run is killed (and the test fails on its status) past this. Defaults to 120 s. */
  readonly timeoutMs?: number;
}

/** Runs `servicedesk-migrate <args>` from dist/, asynchronously (the test process stays free to hold locks). */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const scratch = mkdtempSync(path.join(tmpdir(), "sdm-rss-"));
  const rssFile = path.join(scratch, "rss");
  const started = performance.now();
  const child = spawn(process.execPath, ["-r", PEAK_RSS_PRELOAD, CLI, ...args], {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { ...process.env, ...options.env, SDM_TEST_PEAK_RSS_FILE: rssFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  return collect(child).then(({ status, signal, stdout, stderr }) => {
    clearTimeout(timer);
    let peakKiB = NaN;
    try {
      peakKiB = Number(readFileSync(rssFile, "utf8"));
    } catch {
      // Killed before its exit hook ran: no figure, and the status says why.
    }
    rmSync(scratch, { recursive: true, force: true });
    return { status, signal, stdout, stderr, seconds: (performance.now() - started) / 1000, peakRssBytes: peakKiB * 1024 };
  });
}

function collect(child: ChildProcess): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** The --json report of a run (throws with the run's stderr when stdout is not JSON). */
export function reportOf<T = MigrationReportJson>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`the CLI printed no JSON report (status ${result.status}); stderr:\n${result.stderr}\nstdout:\n${result.stdout}`);
  }
}

/** The fields of the CLI's --json report the tests read. */
export interface MigrationReportJson {
  outcome: string;
  schema: string | null;
  previousSchema: string | null;
  cutOver: boolean;
  tables: { table: string; source: string; sourceRows: number; rowsLoaded: number; rejected: number; nulled: number }[];
  quality: {
    score: number;
    blocked: boolean;
    blockedBy: string[];
    findings: { check: string; severity: string; message: string; table?: string; column?: string }[];
  } | null;
  backup: { file: string; bytes: number } | null;
  droppedVersions: string[];
  commands: Record<string, string | null>;
  error: { code: string; message: string } | null;
}

/** The last line of stderr: the CLI's one-paragraph failure message. */
export function failureLine(result: CliResult): string {
  const lines = result.stderr.trim().split("\n");
  return lines[lines.length - 1] ?? "";
}
