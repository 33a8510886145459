/**
 * The quality gate. Findings come from the structure checks (orphans, NULL
 * and duplicate keys) and from converting every value (conformity, time
 * stamps, UTF-8, NUL bytes). Each rate check has warn and fail levels; the
 * score summarises the share of rows that cannot be loaded as they are; a
 * critical finding trips the circuit breaker whatever the score.
 */
import { DEFAULTS } from "../defaults";
import { ColumnReadStats, TableReadStats } from "../load/protocol";
import { ColumnPlan, TablePlan } from "../plan/model";
import { NUMBER_READINGS, READING_LABELS } from "../formats/number-readings";
import { TableEvidence } from "../profile";
import { CheckKind, CheckThreshold, Finding, QualityReport, Severity } from "./model";
import { Acceptance, acceptanceOf, DEFAULT_THRESHOLDS } from "./settings";
import { waysForward } from "./ways-forward";

/** The score falls steeply: 1% of rows affected gives 82, 2% gives 67, 5% gives 36. */
export const SCORE_EXPONENT = 20;
export const SCORE_FORMULA = `score = round(100 * (1 - affected_rows / total_rows) ^ ${SCORE_EXPONENT}), where affected rows are those rejected or with a value set to NULL`;
export const DEFAULT_MIN_QUALITY = DEFAULTS.minQuality;

/** A column whose values mostly fail to convert means the inferred type is wrong: stop. */
export const CRITICAL_COLUMN_FAILURE_PERCENT = 50;
/** A table losing most of its rows is not a quality problem but a broken export: stop. */
export const CRITICAL_TABLE_LOSS_PERCENT = 50;

export interface GateInput {
  readonly tables: readonly {
    readonly plan: TablePlan;
    readonly evidence: TableEvidence;
    readonly stats: TableReadStats;
    readonly duplicates: number;
  }[];
  readonly minQuality?: number;
  readonly thresholds?: Partial<Record<CheckKind, Partial<CheckThreshold>>>;
  /** Rows per table of the active version, to catch an export that shrank. */
  readonly previousRows?: Readonly<Record<string, number>>;
  /** Findings reviewed and accepted (quality/settings.ts): they do not block while they stay as accepted. */
  readonly acceptances?: readonly Acceptance[];
  /** The export's views refused for what they read or call: each is a view_refused finding. */
  readonly viewRefusals?: readonly { readonly view: string; readonly message: string }[];
  /** Health findings (disk, memory) to include. */
  readonly health?: readonly Finding[];
  readonly basis: "full" | "sample";
}

const rate = (count: number, total: number) => (total === 0 ? 0 : (count / total) * 100);

function severityOf(ratePercent: number, count: number, threshold: CheckThreshold): Severity {
  if (count === 0) return "ok";
  if (ratePercent > threshold.fail) return "fail";
  return ratePercent > threshold.warn ? "warn" : "ok";
}

const REASON_CHECK: readonly [RegExp, CheckKind][] = [
  [/^invalid UTF-8/, "invalid_utf8"],
  [/^NUL byte/, "nul_bytes"],
  [/timestamp|date/, "timestamp_parse_rate"],
];

function checkOfReason(reason: string): CheckKind {
  return REASON_CHECK.find(([pattern]) => pattern.test(reason))?.[1] ?? "type_conformity";
}

/** Numbers of a temporal column read in another reading than its usual one (stated readings hold for all). */
function readingFinding(
  table: string,
  column: ColumnPlan,
  stats: ColumnReadStats,
  nonNull: number,
  threshold: CheckThreshold,
): Finding | null {
  const spec = column.converter;
  if (spec.kind !== "temporal" || spec.numbers.stated) return null;
  const usual = spec.numbers.reading;
  const others = NUMBER_READINGS.filter((r) => r !== usual)
    .map((r) => ({ label: READING_LABELS[r], count: stats.formats[READING_LABELS[r]] ?? 0 }))
    .filter((o) => o.count > 0);
  if (others.length === 0) return null;
  const count = others.reduce((n, o) => n + o.count, 0);
  return {
    check: "date_reading",
    table,
    column: column.name,
    count,
    total: nonNull,
    ratePercent: rate(count, nonNull),
    severity: severityOf(rate(count, nonNull), count, threshold),
    message:
      `${count} of ${nonNull} values of "${table}"."${column.name}" are numbers read by their magnitude as ${others.map((o) => `${o.label} (${o.count})`).join(", ")}, ` +
      `${usual ? `not as the column's ${READING_LABELS[usual]}` : "in a column whose sample held no date number"}; a type override such as ${column.type === "date" ? "date" : "timestamptz"}:unix-s states one reading for all`,
  };
}

