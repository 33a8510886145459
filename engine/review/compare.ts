/**
 * The review of an export against the version readers are on: each part
 * set side by side (score, findings, rows, tables, columns), and what a run
 * would do (load or adopt, and the cutover). A pure function of what
 * previewRun measured and readReaders found.
 */
import { roundedQuality } from "../figures";
import { MigrationMode, modeBehaviour } from "../modes";
import type { Preview } from "../migrate/preview";
import { shownColumns } from "../plan/shown-type";
import type { Finding } from "../quality";
import type { VersionMetadata } from "../versions";
import { ColumnChange, ReviewedFinding, Review, TableRows } from "./model";
import { ReadersState } from "./readers";

export interface ReviewInput {
  readonly source: string;
  readonly prefix: string;
  readonly mode: MigrationMode;
  /** The cutover a run of these settings does. */
  readonly cutover: "auto" | "manual";
  readonly preview: Preview;
  /**
   * What readers are on, and the retained version a run would adopt (null
   * when the mode does not adopt or none holds the export); null when no
   * database was asked (none given, or it did not answer): the review is
   * then of the export alone.
   */
  readonly readers: (ReadersState & { readonly adoptable: string | null }) | null;
}

const findingKey = (f: { check: string; table?: string; column?: string }) => `${f.check}\u0000${f.table ?? ""}\u0000${f.column ?? ""}`;

export function buildReview(input: ReviewInput): Review {
  const { preview, readers } = input;
  const version = readers?.version ?? null;
  const quality = roundedQuality(preview.quality);
  const adopts = loads(input.mode) ? (readers?.adoptable ?? null) : null;
  return {
    generatedAt: new Date().toISOString(),
    source: input.source,
    digest: preview.digest,
    prefix: input.prefix,
    mode: input.mode,
    verdict: !quality.blocked ? "passes" : preview.refused ? "blocked" : "warns",
    blockedBy: quality.blockedBy,
    waysForward: quality.waysForward,
    score: { before: version?.quality?.score ?? null, after: quality.score, minQuality: quality.minQuality },
    findings: reviewedFindings(quality.findings, version),
    tables: tableRows(preview, version),
    tablesAdded: version ? preview.tables.filter((t) => !(t.name in version.tables)).map((t) => t.name) : [],
    tablesRemoved: version ? Object.keys(version.tables).filter((name) => !preview.tables.some((t) => t.name === name)) : [],
    columns: columnChanges(preview, version),
    viewsRefused: preview.viewsRefused,
    action: { kind: !loads(input.mode) ? "none" : adopts ? "adopt" : "load", adopts },
    cutover: cutoverOf(input, adopts),
    readers: {
      asked: readers !== null,
      on: readers?.on ?? null,
      held: readers?.held ?? null,
      drift: readers?.drift ?? null,
      unrecorded: version !== null && (version.quality === undefined || version.columns === undefined),
    },
  };
}

function reviewedFindings(findings: readonly Finding[], version: VersionMetadata | null): ReviewedFinding[] {
  const before = new Map((version?.quality?.findings ?? []).map((f) => [findingKey(f), f]));
  const now = findings.filter((f) => f.severity !== "ok");
  const reviewed: ReviewedFinding[] = now.map((f) => {
    const was = before.get(findingKey(f));
    return {
      status: f.accepted ? "accepted" : was ? "still" : "new",
      check: f.check,
      severity: f.severity,
      ...(f.table ? { table: f.table } : {}),
      ...(f.column ? { column: f.column } : {}),
      message: f.message,
      countBefore: was?.count ?? null,
      count: f.count,
      ...(f.accepted ? { accepted: f.accepted } : {}),
    };
  });
  const seen = new Set(now.map(findingKey));
  for (const [key, f] of before)
    if (!seen.has(key))
      reviewed.push({
        status: "gone",
        check: f.check,
        severity: f.severity,
        ...(f.table ? { table: f.table } : {}),
        ...(f.column ? { column: f.column } : {}),
        message: `${f.severity} in ${version!.schema}`,
        countBefore: f.count,
        count: null,
      });
  return reviewed;
}

function tableRows(preview: Preview, version: VersionMetadata | null): TableRows[] {
  const rows: TableRows[] = preview.tables.map((t) => ({
    table: t.name,
    before: version?.tables[t.name]?.rows ?? null,
    after: preview.rows[t.name].loaded,
    rejects: preview.rows[t.name].source - preview.rows[t.name].loaded,
  }));
  for (const [table, t] of Object.entries(version?.tables ?? {}))
    if (!preview.tables.some((p) => p.name === table)) rows.push({ table, before: t.rows, after: null, rejects: null });
  return rows;
}

function columnChanges(preview: Preview, version: VersionMetadata | null): ColumnChange[] {
  if (!version?.columns) return [];
  const widened = new Set(
    preview.quality.findings.filter((f) => f.check === "type_widened" && f.severity !== "ok").map((f) => `${f.table}.${f.column}`),
  );
  const changes: ColumnChange[] = [];
  for (const table of preview.tables) {
    const before = version.columns[table.name];
    if (!before) continue;
    const after = new Map(Object.entries(shownColumns(table)));
    for (const [column, type] of after) {
      if (!(column in before)) changes.push({ table: table.name, column, change: "added", before: null, after: type });
      else if (before[column] !== type)
        changes.push({
          table: table.name,
          column,
          change: widened.has(`${table.name}.${column}`) ? "widened" : "type changed",
          before: before[column],
          after: type,
        });
    }
    for (const [column, type] of Object.entries(before))
      if (!after.has(column)) changes.push({ table: table.name, column, change: "removed", before: type, after: null });
  }
  return changes;
}

/** Whether a run of this mode makes a version (the canary mode only tries the sample). */
const loads = (mode: MigrationMode) => modeBehaviour(mode).phases.includes("load");

function cutoverOf(input: ReviewInput, adopts: string | null): Review["cutover"] {
  const on = input.readers?.on ?? null;
  const stable = `the stable schema ${input.prefix}`;
  if (!loads(input.mode))
    return { kind: input.cutover, text: `${stable} stays on ${on ?? "nothing"}: mode ${input.mode} makes no version` };
  const target = adopts ? adopts : "the new version";
  if (adopts !== null && adopts === on)
    return { kind: input.cutover, text: `nothing to switch: readers are on ${on}, which holds this export` };
  if (input.cutover === "manual")
    return {
      kind: "manual",
      text: `${target} is made ready; ${stable} stays on ${on ?? "nothing"} until the cutover command is run`,
    };
  return {
    kind: "auto",
    text: `${stable} switches from ${on ?? "nothing (first version)"} to ${target} once it is ${adopts ? "adopted" : "loaded and validated"}`,
  };
}
