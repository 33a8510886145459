/**
 * The raw COPY floor's tables: the engine's own plan, with each column typed
 * as PostgreSQL can parse SQLite's text output directly, so COPY does all
 * conversion and the floor does none.
 *
 * - ISO timestamps and dates, numerics, integers, doubles: the plan's type.
 * - DD/MM/YYYY timestamps: the plan's type, read with DateStyle 'ISO, DMY'
 *   (ISO values with a four-digit year first still read as year-month-day).
 * - Booleans: the plan's type. PostgreSQL's boolean input takes 1/0,
 *   true/false, yes/no, t/f, on/off in any case, which covers every form
 *   the engine's boolean converter accepts, 0/1 integers included.
 * - Epoch seconds or milliseconds: bigint, the raw number (COPY has no
 *   epoch conversion).
 * - Blobs: bytea from a hex literal the SELECT builds ('\x' || hex(col)).
 */
import { ColumnPlan, TablePlan } from "../engine/plan/model";

export interface FloorColumn {
  readonly name: string;
  /** The type in the floor's table. */
  readonly type: string;
  /** The plan's type, when the floor differs from it. */
  readonly planType: string;
  /** SQLite expression selected for the column. */
  readonly select: string;
}

/** SQLite identifier quoting. */
function sqliteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function floorColumn(column: ColumnPlan): FloorColumn {
  const spec = column.converter;
  const source = sqliteIdent(column.source);
  const base = { name: column.name, planType: column.type };
  if (spec.kind === "temporal" && spec.numbers.reading !== null) return { ...base, type: "bigint", select: source };
  if (spec.kind === "bytea") return { ...base, type: "bytea", select: `'\\x' || hex(${source})` };
  return { ...base, type: column.type, select: source };
}

/** The plan of the floor's table: same names, keys and indexes, floor types; defaults dropped where the type changed. */
export function floorTablePlan(table: TablePlan): TablePlan {
  return {
    ...table,
    columns: table.columns.map((c) => {
      const floor = floorColumn(c);
      return floor.type === c.type ? c : { ...c, type: floor.type, defaultSql: null };
    }),
  };
}

/** The SELECT sqlite3 runs to export the table as CSV, columns in plan order. */
export function floorSelectSql(table: TablePlan): string {
  return `SELECT ${table.columns.map((c) => floorColumn(c).select).join(", ")} FROM ${sqliteIdent(table.source)}`;
}

/** Columns whose floor type is not the plan's type (reported with the results). */
export function floorTypeChanges(tables: readonly TablePlan[]): { table: string; column: string; planType: string; floorType: string }[] {
  return tables.flatMap((t) =>
    t.columns
      .map((c) => ({ table: t.name, column: c.name, planType: c.type, floorType: floorColumn(c).type }))
      .filter((c) => c.planType !== c.floorType),
  );
}
