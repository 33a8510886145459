/**
 * A number in a date column, read without the engine's beliefs:
 *   - as the test states it (the test wrote the values: it knows their
 *     unit), or else
 *   - as SQLite's own `auto` modifier reads it: SQLite itself says whether
 *     the number is a Julian day or Unix seconds, or neither (NULL).
 * A Julian day's instant is SQLite's own (unixepoch(v, 'subsec'): to the
 * millisecond, as SQLite holds it); a Unix unit's is the number times its
 * unit, exact to the microsecond (rounded half away from zero), which is
 * what the unit means. A number read without a statement must fall inside
 * the load's date range, a setting the test passes; outside it, the row
 * must have been rejected.
 */
import type Database from "better-sqlite3";
import { Canon, refusal, value } from "./canonical-values";
import type { DateRangeYears, StatedReading } from "./public-types";

/** Microseconds per unit, and the divisor for nanoseconds. */
const UNIX: Readonly<Record<Exclude<StatedReading, "julian">, { times: bigint; per: bigint }>> = {
  "unix-s": { times: 1_000_000n, per: 1n },
  "unix-ms": { times: 1_000n, per: 1n },
  "unix-us": { times: 1n, per: 1n },
  "unix-ns": { times: 1n, per: 1_000n },
};

/** n * times / per, exactly, rounded half away from zero; a double by its exact binary value. */
function exactMicros(v: bigint | number, times: bigint, per: bigint): bigint {
  let numerator: bigint;
  let denominator = per;
  if (typeof v === "bigint") numerator = v * times;
  else {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v);
    const bits = view.getBigUint64(0);
    const biased = Number((bits >> 52n) & 0x7ffn);
    const fraction = bits & ((1n << 52n) - 1n);
    const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
    const exponent = (biased === 0 ? 1 : biased) - 1075;
    numerator = mantissa * times * (exponent >= 0 ? 1n << BigInt(exponent) : 1n);
    if (exponent < 0) denominator <<= BigInt(-exponent);
    if (bits >> 63n === 1n) numerator = -numerator;
  }
  const magnitude = ((numerator < 0n ? -numerator : numerator) * 2n + denominator) / (2n * denominator);
  return numerator < 0n ? -magnitude : magnitude;
}

/** Microseconds as the seconds text trim_scale(extract(epoch ...)) prints. */
export function formatMicros(micros: bigint): string {
  const sign = micros < 0n ? "-" : "";
  const abs = micros < 0n ? -micros : micros;
  const fraction = (abs % 1_000_000n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${sign}${abs / 1_000_000n}${fraction ? `.${fraction}` : ""}`;
}

const yearStart = (year: number) => BigInt(Date.UTC(year, 0, 1)) * 1000n;

/** Reads the numbers of one column: `stated`, or SQLite's auto; `range` applies to the unstated. */
export function numberReader(db: Database.Database, stated: StatedReading | null, range: DateRangeYears): (v: bigint | number) => Canon {
  const auto = db.prepare("SELECT unixepoch(?, 'auto', 'subsec') AS auto, unixepoch(?, 'subsec') AS julian").raw(true);
  const julianMs = db.prepare("SELECT CAST(round(unixepoch(?, 'subsec') * 1000) AS INTEGER)").pluck().safeIntegers(true);
  const julian = (v: bigint | number) => (julianMs.get(v) as bigint) * 1000n;
  const [from, to] = [yearStart(range.from), yearStart(range.to)];
  return (v) => {
    if (typeof v === "number" && !Number.isFinite(v)) return refusal(`real ${v} is no date`);
    if (stated !== null) return value(formatMicros(stated === "julian" ? julian(v) : exactMicros(v, UNIX[stated].times, UNIX[stated].per)));
    const [byAuto, byJulian] = auto.get(v, v) as [number | null, number | null];
    if (byAuto === null) return refusal(`${v} is a number SQLite's date functions do not read; the test must state its reading`);
    const micros = byAuto === byJulian ? julian(v) : exactMicros(v, UNIX["unix-s"].times, 1n);
    if (micros < from || micros >= to)
      return refusal(`${v} in SQLite's reading is outside the load's date range ${range.from}-${range.to}`);
    return value(formatMicros(micros));
  };
}
