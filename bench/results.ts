/**
 * The bench's figures as rows, the markdown tables printed, and the last
 * line CI reads. MB and MiB here are both 2^20 bytes.
 */
import { MigrationReport } from "../engine";

export type Status = "ok" | "FAILED" | "skipped";
export type ContenderId = "floorData" | "floorKeys" | "simple" | "simpleStreams" | "complete" | "pgloader" | "pgloaderCast" | "codec";

export interface ContenderRow {
  readonly id: ContenderId;
  readonly label: string;
  readonly status: Status;
  readonly wallSeconds: number | null;
  readonly rowsPerSecond: number | null;
  readonly mbPerSecond: number | null;
  readonly peakRssMb: number | null;
  readonly note: string;
}

/** Which pgloader run the last line compares with: the first that loaded every row. */
export type PgloaderRunCompared = "defaults" | "cast";

export interface Ratios {
  readonly ratioVsCopy: number | null;
  /** Simple over the pgloader run that loaded every row (named by pgloaderRun). */
  readonly ratioVsPgloader: number | null;
  readonly pgloaderRun: PgloaderRunCompared | null;
  readonly completeVsSimple: number | null;
  /** Complete (the default mode) over the same pgloader run as ratioVsPgloader. */
  readonly completeVsPgloader: number | null;
  /** Simple with BENCH_STREAMS parallel table streams over simple with one. */
  readonly streamsVsOne: number | null;
  readonly peakRssMb: number | null;
  /** Complete's process tree, pg_dump included. */
  readonly completePeakRssMb: number | null;
  /** Simple over pgloader with its default casts and with CAST rules for epoch columns, each when it loaded every row. */
  readonly ratioVsPgloaderDefaults: number | null;
  readonly ratioVsPgloaderWithCast: number | null;
}

const MB = 2 ** 20;

/** The parallel table streams of the "streams" contender, against simple's one. */
export const BENCH_STREAMS = 2;

export function contenderRow(
  base: Pick<ContenderRow, "id" | "label" | "note">,
  status: Status,
  wallSeconds: number | null,
  peakRssBytes: number | null,
  source: { readonly totalRows: number; readonly bytes: number },
): ContenderRow {
  const measured = status === "ok" && wallSeconds !== null && wallSeconds > 0;
  return {
    ...base,
    status,
    wallSeconds,
    rowsPerSecond: measured ? Math.round(source.totalRows / wallSeconds!) : null,
    mbPerSecond: measured ? source.bytes / MB / wallSeconds! : null,
    peakRssMb: peakRssBytes === null ? null : peakRssBytes / MB,
  };
}

function okWall(rows: readonly ContenderRow[], id: ContenderRow["id"]): number | null {
  const row = rows.find((r) => r.id === id);
  return row && row.status === "ok" ? row.wallSeconds : null;
}

export function ratios(rows: readonly ContenderRow[]): Ratios {
  const simple = okWall(rows, "simple");
  const over = (other: number | null) => (simple !== null && other !== null && other > 0 ? simple / other : null);
  const complete = okWall(rows, "complete");
  const streamed = okWall(rows, "simpleStreams");
  // A pgloader run is "ok" only when PostgreSQL holds every row of the export
  // (its defaults lose a table of ServiceDesk exports and still exit 0).
  const defaults = over(okWall(rows, "pgloader"));
  const cast = over(okWall(rows, "pgloaderCast"));
  const pgloader = defaults !== null ? okWall(rows, "pgloader") : okWall(rows, "pgloaderCast");
  return {
    ratioVsCopy: over(okWall(rows, "floorKeys")),
    ratioVsPgloader: defaults ?? cast,
    pgloaderRun: defaults !== null ? "defaults" : cast !== null ? "cast" : null,
    ratioVsPgloaderDefaults: defaults,
    ratioVsPgloaderWithCast: cast,
    completeVsSimple: complete !== null && simple !== null && simple > 0 ? complete / simple : null,
    completeVsPgloader: complete !== null && pgloader !== null && pgloader > 0 ? complete / pgloader : null,
    streamsVsOne: streamed !== null && simple !== null && simple > 0 ? streamed / simple : null,
    peakRssMb: rows.find((r) => r.id === "simple" && r.status === "ok")?.peakRssMb ?? null,
    completePeakRssMb: rows.find((r) => r.id === "complete" && r.status === "ok")?.peakRssMb ?? null,
  };
}

