/**
 * The table of target types: for each PostgreSQL type a column can get,
 * everything the engine needs to know of it (target-type.ts says which
 * part asks what). A spec is the serialisable description of a column's
 * conversion: the plan carries it, the reader worker builds the converter
 * from it. Adding a type is one entry here, its spec, and its family in
 * the declared-type normaliser (declared.ts); the compiler refuses an
 * entry that misses a field.
 */
import { quoteLiteral } from "../sql/identifiers";
import { Converter, Rejection, Widening } from "./conversion";
import {
  dateColumnDecision,
  decision,
  detectInText,
  numericDecision,
  pct,
  settleSlashOrder,
  usualReading,
  varcharDecision,
} from "./cast-rules";
import type { NumberReading } from "../formats/number-readings";
import {
  booleanConverter,
  byteaConverter,
  floatConverter,
  IntegerType,
  integerConverter,
  numericConverter,
  textConverter,
} from "./scalars";
import { NumberSpec, TemporalTarget, temporalConverter } from "./temporal";
import { sourceTemporalMeaning, storedTemporalMeaning } from "./temporal-meaning";
import type { CurrentKeyword, TargetType } from "./target-type";
import { VARIANTS_BY_LABEL } from "../formats/timestamp-formats";

/** Each kind's spec, beside its `kind`. */
interface Specs {
  integer: { type: IntegerType };
  float: object;
  numeric: { precision: number | null; scale: number };
  boolean: object;
  temporal: { target: TemporalTarget; variants: string[]; numbers: NumberSpec; naiveZone: string | null };
  text: object;
  bytea: object;
  uuid: object;
}

export type TypeKind = keyof Specs;
export type SpecOf<K extends TypeKind> = { kind: K } & Specs[K];
export type ConverterSpec = { [K in TypeKind]: SpecOf<K> }[TypeKind];

/** JavaScript numbers hold integers exactly up to 2^53; larger ones are read as their decimal text. */
const SAFE = "9007199254740991";
const bigIntegersAsText = (c: string) =>
  `CASE WHEN typeof(${c}) = 'integer' AND (${c} > ${SAFE} OR ${c} < -${SAFE}) THEN CAST(${c} AS TEXT) ELSE ${c} END`;
/** In text and bytea columns integers arrive as text always: 1000000000000000 stays that, not a double printed 1e+15. */
const integersAsText = (c: string) => `CASE WHEN typeof(${c}) = 'integer' THEN CAST(${c} AS TEXT) ELSE ${c} END`;
/** Converted keys are one key when their texts are (the converters write one text per value). */
const asConverted = (text: string) => text;
/** float8 equality holds -0 and 0 equal. */
const floatKey = (text: string) => (text === "-0" ? "0" : text);
/** numeric equality ignores the scale: 1.50 and 1.5 are one key. */
const numericKey = (text: string) => {
  const value = text.includes(".") ? text.replace(/\.?0+$/, "") : text;
  return value === "-0" ? "0" : value;
};
const first = <S>(a: S) => a;
const none = () => undefined;
const noSetting = () => null;

