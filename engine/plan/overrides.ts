/** Per-column type overrides ("timestamp", "numeric(12,2)", "text", ...) as converter specs. */
import { OptionError } from "../errors";
import { ColumnEvidence } from "../profile";
import { ConverterSpec } from "../types/converter-spec";
import { TemporalTarget } from "../types/temporal";
import { epochUnit, settleSlashOrder } from "./cast-table";

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
  "bigint, double precision, numeric, numeric(p,s), boolean, text, varchar(n), bytea, date, timestamp, timestamptz";

/** The converter for an override; timestamp formats still come from the sample. */
export function overrideConverter(
  type: string,
  evidence: ColumnEvidence,
  timezone: string | null,
  where: string,
): { converter: ConverterSpec; maxLength: number | null } {
  const normalized = type
    .trim()
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/\s*([(),])\s*/g, "$1");
  const rule = OVERRIDES.find(([pattern]) => pattern.test(normalized));
  if (!rule) throw new OptionError(`typeOverrides.${where}`, `unknown type "${type}"; use one of: ${OVERRIDE_TYPES}`);
  const shape = rule[1](rule[0].exec(normalized)!);
  if (shape.kind === "converter") return { converter: shape.converter, maxLength: shape.maxLength };
  const variants = settleSlashOrder(evidence.variants, evidence.variantCounts).variants.map((v) => v.label);
  return {
    converter: { kind: "temporal", target: shape.target, variants, epoch: epochUnit(evidence), naiveZone: timezone },
    maxLength: null,
  };
}