const fixed = (n: number | null, digits: number) => (n === null ? "na" : n.toFixed(digits));

export function lastLine(r: Ratios): string {
  return (
    `ratio_vs_copy=${fixed(r.ratioVsCopy, 2)} ratio_vs_pgloader=${fixed(r.ratioVsPgloader, 2)} pgloader_run=${r.pgloaderRun ?? "na"} ` +
    `complete_vs_simple=${fixed(r.completeVsSimple, 2)} complete_vs_pgloader=${fixed(r.completeVsPgloader, 2)} ` +
    `streams_${BENCH_STREAMS}_vs_1=${fixed(r.streamsVsOne, 2)} peak_rss_mb=${fixed(r.peakRssMb, 0)} complete_peak_rss_mb=${fixed(r.completePeakRssMb, 0)}`
  );
}

/** Columns of figures ("wall s", "rows/s", "peak RSS MB") align right. */
const NUMERIC_HEADERS = /(\bs|\/s|MB)$/;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((h) => (NUMERIC_HEADERS.test(h) ? "---:" : "---"))), ...rows.map(line)].join("\n");
}

export function contenderTable(rows: readonly ContenderRow[]): string {
  return table(
    ["contender", "status", "wall s", "rows/s", "MB/s", "peak RSS MB", "notes"],
    rows.map((r) => [
      r.label,
      r.status,
      fixed(r.wallSeconds, 1),
      r.rowsPerSecond === null ? "na" : r.rowsPerSecond.toLocaleString("en-US"),
      fixed(r.mbPerSecond, 1),
      fixed(r.peakRssMb, 0),
      r.note.replace(/\|/g, "\\|").replace(/\n/g, " "),
    ]),
  );
}

export interface PhaseColumn {
  readonly label: string;
  readonly wallSeconds: number | null;
  readonly timings: Readonly<Record<string, number>>;
}

/** Engine phases from its report (floor figures where the floor has the phase), seconds. */
const PHASES: readonly { key: string; label: string }[] = [
  { key: "inspect", label: "inspect (digest, profile, plan)" },
  { key: "health", label: "health checks" },
  { key: "canary", label: "canary (sample: load, keys, validate, queries)" },
  { key: "loadRows", label: "load rows (COPY)" },
  { key: "keys", label: "keys, foreign keys, indexes (engine: + ANALYZE)" },
  { key: "analyze", label: "ANALYZE (floor: not in its wall)" },
  { key: "validation", label: "validation (counts, types, checksums)" },
  { key: "commit", label: "gate, metadata, commit" },
  { key: "backup", label: "backup wait after load (pg_dump runs alongside)" },
  { key: "cutover", label: "cutover" },
  { key: "other", label: "other (process start, connect, lock, retention)" },
];

/** Timings of an engine report with the parts its `load` timing holds besides rows, keys and validation, and the rest of the wall. */
export function enginePhaseTimings(report: MigrationReport, wallSeconds: number): Record<string, number> {
  const t = report.timings;
  const commit = (t.load ?? 0) - (t.loadRows ?? 0) - (t.keys ?? 0) - (t.validation ?? 0);
  const accounted = ["inspect", "health", "canary", "load", "backup", "cutover"].reduce((s, k) => s + (t[k] ?? 0), 0);
  return { ...t, commit, other: wallSeconds - accounted };
}

/**
 * Phases by contender. An engine figure of a phase the floor also has is
 * followed by its ratio to the floor's, "13.8 (2.03x)": where the engine
 * spends more than COPY itself does, phase by phase.
 */
export function phaseTable(columns: readonly PhaseColumn[]): string {
  const floor = columns.find((c) => c.label === "floor");
  const cell = (c: PhaseColumn, value: number | null | undefined, floorValue: number | null | undefined) => {
    if (value === undefined || value === null) return "";
    const against =
      c !== floor && floorValue !== undefined && floorValue !== null && floorValue > 0 ? ` (${(value / floorValue).toFixed(2)}x)` : "";
    return `${value.toFixed(1)}${against}`;
  };
  return table(
    ["phase", ...columns.map((c) => `${c.label} s`)],
    [
      ...PHASES.map((p) => [p.label, ...columns.map((c) => cell(c, c.timings[p.key], floor?.timings[p.key]))]),
      ["wall", ...columns.map((c) => cell(c, c.wallSeconds, floor?.wallSeconds))],
    ],
  );
}
