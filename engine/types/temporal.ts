/**
 * Timestamp, timestamptz and date values: parsed in the formats the profile
 * detected for the column (and only those, so the gate's counts and the
 * loader's rejects agree), validated, and rendered as PostgreSQL prints them
 * (DateStyle ISO, TimeZone UTC).
 */
import { civilFromDays, daysFromCivil } from "../formats/civil";
import { Converter, Rejection } from "./conversion";
import {
  DateRange,
  dateRangeText,
  inRange,
  instantMicros,
  instantText,
  NumberReading,
  READING_LABELS,
  readingOf,
} from "../formats/number-readings";
import { parseVariant, TIMESTAMP_VARIANTS, TimestampFields, TimestampVariant } from "../formats/timestamp-formats";

export type TemporalTarget = "date" | "timestamp" | "timestamptz";

/** How a temporal column reads its numbers (engine/formats/number-readings.ts). */
export interface NumberSpec {
  /** The column's usual reading (the sample's), or the stated one; null when the sample held no date number. */
  readonly reading: NumberReading | null;
  /** Stated by the operator: every number is read so. Otherwise each by its own magnitude, and only inside `range`. */
  readonly stated: boolean;
  readonly range: DateRange;
}

export interface TemporalSpec {
  readonly target: TemporalTarget;
  /** Text variants accepted, most frequent first. */
  readonly variants: readonly TimestampVariant[];
  readonly numbers: NumberSpec;
  /** Zone of naive values when the target is timestamptz (IANA name); UTC when null. */
  readonly naiveZone: string | null;
}

/** "00".."99": formatting runs once per value loaded. */
const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : String(i)));

function fractionText(microsecond: number): string {
  if (microsecond === 0) return "";
  return `.${String(microsecond).padStart(6, "0").replace(/0+$/, "")}`;
}

function datePart(year: number, month: number, day: number): string {
  return `${year >= 1000 ? year : String(year).padStart(4, "0")}-${PAD2[month]}-${PAD2[day]}`;
}

/** Seconds since the epoch of wall-clock fields read as UTC. */
function wallClockSeconds(f: TimestampFields): number {
  return daysFromCivil(f.year, f.month, f.day) * 86400 + f.hour * 3600 + f.minute * 60 + f.second;
}

/** An instant (whole seconds since the epoch, plus microseconds) as PostgreSQL prints it in UTC. */
function renderUtc(seconds: number, microsecond: number, target: TemporalTarget): string | Rejection {
  const days = Math.floor(seconds / 86400);
  const [year, month, day] = civilFromDays(days);
  if (year < 1 || year > 9999) return new Rejection(`year ${year} is outside 1-9999`);
  const date = datePart(year, month, day);
  if (target === "date") return date;
  const rest = seconds - days * 86400;
  const time = `${PAD2[Math.floor(rest / 3600)]}:${PAD2[Math.floor(rest / 60) % 60]}:${PAD2[rest % 60]}${fractionText(microsecond)}`;
  return target === "timestamptz" ? `${date} ${time}+00` : `${date} ${time}`;
}

/**
 * Cache granularity of zone offsets. Every transition since 1970 falls on a
 * quarter hour of UTC (Adelaide's at hh:30, Nepal's offset is +05:45), so
 * an offset read at the start of a quarter holds for all of it; per hour,
 * half an hour around Adelaide's transitions came out wrong.
 */
const OFFSET_BUCKET_MS = 15 * 60_000;
/** The offsets a day either side of a wall time are those around any transition near it (no zone changes twice in two days). */
const DAY_MS = 86_400_000;

/** Offset of an IANA zone at an instant, in minutes east of UTC, cached per quarter hour. */
function zoneOffsetFinder(zone: string): (epochMs: number) => number {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const cache = new Map<number, number>();
  return (epochMs) => {
    const bucket = Math.floor(epochMs / OFFSET_BUCKET_MS);
    let offset = cache.get(bucket);
    if (offset === undefined) {
      const at = bucket * OFFSET_BUCKET_MS;
      const parts = Object.fromEntries(format.formatToParts(new Date(at)).map((p) => [p.type, +p.value]));
      // daysFromCivil, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
      const local =
        (daysFromCivil(parts.year, parts.month, parts.day) * 86400 + parts.hour * 3600 + parts.minute * 60 + parts.second) * 1000;
      offset = Math.round((local - at) / 60_000);
      cache.set(bucket, offset);
    }
    return offset;
  };
}

