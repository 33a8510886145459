/**
 * `npm run bench -- --tickets N`: one generated export, one PostgreSQL,
 * four contenders side by side, one at a time: the raw COPY floor, this
 * engine in simple mode, this engine in complete mode (steady state), and
 * pgloader. Prints a markdown table and, as the last line,
 * `ratio_vs_copy=X ratio_vs_pgloader=Y pgloader_run=cast complete_vs_simple=Z complete_vs_pgloader=P streams_2_vs_1=S peak_rss_mb=M complete_peak_rss_mb=C`
 * (pgloader_run: the pgloader run that loaded every row, which Y compares with);
 * writes everything to <data-dir>/results-<tickets>.json.
 *
 * Progress goes to stderr, results to stdout. Exit 0 when the floor and
 * the engine ran (pgloader may fail: that is a result), 1 otherwise, 2 on
 * a bad command line.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inspectSource } from "../engine";
import { BenchArgsError, BenchOptions, ContenderName, parseBenchArgs, USAGE } from "./args";
import {
  ContenderContext,
  ContenderOutcome,
  ContenderRecord,
  engineCompleteContender,
  engineSimpleContender,
  failedOutcome,
  floorContender,
  pgloaderContender,
  streamsLabel,
} from "./contenders";
import { codecsContender } from "./codecs";
import { serverVersion } from "./databases";
import { interruptGroups } from "./measured-run";
import { BENCH_STREAMS, ContenderId } from "./results";
import { watchingActivity } from "./server-activity";
import { preparedExport, warmPageCache } from "./source-export";
import { summarize } from "./summary";

interface Runner {
  readonly run: (ctx: ContenderContext) => Promise<ContenderOutcome>;
  /** The rows it yields, for when it throws before yielding any. */
  readonly ids: ContenderId[];
  readonly labels: string[];
}

const RUNNERS: Record<ContenderName, Runner> = {
  floor: { run: floorContender, ids: ["floorData", "floorKeys"], labels: ["raw COPY floor, data", "raw COPY floor, data + keys"] },
  simple: { run: (ctx) => engineSimpleContender(ctx), ids: ["simple"], labels: [streamsLabel(1)] },
  streams: {
    run: (ctx) => engineSimpleContender(ctx, BENCH_STREAMS),
    ids: ["simpleStreams"],
    labels: [streamsLabel(BENCH_STREAMS)],
  },
  complete: { run: engineCompleteContender, ids: ["complete"], labels: ["this engine, complete (steady state)"] },
  pgloader: { run: pgloaderContender, ids: ["pgloader"], labels: ["pgloader"] },
  codecs: { run: codecsContender, ids: ["codec"], labels: ["backup codecs"] },
};

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function toolMissing(tool: string): boolean {
  const probe = spawnSync(tool, ["--version"], { stdio: "ignore" });
  return probe.error !== undefined || probe.status !== 0;
}

let interrupted = false;

async function runContender(name: ContenderName, ctx: ContenderContext, quietWaitSeconds: number): Promise<ContenderRecord> {
  const runner = RUNNERS[name];
  if (interrupted)
    return { outcome: failedOutcome(runner.ids, runner.labels, "not run: the bench was interrupted", ctx.source), activity: null };
  let record: ContenderRecord;
  try {
    const { result, activity } = await watchingActivity(ctx.serverUrl, quietWaitSeconds, () =>
      runner.run(ctx).catch((error: unknown) => {
        log(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
        return failedOutcome(runner.ids, runner.labels, error, ctx.source);
      }),
    );
    record = { outcome: result, activity };
  } catch (error) {
    record = { outcome: failedOutcome(runner.ids, runner.labels, error, ctx.source), activity: null };
  }
  log(record.outcome.rows.map((r) => `${r.label}: ${r.status} ${r.wallSeconds?.toFixed(1) ?? "na"} s`).join("; "));
  if (record.activity && record.activity.busySamples > 0) {
    log(
      `warning: other sessions ran statements on the server during ${record.activity.busySamples} of ${record.activity.samples} seconds of ${name}`,
    );
  }
  return record;
}

async function runContenders(options: BenchOptions, ctx: ContenderContext): Promise<Record<string, ContenderRecord>> {
  const records: Record<string, ContenderRecord> = {};
  for (const name of options.only) records[name] = await runContender(name, ctx, options.quietWaitSeconds);
  return records;
}

async function bench(options: BenchOptions): Promise<number> {
  for (const tool of ["sqlite3", "psql", "pg_dump"])
    if (toolMissing(tool)) log(`warning: ${tool} is not on PATH; the contenders that need it will fail`);
  const dataDirectory = path.resolve(options.dataDirectory);
  mkdirSync(dataDirectory, { recursive: true });
  const source = preparedExport(dataDirectory, options.tickets, options.seed, log);
  log(`${source.totalRows} rows (${JSON.stringify(source.rows)}); planning with the engine for the floor's tables`);
  const plan = (await inspectSource(source.path)).plan;
  const postgres = await serverVersion(options.databaseUrl);
  await warmPageCache(source.path);
  const workDirectory = mkdtempSync(path.join(os.tmpdir(), "sdbench-"));
  const onSignal = () => {
    interrupted = true;
    log("interrupted: stopping the running contender, then cleaning up");
    interruptGroups();
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  let records: Record<string, ContenderRecord>;
  try {
    records = await runContenders(options, {
      serverUrl: options.databaseUrl,
      source,
      plan,
      workDirectory,
      timeoutSeconds: options.timeoutSeconds,
      log,
    });
  } finally {
    rmSync(workDirectory, { recursive: true, force: true });
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
  const resultsFile = path.join(dataDirectory, `results-${options.tickets}.json`);
  const summary = summarize({ options, source, postgres, records, resultsFile: interrupted ? "(not written: interrupted)" : resultsFile });
  // An interrupted run must not replace the results of a complete one.
  if (!interrupted) writeFileSync(resultsFile, `${JSON.stringify(summary.json, null, 2)}\n`);
  process.stdout.write(`${summary.text}\n${summary.lastLine}\n`);
  const failed = Object.values(records)
    .flatMap((r) => r.outcome.rows)
    .filter((r) => !r.id.startsWith("pgloader") && r.status === "FAILED");
  return interrupted ? 130 : failed.length > 0 ? 1 : 0;
}

async function main(): Promise<number> {
  let options: BenchOptions | null;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof BenchArgsError)) throw error;
    process.stderr.write(`bench: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  return bench(options);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
