/**
 * The timestamp formats the engine recognises in TEXT columns, as data.
 * Each variant is a token list from which both the exact JavaScript regex
 * (the loader's parser) and the exact SQLite predicate (the profiler's
 * counter) are built, so the profile's counts and the loader's decisions
 * agree value for value.
 */

/** A token of a format: a fixed-width numeric field or a literal. */
type Token =
  | { field: "year" | "month" | "day" | "hour" | "minute" | "second"; width: number }
  | { field: "fraction"; width: number }
  | { field: "offset"; style: "hh:mm" | "hhmm" }
  | { literal: string };

export interface TimestampVariant {
  /** Human label, e.g. "YYYY-MM-DDTHH:MM:SS.fffZ". */
  readonly label: string;
  readonly tokens: readonly Token[];
  readonly hasTime: boolean;
  /** Carries a zone (Z or an offset): the value is an absolute instant. */
  readonly hasZone: boolean;
  /** Day-first or month-first slash dates, for disambiguation. */
  readonly order: "ymd" | "dmy" | "mdy";
  readonly length: number;
}

const Y = { field: "year", width: 4 } as const;
const MO = { field: "month", width: 2 } as const;
const D = { field: "day", width: 2 } as const;
const H = { field: "hour", width: 2 } as const;
const MI = { field: "minute", width: 2 } as const;
const S = { field: "second", width: 2 } as const;
const lit = (literal: string): Token => ({ literal });

function variant(label: string, tokens: Token[], order: "ymd" | "dmy" | "mdy"): TimestampVariant {
  const hasTime = tokens.some((t) => "field" in t && t.field === "hour");
  const hasZone = tokens.some((t) => ("literal" in t && t.literal === "Z") || ("field" in t && t.field === "offset"));
  const length = tokens.reduce((n, t) => n + tokenWidth(t), 0);
  return { label, tokens, hasTime, hasZone, order, length };
}

function tokenWidth(token: Token): number {
  if ("literal" in token) return token.literal.length;
  if (token.field === "offset") return token.style === "hh:mm" ? 6 : 5;
  return token.width;
}

function isoVariants(): TimestampVariant[] {
  const out: TimestampVariant[] = [variant("YYYY-MM-DD", [Y, lit("-"), MO, lit("-"), D], "ymd")];
  for (const sep of [" ", "T"]) {
    const base: Token[] = [Y, lit("-"), MO, lit("-"), D, lit(sep), H, lit(":"), MI];
    const times: [string, Token[]][] = [
      [`${sep}HH:MM`, base],
      [`${sep}HH:MM:SS`, [...base, lit(":"), S]],
    ];
    for (let width = 1; width <= 6; width++) {
      times.push([`${sep}HH:MM:SS.${"f".repeat(width)}`, [...base, lit(":"), S, lit("."), { field: "fraction", width }]]);
    }
    for (const [timeLabel, tokens] of times) {
      out.push(variant(`YYYY-MM-DD${timeLabel}`, tokens, "ymd"));
      out.push(variant(`YYYY-MM-DD${timeLabel}Z`, [...tokens, lit("Z")], "ymd"));
      out.push(variant(`YYYY-MM-DD${timeLabel}+HH:MM`, [...tokens, { field: "offset", style: "hh:mm" }], "ymd"));
      out.push(variant(`YYYY-MM-DD${timeLabel}+HHMM`, [...tokens, { field: "offset", style: "hhmm" }], "ymd"));
    }
  }
  return out;
}

function slashVariants(order: "dmy" | "mdy"): TimestampVariant[] {
  const [first, second, firstLabel, secondLabel] = order === "dmy" ? [D, MO, "DD", "MM"] : [MO, D, "MM", "DD"];
  const date: Token[] = [first, lit("/"), second, lit("/"), Y];
  const label = `${firstLabel}/${secondLabel}/YYYY`;
  return [
    variant(label, date, order),
    variant(`${label} HH:MM`, [...date, lit(" "), H, lit(":"), MI], order),
    variant(`${label} HH:MM:SS`, [...date, lit(" "), H, lit(":"), MI, lit(":"), S], order),
  ];
}