/**
 * The offset of a naive wall-clock time in a named zone, settled as
 * PostgreSQL settles it (timestamp AT TIME ZONE, or timestamptz input under
 * that TimeZone): a time that a spring-forward gap skips takes the offset in
 * force before the transition, a time that a fall-back repeats takes the
 * offset after it. Looking the offset up at the wall time read as UTC, then
 * once more, gave the opposite answer west of Greenwich.
 */
function naiveOffsetFinder(zone: string): (wallSeconds: number) => number {
  const zoneOffset = zoneOffsetFinder(zone);
  return (wallSeconds) => {
    const wallMs = wallSeconds * 1000;
    const before = zoneOffset(wallMs - DAY_MS);
    const after = zoneOffset(wallMs + DAY_MS);
    if (before === after) return before;
    const holds = (offset: number) => zoneOffset(wallMs - offset * 60_000) === offset;
    const beforeHolds = holds(before);
    const afterHolds = holds(after);
    if (beforeHolds && afterHolds) return after; // repeated by a fall-back
    if (beforeHolds || afterHolds) return beforeHolds ? before : after;
    return before; // skipped by a spring-forward
  };
}

/**
 * Where a value needs a wider target than the column's: an offset needs
 * timestamptz (a naive type would drop it), a time of day needs a
 * timestamp (a date would drop it). Null when the target holds it.
 */
function widerTargetFor(f: TimestampFields, spec: TemporalSpec): { target: TemporalTarget; reason: string } | null {
  if (f.offsetMinutes !== null && spec.target !== "timestamptz") {
    return {
      target: "timestamptz",
      reason: `carries a UTC offset, which ${spec.target === "date" ? "a date" : "timestamp without time zone"} would drop`,
    };
  }
  const midnight = f.hour === 0 && f.minute === 0 && f.second === 0 && f.microsecond === 0;
  if (spec.target === "date" && !midnight)
    return { target: spec.naiveZone ? "timestamptz" : "timestamp", reason: "has a time of day, which a date would drop" };
  return null;
}

function fieldsConverter(spec: TemporalSpec, widen: WidenTo): (f: TimestampFields) => string | Rejection {
  const naiveOffset = spec.naiveZone ? naiveOffsetFinder(spec.naiveZone) : () => 0;
  return (f) => {
    const wider = widerTargetFor(f, spec);
    if (wider) return widen(wider.target, wider.reason);
    if (spec.target !== "timestamptz") {
      const date = datePart(f.year, f.month, f.day);
      if (spec.target === "date") return date;
      return `${date} ${PAD2[f.hour]}:${PAD2[f.minute]}:${PAD2[f.second]}${fractionText(f.microsecond)}`;
    }
    const wall = wallClockSeconds(f);
    const offset = f.offsetMinutes ?? naiveOffset(wall);
    return renderUtc(wall - offset * 60, f.microsecond, "timestamptz");
  };
}

/**
 * A number is an instant in its reading: as the operator stated, or the
 * one its magnitude gives, a date only inside the column's range. A number
 * whose magnitude reads otherwise than the column's usual reading loads in
 * its own reading only when the usual one gives no date; when both give a
 * date, nothing says which the writer meant, and it is rejected with both.
 * In a date column an instant that is not a UTC midnight needs timestamptz.
 * `onReading` hears each reading, for the report's "formats found" and the
 * gate.
 */
function numberConverter(spec: TemporalSpec, widen: WidenTo, onReading?: (reading: NumberReading) => void) {
  const { reading: usual, stated, range } = spec.numbers;
  return (value: number | bigint): string | Rejection => {
    const reading = stated ? usual : readingOf(value);
    if (reading === null)
      return new Rejection(
        `${value} is no date in any reading of a number (SQLite's Julian days and Unix seconds, Unix milliseconds, microseconds, nanoseconds)`,
      );
    const micros = instantMicros(value, reading);
    if (!stated) {
      const asUsual = usual !== null && usual !== reading ? instantMicros(value, usual) : null;
      const usualToo = asUsual === null ? "" : `; as the column's ${READING_LABELS[usual!]} it is ${instantText(asUsual)}`;
      if (!inRange(micros, range))
        return new Rejection(
          `${value} read as ${READING_LABELS[reading]} is ${instantText(micros)}, outside the date range ${dateRangeText(range)}${usualToo}: a type override can state a reading`,
        );
      // Two readings give a date: its magnitude's and the column's. Nothing tells which the writer meant.
      if (asUsual !== null && inRange(asUsual, range))
        return new Rejection(
          `${value} is ${instantText(micros)} as ${READING_LABELS[reading]}${usualToo}: both are dates, so a type override must state the reading`,
        );
    }
    const seconds = Number(micros >= 0n ? micros / 1_000_000n : -((-micros + 999_999n) / 1_000_000n));
    const microsecond = Number(micros - BigInt(seconds) * 1_000_000n);
    if (spec.target === "date" && (microsecond !== 0 || seconds % 86400 !== 0))
      return widen("timestamptz", "is an instant with a time of day, which a date would drop");
    const rendered = renderUtc(seconds, microsecond, spec.target);
    if (typeof rendered === "string") onReading?.(reading);
    return rendered;
  };
}

