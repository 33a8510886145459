/**
 * What a bench run prints and keeps: the contenders' table, the notes on
 * how figures were taken, the engine's phases next to the floor's, the
 * last line, and the JSON of everything.
 */
import * as os from "node:os";
import { BenchOptions } from "./args";
import { codecTable } from "./codecs";
import { ContenderRecord } from "./contenders";
import { EngineRun } from "./engine-runs";
import { FloorResult } from "./floor";
import { SAMPLE_INTERVAL_MS } from "./process-tree-rss";
import {
  BENCH_STREAMS,
  ContenderRow,
  contenderTable,
  enginePhaseTimings,
  lastLine,
  PhaseColumn,
  phaseTable,
  Ratios,
  ratios,
} from "./results";
import { SourceExport } from "./source-export";

export interface SummaryInput {
  readonly options: BenchOptions;
  readonly source: SourceExport;
  readonly postgres: string;
  readonly records: Readonly<Record<string, ContenderRecord>>;
  readonly resultsFile: string;
}

export interface Summary {
  readonly text: string;
  readonly lastLine: string;
  readonly json: unknown;
}

function floorOf(records: SummaryInput["records"]): FloorResult | null {
  const detail = records.floor?.outcome.detail;
  return detail && "keyStatements" in detail ? detail : null;
}

function engineOf(records: SummaryInput["records"], name: "simple" | "streams" | "complete"): EngineRun | null {
  const detail = records[name]?.outcome.detail;
  return detail && "report" in detail && "rss" in detail ? detail : null;
}

function phaseColumns(records: SummaryInput["records"]): PhaseColumn[] {
  const columns: PhaseColumn[] = [];
  const floor = floorOf(records);
  if (floor?.ok) {
    columns.push({
      label: "floor",
      wallSeconds: floor.dataSeconds + floor.keysSeconds,
      timings: { loadRows: floor.dataSeconds, keys: floor.keysSeconds, analyze: floor.analyzeSeconds },
    });
  }
  for (const [name, label] of [
    ["simple", "engine simple"],
    ["streams", `engine simple, ${BENCH_STREAMS} streams`],
    ["complete", "engine complete"],
  ] as const) {
    const run = engineOf(records, name);
    if (run?.ok && run.report)
      columns.push({ label, wallSeconds: run.wallSeconds, timings: enginePhaseTimings(run.report, run.wallSeconds) });
  }
  return columns;
}

function notes(input: SummaryInput, r: Ratios): string[] {
  const floor = floorOf(input.records);
  const busy = Object.entries(input.records)
    .filter(([, record]) => (record.activity?.busySamples ?? 0) > 0)
    .map(([name, record]) => `${name} ${record.activity!.busySamples}/${record.activity!.samples} s`);
  return [
    `Wall: spawn to exit of each contender's process(es). rows/s = ${input.source.totalRows} rows / wall; MB/s = source file size / wall; MB = 2^20 bytes.`,
    `Peak RSS: sum over the contender's process tree (engine: node with its worker threads, plus pg_dump in complete mode; ` +
      `floor: bash, sqlite3 and psql; pgloader: its process), sampled every ${SAMPLE_INTERVAL_MS} ms. The PostgreSQL server is not counted.`,
    floor?.ok
      ? `Floor keys: ${floor.keyStatements.length} statements, ${floor.keysSeconds.toFixed(1)} s (each one in the JSON); ANALYZE ${floor.analyzeSeconds.toFixed(1)} s more, not in the floor's wall.`
      : "",
    r.pgloaderRun !== null
      ? `ratio_vs_pgloader compares engine simple with pgloader ${r.pgloaderRun === "cast" ? "with CAST rules for epoch columns (its defaults did not load every row)" : "with its default casts"}.`
      : "ratio_vs_pgloader: na, no pgloader run loaded every row.",
    busy.length > 0
      ? `Warning: other sessions ran statements on this server (and these CPUs) while contenders ran, seconds busy/sampled: ${busy.join(", ")}; those figures are pessimistic.`
      : "No other session ran statements on the server while the contenders ran (sampled once a second).",
  ].filter((n) => n !== "");
}

export function summarize(input: SummaryInput): Summary {
  const { options, source, postgres, records } = input;
  const rows: ContenderRow[] = options.only.flatMap((name) => records[name]?.outcome.rows ?? []);
  const r = ratios(rows);
  const last = lastLine(r);
  const heading =
    `## ServiceDesk bench: ${options.tickets.toLocaleString("en-US")} tickets (seed ${options.seed}), ` +
    `${source.totalRows.toLocaleString("en-US")} rows, ${(source.bytes / 2 ** 20).toFixed(0)} MB; ${postgres.split(" on ")[0]}, ${os.cpus().length} CPUs`;
  const columns = phaseColumns(records);
  const phases = columns.length > 0 ? `\n### Phases (seconds; engine figures from its report timings)\n\n${phaseTable(columns)}\n` : "";
  const codecDetail = records.codecs?.outcome.detail;
  const codecs =
    codecDetail && "codecs" in codecDetail
      ? `\n### Backup codecs (pg_dump of ${codecDetail.schema}, one at a time)\n\n${codecTable(codecDetail.codecs)}\n`
      : "";
  const text = `${heading}\n\n${contenderTable(rows)}\n\n${notes(input, r).join("\n")}\n${phases}${codecs}\nresults: ${input.resultsFile}`;
  const json = {
    bench: {
      tickets: options.tickets,
      seed: options.seed,
      finishedAt: new Date().toISOString(),
      cpus: os.cpus().length,
      node: process.version,
      postgres,
      sampleIntervalMs: SAMPLE_INTERVAL_MS,
      postgresServerRssCounted: false,
    },
    source,
    contenders: rows,
    ratios: r,
    lastLine: last,
    phases: columns,
    details: Object.fromEntries(Object.entries(records).map(([name, record]) => [name, record.outcome.detail])),
    activity: Object.fromEntries(Object.entries(records).map(([name, record]) => [name, record.activity])),
  };
  return { text, lastLine: last, json };
}
