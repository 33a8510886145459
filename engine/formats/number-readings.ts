/**
 * What a number in a date or time column means. SQLite documents three ways
 * to store a date (https://sqlite.org/lang_datefunc.html): ISO-8601 text,
 * Julian day numbers (what its julianday() returns) and Unix time; its
 * `auto` modifier tells the two numbers apart by magnitude: 0 to
 * 5373484.499999 is a Julian day, -210866760000 to 253402300799 Unix
 * seconds. Applications also store Unix milliseconds, microseconds and
 * nanoseconds; each lies three orders of magnitude above the last, so the
 * magnitude extends the same way and gives every number one reading.
 *
 * A reading counts as a date only inside a plausible range of years (the
 * `dateRange` setting, 1900 to 2200 by default): a flag, a counter or a
 * value of another unit falls outside it in its reading, and is never
 * loaded as some instant near 1970. An operator can state a column's
 * reading (a type override such as `timestamptz:unix-ms`), which then holds
 * for every number of the column.
 */
import { DEFAULTS } from "../defaults";
import { civilFromDays, daysFromCivil } from "./civil";
import { exactFraction } from "./float8-digits";

export type NumberReading = "julian" | "unix-s" | "unix-ms" | "unix-us" | "unix-ns";

/** In the order SQLite's auto modifier and the magnitude try them. */
export const NUMBER_READINGS: readonly NumberReading[] = ["julian", "unix-s", "unix-ms", "unix-us", "unix-ns"];

/** What each reading is called in findings, reasons and "formats found". */
export const READING_LABELS: Readonly<Record<NumberReading, string>> = {
  julian: "Julian day",
  "unix-s": "epoch seconds",
  "unix-ms": "epoch milliseconds",
  "unix-us": "epoch microseconds",
  "unix-ns": "epoch nanoseconds",
};

/** Years [from, to): a number is a date when its reading falls on or after from-01-01 and before to-01-01. */
export interface DateRange {
  readonly from: number;
  readonly to: number;
}

/** SQLite's largest Julian day (9999-12-31 23:59:59.999) and its Unix-seconds range (date.c, the auto modifier). */
const MAX_JULIAN_DAY = 5373484.499999;
const MIN_UNIX_SECONDS = -210866760000;
const MAX_UNIX_SECONDS = 253402300799;
/** SQLite's Julian day of the Unix epoch, in milliseconds (its iJD). */
const EPOCH_JULIAN_MS = 210866760000000n;

/** Each Unix reading's unit as a fraction of a microsecond: micros = value * times / per. */
const UNIX_UNITS: Readonly<Record<Exclude<NumberReading, "julian">, { times: bigint; per: bigint }>> = {
  "unix-s": { times: 1_000_000n, per: 1n },
  "unix-ms": { times: 1_000n, per: 1n },
  "unix-us": { times: 1n, per: 1n },
  "unix-ns": { times: 1n, per: 1_000n },
};

/**
 * The magnitudes of each reading, tried in order: SQLite's auto modifier
 * (a Julian day, else Unix seconds), then each Unix unit 1000 times the last.
 */
export const READING_BOUNDS: readonly { readonly reading: NumberReading; readonly min: number; readonly max: number }[] = [
  { reading: "julian", min: 0, max: MAX_JULIAN_DAY },
  ...NUMBER_READINGS.slice(1).map((reading, i) => ({ reading, min: MIN_UNIX_SECONDS * 1000 ** i, max: MAX_UNIX_SECONDS * 1000 ** i })),
];

/** The reading a number's magnitude gives it (READING_BOUNDS), or null beyond them all. */
export function readingOf(value: number | bigint): NumberReading | null {
  const n = Number(value);
  return READING_BOUNDS.find((b) => n >= b.min && n <= b.max)?.reading ?? null;
}

/** a / b rounded half away from zero. */
function roundedQuotient(a: bigint, b: bigint): bigint {
  const magnitude = ((a < 0n ? -a : a) * 2n + b) / (2n * b);
  return a < 0n ? -magnitude : magnitude;
}

