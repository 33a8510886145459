/**
 * Converters of the non-temporal target types. Strings in numeric columns
 * are accepted only as plain literals (-12, 3.50), the same rule the
 * profiler's SQL counts with, so the gate and the loader agree.
 */
import { isUtf8 } from "node:buffer";
import { Converter, describeRawValue, Rejection } from "./conversion";
import {
  decimalOfNumber, DecimalParts, formatDecimal, formatFloat8, INTEGER_RANGES, integerDigits,
  parseDecimal, roundDecimal,
} from "./numbers";

export const PLAIN_INTEGER = /^-?\d+$/;
export const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

export type IntegerType = keyof typeof INTEGER_RANGES;

export function integerConverter(type: IntegerType): Converter {
  const { min, max } = INTEGER_RANGES[type];
  const minNumber = Number(min);
  const maxNumber = Number(max);
  const outOfRange = new Rejection(`out of range for ${type}`);
  return (value) => {
    if (typeof value === "number") {
      if (!Number.isInteger(value)) return new Rejection(`${formatFloat8(value)} is not an integer`);
      if (value < minNumber || value > maxNumber) return outOfRange;
      return String(value);
    }
    if (typeof value === "string") {
      if (!PLAIN_INTEGER.test(value)) return new Rejection("not an integer");
      const big = BigInt(value);
      // String() of the BigInt is the canonical text: "007" -> "7", "-0" -> "0".
      return big < min || big > max ? outOfRange : String(big);
    }
    if (typeof value === "bigint") return value < min || value > max ? outOfRange : String(value);
    return new Rejection("bytes in an integer column");
  };
}

export function floatConverter(): Converter {
  return (value) => {
    if (typeof value === "number") return formatFloat8(value);
    if (typeof value === "bigint") return formatFloat8(Number(value));
    if (typeof value === "string") return PLAIN_DECIMAL.test(value) ? formatFloat8(Number(value)) : new Rejection("not a number");
    return new Rejection("bytes in a double precision column");
  };
}

function decimalOf(value: number | bigint | string): DecimalParts | null {
  if (typeof value === "number") return decimalOfNumber(value);
  if (typeof value === "bigint") return parseDecimal(String(value));
  return PLAIN_DECIMAL.test(value) ? parseDecimal(value) : null;
}

/** numeric(precision, scale), or unconstrained numeric when precision is null. */
export function numericConverter(precision: number | null, scale: number): Converter {
  const maxIntegerDigits = precision === null ? Infinity : precision - scale;
  const label = precision === null ? "numeric" : `numeric(${precision},${scale})`;
  return (value) => {
    if (Buffer.isBuffer(value)) return new Rejection(`bytes in a ${label} column`);
    const parts = decimalOf(value);
    if (!parts) return new Rejection(typeof value === "number" ? "not a finite number" : "not a number");
    const exact = precision === null ? parts : roundDecimal(parts, scale);
    if (integerDigits(exact) > maxIntegerDigits) return new Rejection(`too many digits for ${label}`);
    return formatDecimal(exact);
  };
}

/**
 * Spellings of true and false, compared case-insensitively after trimming
 * spaces. Maps, not object literals: "constructor" or "toString" must not
 * be found on an object's prototype and taken for true.
 */
export const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ["true", true], ["false", false], ["t", true], ["f", false], ["yes", true], ["no", false], ["y", true], ["n", false], ["on", true], ["off", false],
]);
export const BOOLEAN_DIGITS: ReadonlyMap<string, boolean> = new Map([["1", true], ["0", false]]);

export function booleanConverter(): Converter {
  return (value) => {
    if (typeof value === "number" || typeof value === "bigint") {
      const n = Number(value);
      if (n === 1) return "t";
      if (n === 0) return "f";
      return new Rejection("a number other than 0 or 1 in a boolean column");
    }
    if (typeof value === "string") {
      const key = value.trim().toLowerCase();
      const truth = BOOLEAN_WORDS.get(key) ?? BOOLEAN_DIGITS.get(key);
      return truth === undefined ? new Rejection("not a boolean") : truth ? "t" : "f";
    }
    return new Rejection("bytes in a boolean column");
  };
}

export function byteaConverter(): Converter {
  return (value) => {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), "utf8");
    return `\\x${bytes.toString("hex")}`;
  };
}

/**
 * Text. Strings pass through (the loader checks NUL and invalid UTF-8 on its
 * fast path); numbers become their text; bytes must be valid UTF-8 without NUL.
 */
export function textConverter(): Converter {
  return (value) => {
    if (typeof value === "string") return value;
    if (typeof value === "number") return formatFloat8(value);
    if (typeof value === "bigint") return String(value);
    return textOfBytes(value);
  };
}

export function textOfBytes(bytes: Buffer): string | Rejection {
  if (bytes.includes(0)) return new Rejection("NUL byte in text", describeRawValue(bytes));
  if (!isUtf8(bytes)) return new Rejection("invalid UTF-8", describeRawValue(bytes));
  return bytes.toString("utf8");
}
