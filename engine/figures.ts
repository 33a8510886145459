/**
 * How figures appear in what a run hands out (the report, stack outputs,
 * the CLI's JSON): rounded once, where the report is built (and the CLI's profile), so every
 * reader sees the same figure. Durations are seconds with millisecond
 * resolution (the fields are named `seconds`, and timings are seconds),
 * except the canary queries' `milliseconds`, whole milliseconds. The gate
 * decides on the unrounded values before the report exists: a rate just
 * above a threshold fails even when its rounded figure equals it.
 */
import type { QualityReport } from "./quality/model";

/** Seconds to 3 decimals (whole milliseconds). */
export const seconds = (value: number): number => Math.round(value * 1000) / 1000;

export const milliseconds = (value: number): number => Math.round(value);

/**
 * Percentages and scores: 3 significant digits, and at most 3 decimals, so
 * a rate below 0.0005% shows as 0 (its finding's count still says how
 * many).
 */
export function percent(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Math.round(Number(value.toPrecision(3)) * 1000) / 1000;
}

/** Rates such as rows per second: whole numbers. */
export const perSecond = (value: number): number => Math.round(value);

/** The gate's verdict as handed out: its decisions stand as made on the unrounded figures. */
export function roundedQuality(quality: QualityReport): QualityReport {
  return {
    ...quality,
    score: percent(quality.score),
    findings: quality.findings.map((f) => ({ ...f, ratePercent: percent(f.ratePercent) })),
  };
}
