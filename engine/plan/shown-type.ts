/** A column's type as a reviewer reads it: the PostgreSQL type, with the reading of its numbers when an override states one. */
import { READING_LABELS } from "../formats/number-readings";
import { ColumnPlan } from "./model";

export function shownType(column: ColumnPlan): string {
  const spec = column.converter;
  return spec.kind === "temporal" && spec.numbers.stated && spec.numbers.reading
    ? `${column.type} (numbers read as ${READING_LABELS[spec.numbers.reading]})`
    : column.type;
}
