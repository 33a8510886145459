/**
 * What a date, timestamp or timestamptz value means, as SQL for the
 * meaning check (validate/meaning.ts): the stored value as seconds since
 * the epoch, and a source value read by PostgreSQL's own functions (texts
 * by its input function, slash dates by to_timestamp in the column's
 * day/month order, numbers in their reading).
 */
import { quoteLiteral } from "../sql/identifiers";
import { NumberReading, READING_BOUNDS } from "../formats/number-readings";
import type { NumberSpec, TemporalTarget } from "./temporal";

interface TemporalMeaningSpec {
  readonly target: TemporalTarget;
  readonly variants: readonly string[];
  readonly numbers: NumberSpec;
  readonly naiveZone: string | null;
}

/** A stored value as seconds since the epoch; naive values and dates are read in the column's zone. */
export function storedTemporalMeaning(spec: TemporalMeaningSpec, c: string): string {
  const zone = quoteLiteral(spec.naiveZone ?? "UTC");
  const instant =
    spec.target === "timestamptz"
      ? c
      : spec.target === "timestamp"
        ? `(${c} AT TIME ZONE ${zone})`
        : `(${c}::timestamp AT TIME ZONE ${zone})`;
  return `trim_scale(extract(epoch FROM ${instant}))::text`;
}

/** A source value (storage class t, text v) as seconds since the epoch. */
export function sourceTemporalMeaning(spec: TemporalMeaningSpec, t: string, v: string): string {
  const epoch = `trim_scale(${numberInstantSeconds(spec.numbers, v)})::text`;
  const instant = `CASE WHEN ${v} ~ '^\\d\\d/\\d\\d/\\d{4}' THEN ${slashInstant(v, slashOrderOf(spec.variants))} ELSE ${v}::timestamptz END`;
  return `CASE WHEN ${t} IN ('integer', 'real') THEN ${epoch} ELSE trim_scale(extract(epoch FROM ${instant}))::text END`;
}

/**
 * A slash date read by PostgreSQL's to_timestamp in the column's day/month
 * order; where the sample settled none, in the only order the value fits
 * (day first when both do: the loader refuses those that differ).
 */
function slashInstant(v: string, order: "dmy" | "mdy" | null): string {
  const format = (first: "DD" | "MM", second: "DD" | "MM") =>
    `to_timestamp(${v}, CASE length(${v}) WHEN 10 THEN '${first}/${second}/YYYY' WHEN 16 THEN '${first}/${second}/YYYY HH24:MI' ELSE '${first}/${second}/YYYY HH24:MI:SS' END)`;
  const dayFirst = format("DD", "MM");
  const monthFirst = format("MM", "DD");
  if (order === "dmy") return dayFirst;
  if (order === "mdy") return monthFirst;
  return `CASE WHEN substr(${v}, 4, 2)::int > 12 THEN ${monthFirst} ELSE ${dayFirst} END`;
}

function slashOrderOf(variants: readonly string[]): "dmy" | "mdy" | null {
  if (variants.some((v) => v.startsWith("MM/"))) return "mdy";
  return variants.some((v) => v.startsWith("DD/")) ? "dmy" : null;
}

/** Seconds since the epoch of the number `v` in `reading`, in numeric: PostgreSQL's arithmetic. */
function readingSeconds(reading: NumberReading, v: string): string {
  switch (reading) {
    case "julian":
      // SQLite's iJD: the day times 86400000 as a double, rounded to the millisecond.
      return `((floor(${v}::float8 * 86400000 + 0.5)::numeric - 210866760000000) / 1000)`;
    case "unix-s":
      return `(round(${v}::numeric * 1000000) / 1000000)`;
    case "unix-ms":
      return `(round(${v}::numeric * 1000) / 1000000)`;
    case "unix-us":
      return `(round(${v}::numeric) / 1000000)`;
    case "unix-ns":
      return `(round(${v}::numeric / 1000) / 1000000)`;
  }
}

/** A number's instant: the stated reading, else the one its magnitude gives. */
function numberInstantSeconds(numbers: NumberSpec, v: string): string {
  if (numbers.stated && numbers.reading) return readingSeconds(numbers.reading, v);
  const cases = READING_BOUNDS.map((b) => `WHEN ${v}::numeric BETWEEN ${b.min} AND ${b.max} THEN ${readingSeconds(b.reading, v)}`);
  return `CASE ${cases.join(" ")} END`;
}
