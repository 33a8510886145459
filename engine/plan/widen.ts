/**
 * Widening a planned column when values outside the sample need a wider
 * type than the sample suggested (an offset in a naive timestamp column,
 * a time of day in a date column, a decimal in an integer column): the
 * column takes the type that holds every value exactly, and says why.
 */
import type { ColumnWidening } from "./model";
import { ConverterSpec, targetType, targetTypeOf } from "../types/target-types";
import { TablePlan } from "./model";

/**
 * Of two types a column's values need, the one that holds both: a type
 * that holds everything (text); of two specs of one kind, the one its
 * entry says (timestamps widen in steps); any other column widens only one
 * way (to numeric, or from varchar(n) to text).
 */
export function widerOf(a: ConverterSpec, b: ConverterSpec): ConverterSpec {
  if (targetType(a).widen.holdsEverything) return a;
  if (targetType(b).widen.holdsEverything) return b;
  return a.kind === b.kind ? targetType(a).widen.wider(a, b as typeof a) : a;
}

export function widenTable(table: TablePlan, widenings: readonly ColumnWidening[]): TablePlan {
  const columns = table.columns.map((column, i) => {
    const widening = widenings.find((w) => w.column === i);
    if (!widening) return column;
    const type = targetTypeOf(widening.to);
    const values = widening.values + (column.widened?.values ?? 0);
    return {
      ...column,
      converter: widening.to,
      maxLength: null,
      type,
      reason: `${column.reason}; widened to ${type} for ${values} value(s) outside the sample (first, row ${widening.example.rowKey}: ${widening.example.value} ${widening.reason})`,
      widened: {
        from: column.widened?.from ?? column.type,
        reason: column.widened?.reason ?? widening.reason,
        values,
        example: column.widened?.example ?? widening.example,
      },
    };
  });
  return { ...table, columns };
}

/** A progress line: which columns widen, from what to what, and why. */
export function widenedMessage(table: TablePlan): string {
  const columns = table.columns
    .filter((c) => c.widened)
    .map(
      (c) =>
        `"${table.name}"."${c.name}" from ${c.widened!.from} to ${c.type} for ${c.widened!.values} value(s) (first: ${c.widened!.example.value} ${c.widened!.reason})`,
    );
  return `widening ${columns.join(", ")}; reading ${table.name} again`;
}
