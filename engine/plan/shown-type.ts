/** A column's type as a reviewer reads it: the PostgreSQL type, with the reading of its numbers when an override states one. */
import { READING_LABELS } from "../formats/number-readings";
import { ColumnPlan, TablePlan } from "./model";

export function shownType(column: ColumnPlan): string {
  const spec = column.converter;
  return spec.kind === "temporal" && spec.numbers.stated && spec.numbers.reading
    ? `${column.type} (numbers read as ${READING_LABELS[spec.numbers.reading]})`
    : column.type;
}

/** A table's columns, name -> shownType: what the preview diff, the review and a version's metadata show. */
export function shownColumns(table: Pick<TablePlan, "columns">): Record<string, string> {
  return Object.fromEntries(table.columns.map((c) => [c.name, shownType(c)]));
}
