/**
 * Converters of the non-temporal target types. Strings in numeric columns
 * are accepted only as plain literals (-12, 3.50), the same rule the
 * profiler's SQL counts with, so the gate and the loader agree.
 */
import { isUtf8 } from "node:buffer";
import { Converter, describeRawValue, Rejection, Widening } from "./conversion";
import type { ConverterSpec } from "./target-types";
import {
  decimalOfDouble,
  DecimalParts,
  fitScale,
  formatDecimal,
  formatFloat8,
  INTEGER_RANGES,
  integerDigits,
  parseDecimal,
  sameDecimal,
} from "../formats/numbers";
import { BOOLEAN_DIGITS, BOOLEAN_WORDS, PLAIN_DECIMAL, PLAIN_INTEGER } from "../formats/literals";

export type IntegerType = keyof typeof INTEGER_RANGES;

/** Where a number does not fit, unconstrained numeric holds it exactly (Infinity included). */
const NUMERIC: ConverterSpec = { kind: "numeric", precision: null, scale: 0 };
const widenToNumeric = (reason: string) => new Widening(NUMERIC, reason);

export function integerConverter(type: IntegerType): Converter {
  const { min, max } = INTEGER_RANGES[type];
  const outOfRange = widenToNumeric(`is out of range for ${type}`);
  const inRange = (big: bigint) => (big < min || big > max ? outOfRange : String(big));
  return (value) => {
    if (typeof value === "number") {
      if (!Number.isInteger(value)) return widenToNumeric("is not an integer");
      // An integral double past 2^53 is still one exact integer: BigInt gives every digit of it.
      return Number.isSafeInteger(value) && type === "bigint" ? String(value) : inRange(BigInt(value));
    }
    if (typeof value === "string") {
      if (!PLAIN_INTEGER.test(value))
        return PLAIN_DECIMAL.test(value) ? widenToNumeric("is not an integer") : new Rejection("not an integer");
      // String() of the BigInt is the canonical text: "007" -> "7", "-0" -> "0".
      return inRange(BigInt(value));
    }
    if (typeof value === "bigint") return inRange(value);
    return new Rejection("bytes in an integer column");
  };
}

/**
 * Double precision. A number read from SQLite is a double already; a text
 * (or an integer past 2^53, which the reader passes as text) is held only
 * if the double reads back as the same decimal, else the column widens.
 */
export function floatConverter(): Converter {
  const fromDecimalText = (text: string) => {
    const double = Number(text);
    return sameDecimal(parseDecimal(text)!, decimalOfDouble(double)!)
      ? formatFloat8(double)
      : widenToNumeric("has more digits than double precision holds");
  };
  return (value) => {
    if (typeof value === "number") return formatFloat8(value);
    if (typeof value === "bigint") return fromDecimalText(String(value));
    if (typeof value === "string") return PLAIN_DECIMAL.test(value) ? fromDecimalText(value) : new Rejection("not a number");
    return new Rejection("bytes in a double precision column");
  };
}

function decimalOf(value: number | bigint | string): DecimalParts | null {
  if (typeof value === "number") return decimalOfDouble(value);
  if (typeof value === "bigint") return parseDecimal(String(value));
  return PLAIN_DECIMAL.test(value) ? parseDecimal(value) : null;
}

/** numeric(precision, scale), or unconstrained numeric when precision is null. */
export function numericConverter(precision: number | null, scale: number): Converter {
  const maxIntegerDigits = precision === null ? Infinity : precision - scale;
  const label = precision === null ? "numeric" : `numeric(${precision},${scale})`;
  return (value) => {
    if (Buffer.isBuffer(value)) return new Rejection(`bytes in a ${label} column`);
    if (typeof value === "number" && !Number.isFinite(value)) {
      return precision === null ? formatFloat8(value) : widenToNumeric(`is infinite, which ${label} cannot hold`);
    }
    const parts = decimalOf(value);
    if (!parts) return new Rejection("not a number");
    if (precision === null) return formatDecimal(parts);
    const fitted = fitScale(parts, scale);
    if (!fitted) return widenToNumeric(`has more than ${scale} decimal places, which ${label} would round`);
    if (integerDigits(fitted) > maxIntegerDigits) return widenToNumeric(`has too many digits for ${label}`);
    return formatDecimal(fitted);
  };
}

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

/** Bytes as they are; a text as its UTF-8, a number as the text PostgreSQL prints for it. */
export function byteaConverter(): Converter {
  return (value) => {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(typeof value === "number" ? formatFloat8(value) : String(value), "utf8");
    return `\\x${bytes.toString("hex")}`;
  };
}

/**
 * Text. Strings pass through (the loader checks NUL and invalid UTF-8 on its
 * fast path); integers arrive as their exact decimal text (the reader casts
 * them in SQLite), doubles become float8out's text; bytes must be valid
 * UTF-8 without NUL.
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