/**
 * A Unix reading in microseconds, rounded half away from zero: an integer
 * exactly, a real from its exact binary value, never through a product of
 * doubles, which can land a microsecond off (4339563148.692 * 1e6 is
 * ...000.5 as a double, ...000.47 exactly).
 */
function unixMicros(value: number | bigint, reading: Exclude<NumberReading, "julian">): bigint {
  const { times, per } = UNIX_UNITS[reading];
  if (typeof value === "bigint" || Number.isInteger(value)) return roundedQuotient(BigInt(value) * times, per);
  const { numerator, denominator } = exactFraction(value);
  return roundedQuotient(numerator * times, per * denominator);
}

/**
 * The instant of `value` in `reading`, in microseconds since 1970-01-01
 * UTC. A Julian day is read as SQLite reads it, to the millisecond (its
 * iJD: the day times 86400000, rounded), so a julianday() value gives back
 * the instant it was made from.
 */
export function instantMicros(value: number | bigint, reading: NumberReading): bigint {
  if (reading !== "julian") return unixMicros(value, reading);
  const julianMs = BigInt(Math.floor(Number(value) * 86400000 + 0.5));
  return (julianMs - EPOCH_JULIAN_MS) * 1000n;
}

const MICROS_PER_DAY = 86_400_000_000n;

/** Microseconds since the epoch of year-01-01 00:00 UTC (proleptic Gregorian). */
export function yearStartMicros(year: number): bigint {
  return BigInt(daysFromCivil(year, 1, 1)) * MICROS_PER_DAY;
}

export function inRange(micros: bigint, range: DateRange): boolean {
  return micros >= yearStartMicros(range.from) && micros < yearStartMicros(range.to);
}

/** The reading of `value` when it is a date in `range`, else null. */
export function plausibleReading(value: number | bigint, range: DateRange): NumberReading | null {
  const reading = readingOf(value);
  return reading !== null && inRange(instantMicros(value, reading), range) ? reading : null;
}

/** "2013-04-03 00:00:01.5 UTC": an instant for a reason or a finding, however far from now. */
export function instantText(micros: bigint): string {
  const days = micros >= 0n ? micros / MICROS_PER_DAY : -((-micros + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
  const rest = micros - days * MICROS_PER_DAY;
  const [year, month, day] = civilFromDays(Number(days));
  const date = `${year < 0 ? "-" : ""}${String(Math.abs(year)).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  const seconds = rest / 1_000_000n;
  const fraction = (rest % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  const hms = [seconds / 3600n, (seconds / 60n) % 60n, seconds % 60n].map((p) => p.toString().padStart(2, "0")).join(":");
  return `${date} ${hms}${fraction ? `.${fraction}` : ""} UTC`;
}

/**
 * The first two readings of `value` that give a date in `range` (a Julian
 * day only where SQLite's auto reads one), for a finding that shows how a
 * number could be read two ways.
 */
export function readingsInRange(value: number | bigint, range: DateRange): string[] {
  return NUMBER_READINGS.filter((r) => r !== "julian" || readingOf(value) === "julian")
    .map((r) => ({ r, micros: instantMicros(value, r) }))
    .filter(({ micros }) => inRange(micros, range))
    .slice(0, 2)
    .map(({ r, micros }) => `${instantText(micros)} as ${READING_LABELS[r]}`);
}

/** "1900-2200": a range as settings spell it. */
export function parseDateRange(text: string): DateRange | null {
  const match = /^\s*(\d{1,4})\s*-\s*(\d{1,4})\s*$/.exec(text);
  if (!match) return null;
  const [from, to] = [Number(match[1]), Number(match[2])];
  return from >= 1 && to <= 10000 && from < to ? { from, to } : null;
}

export const dateRangeText = (range: DateRange) => `${range.from}-${range.to}`;

export const DEFAULT_DATE_RANGE: DateRange = parseDateRange(DEFAULTS.dateRange)!;
