/**
 * Numbers rendered exactly as PostgreSQL renders them, so that what the
 * loader sends is what a read-back returns byte for byte (validation hashes
 * both sides).
 */
import { float8Digits } from "./float8-digits";

/**
 * float8out of PostgreSQL 12+ (extra_float_digits = 1): the shortest digits
 * that round-trip, fixed notation for decimal exponents -4..14, otherwise
 * d.ddde+XX with at least two exponent digits. JavaScript's shortest digits
 * (toExponential with no argument) are the same digits except on a rounding
 * bound above 2^53 (see float8-digits.ts).
 */
export function formatFloat8(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const { digits, exponent } = float8Digits(Math.abs(value));
  const sign = value < 0 ? "-" : "";
  if (exponent < -4 || exponent >= 15) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? "-" : "+";
    return `${sign}${body}e${expSign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return sign + placeDecimalPoint(digits, exponent);
}

/** digits d1d2d3... with value d1.d2d3 x 10^exponent, in plain notation. */
function placeDecimalPoint(digits: string, exponent: number): string {
  if (exponent < 0) return `0.${"0".repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return digits + "0".repeat(exponent + 1 - digits.length);
  return `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

const DECIMAL_LITERAL = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/;

/** A decimal number split into sign, integer digits and fraction digits. */
export interface DecimalParts {
  negative: boolean;
  integer: string;
  fraction: string;
}

/** Parses a decimal literal ("12.5", "-1e3", " .5 ") without going through binary floats. */
export function parseDecimal(text: string): DecimalParts | null {
  const match = DECIMAL_LITERAL.exec(text);
  if (!match) return null;
  const [, sign, intPart, fracPart = "", expPart] = match;
  if (intPart === "" && fracPart === "") return null;
  let digits = intPart + fracPart;
  let point = intPart.length + (expPart ? Number(expPart) : 0);
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const integer = digits.slice(0, point).replace(/^0+(?=\d)/, "") || "0";
  return { negative: sign === "-", integer, fraction: digits.slice(point) };
}

/**
 * A finite double as a decimal: the digits PostgreSQL's float8out prints
 * for it (the value a reader of the column sees), not JavaScript's, which
 * differ on a rounding bound above 2^53.
 */
export function decimalOfDouble(value: number): DecimalParts | null {
  if (!Number.isFinite(value)) return null;
  if (value === 0) return { negative: Object.is(value, -0), integer: "0", fraction: "" };
  const { digits, exponent } = float8Digits(Math.abs(value));
  const parts = parseDecimal(`${digits[0]}.${digits.slice(1)}e${exponent}`)!;
  return { ...parts, negative: value < 0 };
}

/** A decimal without insignificant zeros or the sign of zero: equal values, equal keys. */
function canonicalDecimal(parts: DecimalParts): string {
  const integer = parts.integer.replace(/^0+/, "");
  const fraction = parts.fraction.replace(/0+$/, "");
  const zero = integer === "" && fraction === "";
  return `${parts.negative && !zero ? "-" : ""}${integer || "0"}.${fraction}`;
}

export function sameDecimal(a: DecimalParts, b: DecimalParts): boolean {
  return canonicalDecimal(a) === canonicalDecimal(b);
}

/**
 * The decimal with exactly `scale` fraction digits, as numeric(p, s)
 * stores it, or null when that would drop a non-zero digit (PostgreSQL
 * would round it: the loader widens the column instead).
 */
export function fitScale(parts: DecimalParts, scale: number): DecimalParts | null {
  if (parts.fraction.length <= scale) return { ...parts, fraction: parts.fraction.padEnd(scale, "0") };
  if (/[^0]/.test(parts.fraction.slice(scale))) return null;
  return { ...parts, fraction: parts.fraction.slice(0, scale) };
}

/** PostgreSQL's text form of a numeric: no exponent, "-" only when non-zero. */
export function formatDecimal(parts: DecimalParts): string {
  const isZero = /^0*$/.test(parts.integer) && /^0*$/.test(parts.fraction);
  const sign = parts.negative && !isZero ? "-" : "";
  return parts.fraction.length > 0 ? `${sign}${parts.integer}.${parts.fraction}` : `${sign}${parts.integer}`;
}

/** Digits before the point, as numeric(p, s) counts them (leading zeros excluded). */
export function integerDigits(parts: DecimalParts): number {
  return parts.integer === "0" ? 0 : parts.integer.length;
}

export const INTEGER_RANGES = {
  smallint: { min: -32768n, max: 32767n },
  integer: { min: -2147483648n, max: 2147483647n },
  bigint: { min: -9223372036854775808n, max: 9223372036854775807n },
} as const;
