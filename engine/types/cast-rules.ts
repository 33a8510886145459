/**
 * The cast rules: declared type family + what the sample shows -> the
 * PostgreSQL type and its converter, each saying why in the plan
 * ("reason"). The table of target types (target-types.ts) gives each rule
 * to the type that owns its family; the families no type owns (no declared
 * type, or one SQLite does not know) are inferred from the sample alone.
 *
 * REAL is double precision, never the 4-byte real (which would silently
 * round most values); every integer family is bigint, because SQLite
 * integers are 64-bit whatever the declared name.
 */
import type { ColumnEvidence } from "../profile/model";
import type { DeclaredType } from "./declared";
import { DateRange, dateRangeText, NUMBER_READINGS, NumberReading, READING_LABELS, readingsInRange } from "../formats/number-readings";
import type { CastContext, CastDecision as Decision } from "./target-type";
import type { ConverterSpec } from "./target-types";
import { TimestampVariant } from "../formats/timestamp-formats";

export type { CastContext };
export type CastDecision = Decision<ConverterSpec>;
export type CastRule = (ctx: CastContext) => CastDecision;

/**
 * What PostgreSQL's types can declare (numeric's NUMERIC_MAX_PRECISION,
 * varchar's maximum length). SQLite enforces no declared size, so an
 * export may declare any: a size beyond these is not kept, with a warning,
 * and every value loads exactly into the unconstrained type.
 */
export const MAX_NUMERIC_PRECISION = 1000;
export const MAX_VARCHAR_LENGTH = 10485760;

/** Share of sampled texts that must parse as timestamps for a TEXT column to become one. */
export const TEXT_TEMPORAL_SHARE = 0.9;
/** Share of sampled texts that must spell booleans for a TEXT column to become boolean. */
export const TEXT_BOOLEAN_SHARE = 0.95;

export const pct = (part: number, whole: number) => (whole === 0 ? "0%" : `${Math.round((part / whole) * 1000) / 10}%`);

export function decision(converter: ConverterSpec, reason: string, warnings: string[] = [], maxLength: number | null = null): CastDecision {
  return { converter, reason, warnings, maxLength };
}

export function numericDecision(declared: DeclaredType): CastDecision {
  const { precision, scale } = declared;
  if (precision === null) return decision({ kind: "numeric", precision: null, scale: 0 }, "unconstrained numeric");
  if (precision < 1 || precision > MAX_NUMERIC_PRECISION || (scale ?? 0) > MAX_NUMERIC_PRECISION)
    return decision({ kind: "numeric", precision: null, scale: 0 }, "unconstrained numeric", [
      `declared ${declared.raw}: PostgreSQL's numeric takes a precision of 1 to ${MAX_NUMERIC_PRECISION} and a scale up to ${MAX_NUMERIC_PRECISION}, so it is unconstrained numeric`,
    ]);
  return decision({ kind: "numeric", precision, scale: scale ?? 0 }, "precision and scale kept");
}

export function varcharDecision({ declared }: CastContext): CastDecision {
  if (declared.length === null) return decision({ kind: "text" }, "character type without a length: text");
  if (declared.length < 1 || declared.length > MAX_VARCHAR_LENGTH)
    return decision({ kind: "text" }, "text", [
      `declared ${declared.raw}: PostgreSQL's varchar takes a length of 1 to ${MAX_VARCHAR_LENGTH}, so it is text`,
    ]);
  return decision({ kind: "text" }, `length ${declared.length} kept`, [], declared.length);
}

/** TEXT holding timestamps or booleans becomes timestamp or boolean. */
export function detectInText(ctx: CastContext): CastDecision | null {
  const { evidence } = ctx;
  if (evidence.texts === 0) return null;
  if (evidence.temporalTexts >= evidence.texts * TEXT_TEMPORAL_SHARE && evidence.variants.length > 0) {
    const onlyDates = evidence.variants.every((v) => !v.hasTime);
    return temporalDecision(ctx, onlyDates ? "date" : "timestamp");
  }
  if (evidence.booleanWords >= evidence.texts * TEXT_BOOLEAN_SHARE && evidence.reals + evidence.blobs === 0) {
    return decision({ kind: "boolean" }, `${pct(evidence.booleanWords, evidence.texts)} of sampled texts are true/false words: boolean`);
  }
  return null;
}

export function noDeclaredType(ctx: CastContext): CastDecision {
  const e = ctx.evidence;
  const values = e.sampled - e.nulls;
  if (values > 0 && e.integers === values)
    return decision({ kind: "integer", type: "bigint" }, "every sampled value is an integer: bigint");
  if (values > 0 && e.integers + e.reals === values)
    return decision({ kind: "float" }, "every sampled value is a number: double precision");
  if (values > 0 && e.blobs === values) return decision({ kind: "bytea" }, "every sampled value is a blob: bytea");
  return detectInText(ctx) ?? decision({ kind: "text" }, "mixed or text values: text");
}

/** A type name SQLite gives NUMERIC affinity: integers stay bigint, other numbers are exact numeric, texts are texts. */
export function unknownType(ctx: CastContext): CastDecision {
  const e = ctx.evidence;
  const values = e.sampled - e.nulls;
  if (values > 0 && e.integers === values)
    return decision({ kind: "integer", type: "bigint" }, "unknown type name; every sampled value is an integer: bigint");
  if (values > 0 && e.integers + e.reals === values)
    return decision(
      { kind: "numeric", precision: null, scale: 0 },
      "unknown type name (NUMERIC affinity); every sampled value is a number: numeric",
    );
  if (values > 0 && e.blobs === values) return decision({ kind: "bytea" }, "unknown type name; every sampled value is a blob: bytea");
  return detectInText(ctx) ?? decision({ kind: "text" }, "unknown type name; text values: text");
}

