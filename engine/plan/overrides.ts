/**
 * Per-column type overrides ("timestamp", "numeric(12,2)", "text", ...) as
 * converter specs. A date type may state how its numbers read, after a
 * colon: `timestamptz:unix-ms`, `timestamp:julian`, `date:unix-s`; every
 * number of the column is then read so, whatever its magnitude.
 */
import { OptionError } from "../errors";
import { ColumnEvidence } from "../profile";
import { ConverterSpec } from "../types/converter-spec";
import { DateRange, NUMBER_READINGS, NumberReading } from "../types/number-readings";
import { TemporalTarget } from "../types/temporal";
import { settleSlashOrder, usualReading } from "./cast-table";

type OverrideShape =
  { kind: "converter"; converter: ConverterSpec; maxLength: number | null } | { kind: "temporal"; target: TemporalTarget };

const fixed = (converter: ConverterSpec, maxLength: number | null = null): OverrideShape => ({ kind: "converter", converter, maxLength });

const OVERRIDES: readonly [RegExp, (m: RegExpExecArray) => OverrideShape][] = [
  [/^(bigint|int8|integer|int|int4|smallint|int2)$/, () => fixed({ kind: "integer", type: "bigint" })],
  [/^(double precision|float8|float|real|float4)$/, () => fixed({ kind: "float" })],
  [/^(numeric|decimal)$/, () => fixed({ kind: "numeric", precision: null, scale: 0 })],
  [/^(numeric|decimal)\((\d+)(?:,(\d+))?\)$/, (m) => fixed({ kind: "numeric", precision: Number(m[2]), scale: Number(m[3] ?? 0) })],
  [/^(boolean|bool)$/, () => fixed({ kind: "boolean" })],
  [/^text$/, () => fixed({ kind: "text" })],
  [/^(varchar|character varying)\((\d+)\)$/, (m) => fixed({ kind: "text" }, Number(m[2]))],
  [/^bytea$/, () => fixed({ kind: "bytea" })],
  [/^date$/, () => ({ kind: "temporal", target: "date" })],
  [/^(timestamp|timestamp without time zone)$/, () => ({ kind: "temporal", target: "timestamp" })],
  [/^(timestamptz|timestamp with time zone)$/, () => ({ kind: "temporal", target: "timestamptz" })],
];

export const OVERRIDE_TYPES =
  "bigint, double precision, numeric, numeric(p,s), boolean, text, varchar(n), bytea, date, timestamp, timestamptz " +
  `(a date type may add a reading of its numbers: ${NUMBER_READINGS.map((r) => `:${r}`).join(", ")})`;

/** The converter for an override; timestamp formats still come from the sample, numbers' readings too unless stated. */
export function overrideConverter(
  type: string,
  evidence: ColumnEvidence,
  context: { readonly timezone: string | null; readonly dateRange: DateRange },
  where: string,
): { converter: ConverterSpec; maxLength: number | null } {
  const [typeName, stated, ...extra] = type
    .trim()
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/\s*([(),:])\s*/g, "$1")
    .split(":");
  const rule = OVERRIDES.find(([pattern]) => pattern.test(typeName));
  if (!rule || extra.length > 0) throw new OptionError(`typeOverrides.${where}`, `unknown type "${type}"; use one of: ${OVERRIDE_TYPES}`);
  const shape = rule[1](rule[0].exec(typeName)!);
  if (stated !== undefined && (shape.kind !== "temporal" || !NUMBER_READINGS.includes(stated as NumberReading)))
    throw new OptionError(
      `typeOverrides.${where}`,
      shape.kind === "temporal"
        ? `unknown reading "${stated}" of numbers; use one of: ${NUMBER_READINGS.join(", ")}`
        : `"${type}": only date, timestamp and timestamptz take a reading of numbers`,
    );
  if (shape.kind === "converter") return { converter: shape.converter, maxLength: shape.maxLength };
  const variants = settleSlashOrder(evidence.variants, evidence.variantCounts).variants.map((v) => v.label);
  const numbers =
    stated === undefined
      ? { reading: usualReading(evidence, context.dateRange), stated: false, range: context.dateRange }
      : { reading: stated as NumberReading, stated: true, range: context.dateRange };
  return { converter: { kind: "temporal", target: shape.target, variants, numbers, naiveZone: context.timezone }, maxLength: null };
}