/** A UUID as text: 8-4-4-4-12 hex digits, in either case, braces allowed (as .NET writes GUIDs). */
const UUID_TEXT =
  /^(?:\{([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))$/i;

/** UUID text or 16 bytes (in RFC 9562 order) to PostgreSQL's uuid text; anything else widens to text. */
function uuidConverter(widen: (to: ConverterSpec, reason: string) => Rejection): Converter {
  const toText = (reason: string) => widen({ kind: "text" }, reason);
  return (value) => {
    if (Buffer.isBuffer(value)) {
      if (value.length !== 16) return toText(`is a blob of ${value.length} bytes, not a UUID's 16`);
      const hex = value.toString("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
    if (typeof value !== "string") return toText("is a number, not a UUID");
    const match = UUID_TEXT.exec(value);
    return match ? (match[1] ?? match[2]).toLowerCase() : toText("is not a UUID");
  };
}

/**
 * SQLite's CURRENT_* are UTC, in SQLite's text forms. PostgreSQL's
 * LOCALTIMESTAMP, CURRENT_DATE and LOCALTIME follow the session's TimeZone,
 * so a dashboard session in Europe/Paris would write wall-clock times an
 * hour or two off from the loaded ones: naive targets take UTC explicitly.
 */
const UTC_NOW = "(now() AT TIME ZONE 'UTC')";
const CURRENT: Readonly<Record<TemporalTarget | "text", Partial<Record<CurrentKeyword, string>>>> = {
  timestamptz: { CURRENT_TIMESTAMP: "now()", CURRENT_DATE: "date_trunc('day', now(), 'UTC')" },
  timestamp: { CURRENT_TIMESTAMP: UTC_NOW, CURRENT_DATE: `date_trunc('day', ${UTC_NOW})` },
  date: { CURRENT_TIMESTAMP: `(${UTC_NOW}::date)`, CURRENT_DATE: `(${UTC_NOW}::date)` },
  text: {
    CURRENT_TIMESTAMP: `to_char(${UTC_NOW}, 'YYYY-MM-DD HH24:MI:SS')`,
    CURRENT_DATE: `to_char(${UTC_NOW}, 'YYYY-MM-DD')`,
    CURRENT_TIME: `to_char(${UTC_NOW}, 'HH24:MI:SS')`,
  },
};

const TEMPORAL_RANK: Readonly<Record<TemporalTarget, number>> = { date: 0, timestamp: 1, timestamptz: 2 };
const TEMPORAL_TYPES: Readonly<Record<TemporalTarget, string>> = {
  date: "date",
  timestamp: "timestamp without time zone",
  timestamptz: "timestamp with time zone",
};
const BIGINT = { kind: "integer", type: "bigint" } as const;

type Table = { readonly [K in TypeKind]: TargetType<SpecOf<K>, ConverterSpec> };

export const TARGET_TYPES = {
  integer: {
    pgType: (spec) => spec.type,
    converter: (spec) => integerConverter(spec.type),
    textual: false,
    reader: bigIntegersAsText,
    meaning: {
      stored: (_, c) => `${c}::text`,
      source: (_, t, v) => `CASE ${t} WHEN 'real' THEN (${v}::float8)::bigint::text ELSE (${v}::bigint)::text END`,
      session: noSetting,
      lookup: "bigint",
      holdsNul: false,
    },
    key: { sameKey: asConverted, oneToOne: ["integer"], ordersAsSqlite: "" },
    widen: { holdsEverything: false, wider: first },
    currentDefault: none,
    overrides: {
      patterns: [
        { pattern: /^(bigint|int8|integer|int|int4|smallint|int2)$/, shown: "bigint", make: () => ({ spec: BIGINT, maxLength: null }) },
      ],
      takesReading: false,
    },
    declared: {
      integer: () => decision(BIGINT, "SQLite integers are 64-bit: bigint"),
      int: () => decision(BIGINT, "SQLite integers are 64-bit: bigint"),
      smallint: () => decision(BIGINT, "SQLite integers are 64-bit: bigint"),
    },
  },
  float: {
    pgType: () => "double precision",
    converter: () => floatConverter(),
    textual: false,
    reader: bigIntegersAsText,
    meaning: {
      stored: (_, c) => `${c}::text`,
      // A double or a decimal text is held by float8 only if it reads back as the same decimal.
      source: (_, t, v) =>
        `CASE WHEN ${t} = 'real' OR ((${v}::float8)::text)::numeric = ${v}::numeric THEN (${v}::float8)::text ELSE 'not exactly a double: ' || ${v} END`,
      session: noSetting,
      lookup: null,
      holdsNul: false,
    },
    key: { sameKey: floatKey, oneToOne: ["real"], ordersAsSqlite: false },
    widen: { holdsEverything: false, wider: first },
    currentDefault: none,
    overrides: {
      patterns: [
        {
          pattern: /^(double precision|float8|float|real|float4)$/,
          shown: "double precision",
          make: () => ({ spec: { kind: "float" }, maxLength: null }),
        },
      ],
      takesReading: false,
    },
    declared: { real: () => decision({ kind: "float" }, "REAL is an 8-byte float: double precision") },
  },
  numeric: {
    pgType: (spec) => (spec.precision === null ? "numeric" : `numeric(${spec.precision},${spec.scale})`),
    converter: (spec) => numericConverter(spec.precision, spec.scale),
    textual: false,
    reader: bigIntegersAsText,
    meaning: {
      stored: (_, c) => `trim_scale(${c})::text`,
      source: (_, t, v) =>
        `CASE ${t} WHEN 'real' THEN trim_scale(((${v}::float8)::text)::numeric)::text ELSE trim_scale(${v}::numeric)::text END`,
      session: noSetting,
      lookup: "numeric",
      holdsNul: false,
    },
    key: { sameKey: numericKey, oneToOne: ["integer"], ordersAsSqlite: false },
    widen: { holdsEverything: false, wider: first },
    currentDefault: none,
    overrides: {
      patterns: [
        {
          pattern: /^(numeric|decimal)$/,
          shown: "numeric",
          make: () => ({ spec: { kind: "numeric", precision: null, scale: 0 }, maxLength: null }),
        },
        {
          pattern: /^(numeric|decimal)\((\d+)(?:,(\d+))?\)$/,
          shown: "numeric(p,s)",
          make: (m) => ({ spec: { kind: "numeric", precision: Number(m[2]), scale: Number(m[3] ?? 0) }, maxLength: null }),
        },
      ],
      takesReading: false,
    },
    declared: { numeric: ({ declared }) => numericDecision(declared) },
  },
  boolean: {
    pgType: () => "boolean",
    converter: () => booleanConverter(),
    textual: false,
    reader: bigIntegersAsText,
    meaning: {
      stored: (_, c) => `${c}::text`,
      source: (_, t, v) => `(CASE ${t} WHEN 'real' THEN (${v}::float8)::text ELSE ${v} END)::boolean::text`,
      session: noSetting,
      lookup: null,
      holdsNul: false,
    },
    key: { sameKey: asConverted, oneToOne: [], ordersAsSqlite: false },
    widen: { holdsEverything: false, wider: first },
    currentDefault: none,
    overrides: {
      patterns: [{ pattern: /^(boolean|bool)$/, shown: "boolean", make: () => ({ spec: { kind: "boolean" }, maxLength: null }) }],
      takesReading: false,
    },
    declared: {
      boolean: ({ evidence }) =>
        decision(
          { kind: "boolean" },
          `${pct(evidence.booleanValues, evidence.sampled - evidence.nulls)} of sampled values are 0/1 or true/false words`,
        ),
    },
  },
  temporal: {
    pgType: (spec) => TEMPORAL_TYPES[spec.target],
    converter: (spec, { widen, onFormat }) =>
      temporalConverter(
        {
          target: spec.target,
          variants: spec.variants.map((label) => {
            const variant = VARIANTS_BY_LABEL.get(label);
            if (!variant) throw new Error(`unknown timestamp format "${label}"`);
            return variant;
          }),
          numbers: spec.numbers,
          naiveZone: spec.naiveZone,
        },
        onFormat,
        (target, reason) => widen({ ...spec, target }, reason),
      ),
    textual: false,
    reader: bigIntegersAsText,
    meaning: {
      stored: storedTemporalMeaning,
      source: sourceTemporalMeaning,
      // Naive texts are read in the column's zone (the plan has one for all columns).
      session: (spec) => `SET LOCAL TimeZone = ${quoteLiteral(spec.naiveZone ?? "UTC")}`,
      lookup: null,
      holdsNul: false,
    },
    key: { sameKey: asConverted, oneToOne: [], ordersAsSqlite: false },
    widen: { holdsEverything: false, wider: (a, b) => (TEMPORAL_RANK[b.target] > TEMPORAL_RANK[a.target] ? b : a) },
    currentDefault: (spec, keyword) => CURRENT[spec.target][keyword],
    overrides: {
      patterns: (["date", "timestamp", "timestamptz"] as const).map((target) => ({
        pattern: {
          date: /^date$/,
          timestamp: /^(timestamp|timestamp without time zone)$/,
          timestamptz: /^(timestamptz|timestamp with time zone)$/,
        }[target],
        shown: target,
        make: (_: RegExpExecArray, ctx) => ({
          spec: {
            kind: "temporal",
            target,
            // Formats still come from the sample; numbers' reading too, unless stated.
            variants: settleSlashOrder(ctx.evidence.variants, ctx.evidence.variantCounts).variants.map((v) => v.label),
            numbers:
              ctx.reading === undefined
                ? { reading: usualReading(ctx.evidence, ctx.dateRange), stated: false, range: ctx.dateRange }
                : { reading: ctx.reading as NumberReading, stated: true, range: ctx.dateRange },
            naiveZone: ctx.timezone,
          },
          maxLength: null,
        }),
      })),
      takesReading: true,
    },
    declared: { date: (ctx) => dateColumnDecision(ctx, "date"), datetime: (ctx) => dateColumnDecision(ctx, "timestamp") },
  },
  text: {
    pgType: () => "text",
    converter: () => textConverter(),
    textual: true,
    reader: integersAsText,
    meaning: {
      stored: (_, c) => `${c}::text`,
      source: (_, t, v) =>
        `CASE ${t} WHEN 'real' THEN (${v}::float8)::text WHEN 'blob' THEN convert_from(decode(${v}, 'hex'), 'UTF8') ELSE ${v} END`,
      session: noSetting,
      lookup: "text",
      holdsNul: false,
    },
    key: { sameKey: asConverted, oneToOne: ["text"], ordersAsSqlite: 'COLLATE "C"' },
    widen: { holdsEverything: true, wider: first },
    currentDefault: (_, keyword) => CURRENT.text[keyword],
    overrides: {
      patterns: [
        { pattern: /^text$/, shown: "text", make: () => ({ spec: { kind: "text" }, maxLength: null }) },
        {
          pattern: /^(varchar|character varying)\((\d+)\)$/,
          shown: "varchar(n)",
          make: (m) => ({ spec: { kind: "text" }, maxLength: Number(m[2]) }),
        },
      ],
      takesReading: false,
    },
    declared: {
      time: () => decision({ kind: "text" }, "TIME values are kept as text"),
      varchar: (ctx) => detectInText(ctx) ?? varcharDecision(ctx),
      text: (ctx) => detectInText(ctx) ?? decision({ kind: "text" }, "text"),
      json: () => decision({ kind: "text" }, "JSON is kept as text (not validated)"),
    },
  },
  bytea: {
    pgType: () => "bytea",
    converter: () => byteaConverter(),
    textual: false,
    reader: integersAsText,
    meaning: {
      stored: (_, c) => `encode(${c}, 'hex')`,
      source: (_, t, v) =>
        `CASE ${t} WHEN 'blob' THEN ${v} WHEN 'real' THEN encode(convert_to((${v}::float8)::text, 'UTF8'), 'hex') ELSE encode(convert_to(${v}, 'UTF8'), 'hex') END`,
      session: noSetting,
      lookup: null,
      holdsNul: true,
    },
    key: { sameKey: asConverted, oneToOne: ["blob"], ordersAsSqlite: false },
    widen: { holdsEverything: false, wider: first },
    currentDefault: none,
    overrides: {
      patterns: [{ pattern: /^bytea$/, shown: "bytea", make: () => ({ spec: { kind: "bytea" }, maxLength: null }) }],
      takesReading: false,
    },
    declared: { blob: () => decision({ kind: "bytea" }, "blobs are bytea") },
  },
  uuid: {
    pgType: () => "uuid",
    converter: (_, { widen }) => uuidConverter(widen),
    textual: false,
    reader: bigIntegersAsText,
    meaning: {
      stored: (_, c) => `${c}::text`,
      // A blob arrives as its hex digits, which uuid's input function reads as the 16 bytes in order.
      source: (_, _t, v) => `(${v}::uuid)::text`,
      session: noSetting,
      lookup: "uuid",
      holdsNul: false,
    },
    // The converter writes every UUID one way: case, braces, hyphens and blob or text are gone.
    key: { sameKey: asConverted, oneToOne: ["blob"], ordersAsSqlite: false },
    widen: { holdsEverything: false, wider: first },
    currentDefault: none,
    overrides: {
      patterns: [{ pattern: /^uuid$/, shown: "uuid", make: () => ({ spec: { kind: "uuid" }, maxLength: null }) }],
      takesReading: false,
    },
    declared: {
      uuid: () => decision({ kind: "uuid" }, "UUIDs as text or 16 bytes are uuid; a column holding anything else widens to text"),
    },
  },
} satisfies Table;

/** The entry of a spec's kind, typed for that spec. */
export function targetType<S extends ConverterSpec>(spec: S): TargetType<S, ConverterSpec> {
  return TARGET_TYPES[spec.kind] as unknown as TargetType<S, ConverterSpec>;
}

/** The PostgreSQL type a spec produces (varchar length is the plan's business). */
export const targetTypeOf = (spec: ConverterSpec): string => targetType(spec).pgType(spec);

/** `onFormat` hears the format of each value: a text's variant label, a number's reading (the loader counts them). */
export function buildConverter(spec: ConverterSpec, onFormat?: (label: string) => void) {
  return targetType(spec).converter(spec, { widen: (to, reason): Rejection => new Widening(to, reason), onFormat });
}