/** Every recognised variant. Slash dates come in both orders; data decides. */
export const TIMESTAMP_VARIANTS: readonly TimestampVariant[] = [...isoVariants(), ...slashVariants("dmy"), ...slashVariants("mdy")];

export const VARIANTS_BY_LABEL: ReadonlyMap<string, TimestampVariant> = new Map(TIMESTAMP_VARIANTS.map((v) => [v.label, v]));

/** Fields of a parsed value; offsetMinutes is null for naive values. */
export interface TimestampFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fraction digits as written, padded to microseconds ("5" -> 500000). */
  microsecond: number;
  offsetMinutes: number | null;
}

/** Parses text in exactly this variant, with every range checked; null if invalid. */
export function parseVariant(variant: TimestampVariant, text: string): TimestampFields | null {
  if (text.length !== variant.length) return null;
  let parser = PARSERS.get(variant);
  if (!parser) PARSERS.set(variant, (parser = compileParser(variant.tokens)));
  return parser(text);
}

type Parser = (text: string) => TimestampFields | null;
const PARSERS = new Map<TimestampVariant, Parser>();

/** Reads `width` ASCII digits at `pos` as a number, or -1. */
function digitsAt(text: string, pos: number, width: number): number {
  let n = 0;
  for (let k = 0; k < width; k++) {
    const d = text.charCodeAt(pos + k) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * A parser specialised to one token list: positions are fixed, so each
 * field is read in place with charCodeAt (this runs once per value loaded).
 */
function compileParser(tokens: readonly Token[]): Parser {
  const steps: ((text: string, f: TimestampFields) => boolean)[] = [];
  let pos = 0;
  for (const token of tokens) {
    const at = pos;
    const width = tokenWidth(token);
    pos += width;
    if ("literal" in token) {
      const code = token.literal.charCodeAt(0);
      const isZ = token.literal === "Z";
      steps.push((t, f) => {
        if (t.charCodeAt(at) !== code) return false;
        if (isZ) f.offsetMinutes = 0;
        return true;
      });
    } else if (token.field === "offset") {
      const style = token.style;
      steps.push((t, f) => (f.offsetMinutes = parseOffset(t.slice(at, at + width), style)) !== null);
    } else if (token.field === "fraction") {
      const scale = 10 ** (6 - width);
      steps.push((t, f) => (f.microsecond = digitsAt(t, at, width) * scale) >= 0);
    } else {
      const field = token.field;
      steps.push((t, f) => (f[field] = digitsAt(t, at, width)) >= 0);
    }
  }
  return (text) => {
    const f: TimestampFields = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, microsecond: 0, offsetMinutes: null };
    for (const step of steps) if (!step(text, f)) return null;
    return fieldsInRange(f) ? f : null;
  };
}

function isDigits(text: string): boolean {
  return text.length > 0 && digitsAt(text, 0, text.length) >= 0;
}

function parseOffset(piece: string, style: "hh:mm" | "hhmm"): number | null {
  const sign = piece[0] === "+" ? 1 : piece[0] === "-" ? -1 : 0;
  const hh = piece.slice(1, 3);
  const mm = style === "hh:mm" ? piece.slice(4, 6) : piece.slice(3, 5);
  if (sign === 0 || !isDigits(hh) || !isDigits(mm) || (style === "hh:mm" && piece[3] !== ":")) return null;
  const hours = Number(hh);
  const minutes = Number(mm);
  if (hours > 15 || minutes > 59) return null;
  return sign * (hours * 60 + minutes);
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function fieldsInRange(f: TimestampFields): boolean {
  return (
    f.year >= 1 &&
    f.month >= 1 &&
    f.month <= 12 &&
    f.day >= 1 &&
    f.day <= daysInMonth(f.year, f.month) &&
    f.hour <= 23 &&
    f.minute <= 59 &&
    f.second <= 59
  );
}
