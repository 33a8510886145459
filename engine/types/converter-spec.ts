/**
 * The serialisable description of a column's conversion: the plan carries
 * it, the reader worker builds the converter from it.
 */
import { Converter, Widening } from "./conversion";
import { EpochUnit, TemporalTarget, temporalConverter } from "./temporal";
import { TimestampVariant, VARIANTS_BY_LABEL } from "./timestamp-formats";
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
  | { kind: "temporal"; target: TemporalTarget; variants: string[]; epoch: EpochUnit | null; naiveZone: string | null }
  | { kind: "text" }
  | { kind: "bytea" };

/** `onVariant` hears which timestamp format each temporal text matched (the loader counts them). */
export function buildConverter(spec: ConverterSpec, onVariant?: (variant: TimestampVariant) => void): Converter {
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
          epoch: spec.epoch,
          naiveZone: spec.naiveZone,
        },
        onVariant,
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