/** An integer as the reader passes one past 2^53: 16 digits or more, no other character. */
const BIG_INTEGER = /^-?\d{16,}$/;

/** Answers a value that needs another target (the table of target types builds the Widening). */
export type WidenTo = (target: TemporalTarget, reason: string) => Rejection;

/** Without a caller to widen, a value needing a wider target is rejected with the reason. */
const rejectWider: WidenTo = (_target, reason) => new Rejection(reason);

/**
 * The ISO variants tried after the detected ones, and the slash-date order
 * settled by the sample (null when the sample held no slash date).
 */
function fallbacksOf(detected: readonly TimestampVariant[]): { iso: TimestampVariant[]; slashOrder: "dmy" | "mdy" | null } {
  return {
    iso: TIMESTAMP_VARIANTS.filter((v) => !detected.includes(v) && v.order === "ymd"),
    slashOrder: (detected.find((v) => v.order !== "ymd")?.order as "dmy" | "mdy" | undefined) ?? null,
  };
}

/**
 * A slash date the sample settled no order for: read in whichever order
 * fits, and rejected when both fit differently (03/04/2024 is 3 April or
 * 4 March; nothing in the data says which).
 */
function parseUnsettledSlash(text: string): { variant: TimestampVariant; fields: TimestampFields } | Rejection | null {
  const parsed = TIMESTAMP_VARIANTS.filter((v) => v.order !== "ymd" && v.length === text.length)
    .map((variant) => ({ variant, fields: parseVariant(variant, text) }))
    .filter((p): p is { variant: TimestampVariant; fields: TimestampFields } => p.fields !== null);
  if (parsed.length === 0) return null;
  const [first, second] = parsed;
  if (second && (first.fields.day !== second.fields.day || first.fields.month !== second.fields.month)) {
    return new Rejection("ambiguous slash date: day and month could be either way round, and the sample settled no order");
  }
  return first;
}

/**
 * Builds the converter of one temporal column. `onFormat` hears the format
 * of each value converted (a text variant's label, a number's reading),
 * for the report's "formats found"; `widen` answers values the target
 * cannot hold.
 */
export function temporalConverter(spec: TemporalSpec, onFormat?: (label: string) => void, widen: WidenTo = rejectWider): Converter {
  const fromFields = fieldsConverter(spec, widen);
  const fromNumber = numberConverter(spec, widen, onFormat && ((reading) => onFormat(READING_LABELS[reading])));
  const onVariant = onFormat && ((variant: TimestampVariant) => onFormat(variant.label));
  const { iso, slashOrder } = fallbacksOf(spec.variants);
  const settledSlash = slashOrder ? TIMESTAMP_VARIANTS.filter((v) => v.order === slashOrder && !spec.variants.includes(v)) : [];
  const variants = [...spec.variants, ...iso, ...settledSlash];
  return (value) => {
    // The reader hands an integer past 2^53 over as its decimal text (load/reader-sql.ts): it is still a number.
    if (typeof value === "string" && BIG_INTEGER.test(value)) return fromNumber(BigInt(value));
    if (typeof value === "string") {
      for (const variant of variants) {
        if (variant.length !== value.length) continue;
        const fields = parseVariant(variant, value);
        if (fields) {
          onVariant?.(variant);
          return fromFields(fields);
        }
      }
      if (!slashOrder && value.includes("/")) {
        const parsed = parseUnsettledSlash(value);
        if (parsed instanceof Rejection) return parsed;
        if (parsed) {
          onVariant?.(parsed.variant);
          return fromFields(parsed.fields);
        }
      }
      return new Rejection("not a valid date or timestamp in any recognised format");
    }
    if (typeof value === "number" || typeof value === "bigint") return fromNumber(value);
    return new Rejection("bytes in a timestamp column");
  };
}