function columnFindings(input: GateInput["tables"][number], thresholds: Record<CheckKind, CheckThreshold>): Finding[] {
  const findings: Finding[] = [];
  input.plan.columns.forEach((column, i) => {
    const stats = input.stats.columns[i];
    const nonNull = stats.converted + Object.values(stats.rejections).reduce((n, r) => n + r.count, 0);
    if (column.notADate) {
      findings.push({
        check: "not_a_date",
        table: input.plan.name,
        column: column.name,
        count: nonNull,
        total: nonNull,
        ratePercent: 100,
        severity: severityOf(100, 1, thresholds.not_a_date),
        message: `"${input.plan.name}"."${column.name}" is declared ${column.declaredType}, but ${column.notADate}`,
      });
    }
    const reading = readingFinding(input.plan.name, column, stats, nonNull, thresholds.date_reading);
    if (reading) findings.push(reading);
    if (column.widened) {
      const { from, reason, values, example } = column.widened;
      findings.push({
        check: "type_widened",
        table: input.plan.name,
        column: column.name,
        count: values,
        total: nonNull,
        ratePercent: rate(values, nonNull),
        severity: severityOf(rate(values, nonNull), values, thresholds.type_widened),
        message: `"${input.plan.name}"."${column.name}" widened from ${from} to ${column.type} for ${values} of ${nonNull} values (first, row ${example.rowKey}: ${example.value} ${reason})`,
        examples: [example],
      });
    }
    for (const [reason, entry] of Object.entries(stats.rejections)) {
      const check = checkOfReason(reason);
      const ratePercent = rate(entry.count, nonNull);
      const critical = ratePercent > CRITICAL_COLUMN_FAILURE_PERCENT;
      findings.push({
        check,
        table: input.plan.name,
        column: column.name,
        count: entry.count,
        total: nonNull,
        ratePercent,
        severity: critical ? "critical" : severityOf(ratePercent, entry.count, thresholds[check]),
        message:
          `${entry.count} of ${nonNull} values of "${input.plan.name}"."${column.name}" (${column.type}): ${reason}` +
          (critical ? `; over ${CRITICAL_COLUMN_FAILURE_PERCENT}% fail, so the column's type is probably wrong (override it)` : ""),
        examples: entry.examples,
      });
    }
  });
  return findings;
}

function structureFindings(input: GateInput["tables"][number], thresholds: Record<CheckKind, CheckThreshold>): Finding[] {
  const { plan, evidence } = input;
  const findings: Finding[] = [];
  for (const orphans of evidence.orphans) {
    const count = orphans.rowKeys.length;
    if (count === 0) continue;
    const ratePercent = rate(count, evidence.rows);
    findings.push({
      check: "orphans",
      table: plan.name,
      column: orphans.columns.join(", "),
      count,
      total: evidence.rows,
      ratePercent,
      severity: severityOf(ratePercent, count, thresholds.orphans),
      message: `${count} rows of "${plan.name}" reference a missing row of "${orphans.parentTable}" (${orphans.columns.join(", ")})`,
      examples: orphans.rowKeys.slice(0, 5).map((k) => ({ rowKey: String(k), value: "" })),
    });
  }
  for (const [check, count] of [
    ["null_keys", evidence.nullKeys.length],
    ["duplicate_keys", input.duplicates],
  ] as const) {
    if (count === 0) continue;
    const ratePercent = rate(count, evidence.rows);
    findings.push({
      check,
      table: plan.name,
      column: plan.primaryKey.join(", "),
      count,
      total: evidence.rows,
      ratePercent,
      severity: severityOf(ratePercent, count, thresholds[check]),
      message: `${count} rows of "${plan.name}" have ${check === "null_keys" ? "a NULL in" : "a duplicate"} primary key (${plan.primaryKey.join(", ")})`,
    });
  }
  return findings;
}

