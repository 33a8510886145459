/**
 * The expected canonical value of a SQLite value in a column: computed here
 * where it is certain, asked of the referee where PostgreSQL's input function
 * decides.
 */

import { Ask, Probe, refusal, value } from "./canonical-values";
import type { ComparedColumn } from "./compared-columns";
import { bytesOf, numberText, Present, realText, textOf, Textual } from "./sqlite-values";

/** The expected canonical value of one SQLite value (not NULL) in one column. */
export function probe(v: Present, column: ComparedColumn): Probe {
  switch (column.family) {
    case "integer":
      return integerProbe(v);
    case "numeric":
      if (typeof v === "bigint") return value(v.toString());
      return typeof v === "number" ? new Ask("numeric of float8", realText(v)) : askText("numeric", v);
    case "double":
      return doubleProbe(v);
    case "boolean":
      // The value's text: an integer's digits ('0', '1'), a real's round-trip text.
      return askText("boolean", typeof v === "bigint" || typeof v === "number" ? numberText(v) : v);
    case "instant":
      return typeof v === "bigint" || typeof v === "number" ? column.readNumber!(v) : askText(column.askKind, v);
    case "text":
    case "char":
      return textProbe(v, column.family === "char");
    case "bytes":
      if (typeof v === "bigint") return value(Buffer.from(v.toString(), "utf8").toString("hex"));
      return typeof v === "number" ? new Ask("float8 bytes", realText(v)) : value(bytesOf(v).toString("hex"));
    case "uuid":
      // 16 bytes are the UUID of those bytes in order: uuid's input function reads their 32 hex digits.
      if (Buffer.isBuffer(v)) return new Ask(column.askKind, v.toString("hex"));
      return askText(column.askKind, typeof v === "bigint" || typeof v === "number" ? numberText(v) : v);
    default:
      return askText(column.askKind, typeof v === "bigint" || typeof v === "number" ? numberText(v) : v);
  }
}

/** A text (or blob read as UTF-8) handed to a PostgreSQL input function. */
function askText(kind: string, v: Textual): Probe {
  const text = textOf(v);
  return "text" in text ? new Ask(kind, text.text) : refusal(text.why);
}

function integerProbe(v: Present): Probe {
  if (typeof v === "bigint") return value(v.toString());
  if (typeof v !== "number") return askText("bigint", v);
  // BigInt of an integral double is its exact value, not its shortest decimal (1e21 has 22 digits).
  return Number.isInteger(v) ? value(BigInt(v).toString()) : refusal(`real ${realText(v)} is not an integer`);
}

function doubleProbe(v: Present): Probe {
  if (typeof v === "number") return new Ask("float8", realText(v));
  if (typeof v !== "bigint") return askText("float8", v);
  const double = Number(v);
  // Whatever PostgreSQL holds, an integer no double can hold has lost its meaning in a float column.
  if (BigInt(double) !== v) return refusal(`integer ${v} has no exact double`);
  return new Ask("float8", String(double));
}

function textProbe(v: Present, char: boolean): Probe {
  if (typeof v === "bigint") return value(v.toString());
  if (typeof v === "number") return new Ask("float8", realText(v));
  const text = textOf(v);
  if (!("text" in text)) return refusal(text.why);
  // character(n) pads with spaces and ignores them in comparisons; its ::text drops them.
  return value(char ? text.text.replace(/ +$/, "") : text.text);
}
