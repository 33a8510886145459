/**
 * The serialisable description of a column's conversion: the plan carries
 * it, the reader worker builds the converter from it.
 */
import { Converter, Widening } from "./conversion";
import { NumberSpec, TemporalTarget, temporalConverter } from "./temporal";
import { VARIANTS_BY_LABEL } from "./timestamp-formats";
import {
  booleanConverter,
  byteaConverter,
  floatConverter,
  IntegerType,
  integerConverter,
  numericConverter,
  textConverter,
} from "./scalars";

export type ConverterSpec =
  | { kind: "integer"; type: IntegerType }
  | { kind: "float" }
  | { kind: "numeric"; precision: number | null; scale: number }
  | { kind: "boolean" }
  | { kind: "temporal"; target: TemporalTarget; variants: string[]; numbers: NumberSpec; naiveZone: string | null }
  | { kind: "text" }
  | { kind: "bytea" };

/** `onFormat` hears the format of each temporal value: a text's variant label, a number's reading (the loader counts them). */
export function buildConverter(spec: ConverterSpec, onFormat?: (label: string) => void): Converter {
  switch (spec.kind) {
    case "integer":
      return integerConverter(spec.type);
    case "float":
      return floatConverter();
    case "numeric":
      return numericConverter(spec.precision, spec.scale);
    case "boolean":
      return booleanConverter();
    case "temporal":
      return temporalConverter(
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
        (target, reason) => new Widening({ ...spec, target }, reason),
      );
    case "text":
      return textConverter();
    case "bytea":
      return byteaConverter();
  }
}

/** The PostgreSQL type a spec produces (varchar length is the plan's business). */
export function targetTypeOf(spec: ConverterSpec): string {
  switch (spec.kind) {
    case "integer":
      return spec.type;
    case "float":
      return "double precision";
    case "numeric":
      return spec.precision === null ? "numeric" : `numeric(${spec.precision},${spec.scale})`;
    case "boolean":
      return "boolean";
    case "temporal":
      return spec.target === "timestamptz"
        ? "timestamp with time zone"
        : spec.target === "timestamp"
          ? "timestamp without time zone"
          : "date";
    case "text":
      return "text";
    case "bytea":
      return "bytea";
  }
}