function shrinkageFinding(
  input: GateInput["tables"][number],
  previous: number | undefined,
  thresholds: Record<CheckKind, CheckThreshold>,
): Finding | null {
  if (previous === undefined || previous === 0) return null;
  const now = input.evidence.rows;
  if (now >= previous) return null;
  const ratePercent = rate(previous - now, previous);
  return {
    check: "row_shrinkage",
    table: input.plan.name,
    count: previous - now,
    total: previous,
    ratePercent,
    severity: ratePercent > CRITICAL_TABLE_LOSS_PERCENT ? "critical" : severityOf(ratePercent, previous - now, thresholds.row_shrinkage),
    message: `"${input.plan.name}" has ${now} rows, ${previous - now} fewer than the active version's ${previous}`,
  };
}

export function evaluateGate(input: GateInput): QualityReport {
  const thresholds = { ...DEFAULT_THRESHOLDS } as Record<CheckKind, CheckThreshold>;
  for (const [kind, levels] of Object.entries(input.thresholds ?? {}))
    thresholds[kind as CheckKind] = { ...thresholds[kind as CheckKind], ...levels };
  const minQuality = input.minQuality ?? DEFAULT_MIN_QUALITY;
  const findings: Finding[] = [...(input.health ?? [])];
  let affectedRows = 0;
  let totalRows = 0;
  for (const table of input.tables) {
    findings.push(...columnFindings(table, thresholds), ...structureFindings(table, thresholds));
    const shrink = shrinkageFinding(table, input.previousRows?.[table.plan.name], thresholds);
    if (shrink) findings.push(shrink);
    affectedRows += table.stats.rowsRejected + table.stats.valuesNulled;
    totalRows += table.stats.rowsRead;
  }
  for (const refusal of input.viewRefusals ?? []) {
    findings.push({
      check: "view_refused",
      table: refusal.view,
      count: 1,
      total: 1,
      ratePercent: 100,
      severity: severityOf(100, 1, thresholds.view_refused),
      message: `view "${refusal.view}" is not recreated: it ${refusal.message}`,
    });
  }
  // Emptiness is a fact of the export (the evidence counts every row), not of
  // the rows measured: a canary sample of a small export can hold no row at all.
  // With no table at all (the health check before the canary) nothing is called empty.
  const exportRows = input.tables.reduce((n, table) => n + table.evidence.rows, 0);
  const empty = input.tables.length > 0 && exportRows === 0;
  if (empty) {
    findings.push({
      check: "empty_source",
      severity: "critical",
      count: 0,
      total: 0,
      ratePercent: 0,
      message: "the export holds no rows in any migrated table",
    });
  }
  const score = empty ? 0 : totalRows === 0 ? 100 : Math.round(100 * (1 - affectedRows / totalRows) ** SCORE_EXPONENT);
  const judged = findings.map((f) => {
    const acceptance = f.severity === "fail" || f.severity === "critical" ? acceptanceOf(f, input.acceptances ?? []) : undefined;
    return acceptance ? { ...f, accepted: `${acceptance.key}<=${acceptance.max}` } : f;
  });
  const blocking = judged.filter((f) => (f.severity === "critical" || f.severity === "fail") && f.accepted === undefined);
  const blockedBy = [
    ...(score < minQuality ? [`quality score ${score} is below minQuality ${minQuality}`] : []),
    ...blocking.filter((f) => f.severity === "critical").map((f) => `critical: ${f.message}`),
    ...blocking.filter((f) => f.severity === "fail").map((f) => `${f.check} failed: ${f.message}`),
  ];
  return {
    score,
    minQuality,
    formula: SCORE_FORMULA,
    affectedRows,
    totalRows,
    findings: judged,
    blocked: blockedBy.length > 0,
    blockedBy,
    waysForward: blockedBy.length > 0 ? waysForward(blocking, score, minQuality) : [],
    basis: input.basis,
  };
}