/**
 * Keeps one day/month order for slash dates: the one more sampled values
 * fit (values with a day over 12 fit only day-first). On a tie every value
 * was ambiguous: day first is assumed, with a warning.
 */
export function settleSlashOrder(
  variants: readonly TimestampVariant[],
  counts: Readonly<Record<string, number>>,
): { variants: TimestampVariant[]; warning: string | null } {
  const total = (order: "dmy" | "mdy") => variants.filter((v) => v.order === order).reduce((n, v) => n + (counts[v.label] ?? 0), 0);
  if (!variants.some((v) => v.order !== "ymd")) return { variants: [...variants], warning: null };
  const dmy = total("dmy");
  const mdy = total("mdy");
  const keep = mdy > dmy ? "mdy" : "dmy";
  const warning = dmy === mdy ? "every sampled slash date has day and month <= 12; day first (DD/MM/YYYY) assumed" : null;
  return { variants: variants.filter((v) => v.order === "ymd" || v.order === keep), warning };
}

/** Sampled numbers that are dates in `range` by their readings, per reading. */
function datesByReading(evidence: ColumnEvidence, range: DateRange): Map<NumberReading, number> {
  const counts = new Map<NumberReading, number>();
  for (const reading of NUMBER_READINGS) {
    const years = Object.entries(evidence.numberYears[reading] ?? {});
    const dates = years.filter(([year]) => Number(year) >= range.from && Number(year) < range.to).reduce((n, [, c]) => n + c, 0);
    if (dates > 0) counts.set(reading, dates);
  }
  return counts;
}

/** The reading most sampled date numbers have: the column's usual one, or null when no sampled number is a date. */
export function usualReading(evidence: ColumnEvidence, range: DateRange): NumberReading | null {
  let usual: NumberReading | null = null;
  let most = 0;
  for (const [reading, dates] of datesByReading(evidence, range)) {
    if (dates > most) [usual, most] = [reading, dates];
  }
  return usual;
}

/**
 * A declared date or time column whose sampled values are numbers none of
 * which is a date in the range (flags, counters, a unit nothing reads as a
 * date there) stays a number column: loading them as instants near 1970
 * would change them in silence.
 */
export function dateColumnDecision(ctx: CastContext, wanted: "date" | "timestamp"): CastDecision {
  const e = ctx.evidence;
  const numbers = e.integers + e.reals;
  if (numbers === 0 || e.temporalTexts > 0 || usualReading(e, ctx.dateRange) !== null) return temporalDecision(ctx, wanted);
  const numeric = e.texts + e.blobs === 0;
  const kept = numeric ? (e.reals === 0 ? decision({ kind: "integer", type: "bigint" }, "") : decision({ kind: "float" }, "")) : null;
  const first = e.firstNumber === null ? "" : describeFirst(e.firstNumber, ctx.dateRange);
  const notADate =
    `none of its ${numbers} sampled numbers is a date from ${dateRangeText(ctx.dateRange)} in its reading${first}; ` +
    `it stays ${kept ? targetOf(kept) : "text"}: a type override (e.g. timestamptz:unix-s) states a reading, dateRange widens the range`;
  const chosen = kept ?? decision({ kind: "text" }, "");
  return { ...chosen, reason: `numbers that are no dates: ${targetOf(chosen)}`, notADate };
}

const targetOf = (d: CastDecision) =>
  d.converter.kind === "integer" ? "bigint" : d.converter.kind === "float" ? "double precision" : "text";

/** The first sampled number and the dates it could honestly be, each in another reading than its magnitude's. */
function describeFirst(text: string, range: DateRange): string {
  const readings = readingsInRange(/^-?\d+$/.test(text) ? BigInt(text) : Number(text), range);
  return readings.length > 0 ? ` (the first, ${text}, would be ${readings.join(" or ")})` : ` (the first is ${text})`;
}

function temporalDecision(ctx: CastContext, wanted: "date" | "timestamp"): CastDecision {
  const { evidence, timezone, dateRange } = ctx;
  const { variants, warning } = settleSlashOrder(evidence.variants, evidence.variantCounts);
  const reading = usualReading(evidence, dateRange);
  const dateNumbers = [...datesByReading(evidence, dateRange).values()].reduce((n, c) => n + c, 0);
  const zoned = variants.some((v) => v.hasZone) || reading !== null || timezone !== null;
  const hasTime = variants.some((v) => v.hasTime) || reading !== null;
  const target = wanted === "date" && !hasTime ? "date" : zoned ? "timestamptz" : "timestamp";
  const formats = [...variants.map((v) => v.label), ...(reading ? [READING_LABELS[reading]] : [])];
  const reason =
    formats.length > 0
      ? `formats found: ${formats.join(", ")} (${pct(evidence.temporalTexts + dateNumbers, evidence.sampled - evidence.nulls)} of sampled values)`
      : "no values to detect formats from";
  return decision(
    {
      kind: "temporal",
      target,
      variants: variants.map((v) => v.label),
      numbers: { reading, stated: false, range: dateRange },
      naiveZone: timezone,
    },
    reason,
    warning ? [warning] : [],
  );
}
