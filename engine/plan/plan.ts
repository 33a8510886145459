/**
 * Builds the migration plan from the source schema, the sample evidence
 * and the options: tables in load order, PostgreSQL names and types, keys,
 * foreign keys and indexes, and notes on everything dropped or assumed.
 */
import { createHash } from "node:crypto";
import { OptionError, SourceError } from "../errors";
import { STORAGE_REVISION } from "../revision";
import { ColumnEvidence, SourceEvidence, TableEvidence } from "../profile";
import { SourceSchema, SourceTable } from "../source";
import { DEFAULTS } from "../defaults";
import { targetTypeOf } from "../types/target-types";
import { dateRangeText, parseDateRange } from "../formats/number-readings";
import { isInferredFamily, parseDeclaredType } from "../types/declared";
import { castColumn } from "./cast-table";
import { translateDefault } from "./defaults";
import { BadValuePolicy, ColumnPlan, MigrationPlan, PlanNote, TablePlan } from "./model";
import { checkNames, columnName, RenameMap, tableName } from "./names";
import { overrideConverter } from "./overrides";
import { foreignKeysOf, indexesOf, primaryKeyName, readOrderOf, settleRelationNames } from "./keys";
import { loadOrder } from "./order";

export interface PlanOptions {
  /** What to do with a value that cannot be converted. Defaults to "reject". */
  readonly badValuePolicy?: BadValuePolicy;
  /** table -> column -> PostgreSQL type. */
  readonly typeOverrides?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** IANA zone of naive timestamps; when set they load as timestamptz. Defaults to none (timestamp). */
  readonly timezone?: string | null;
  /** Source tables to migrate (default all) and to leave out. */
  readonly includeTables?: readonly string[];
  readonly excludeTables?: readonly string[];
  readonly renames?: RenameMap;
  /** Years a number in a date column must fall in to be read as a date ("1900-2200"). Defaults to DEFAULTS.dateRange. */
  readonly dateRange?: string;
}

export function buildPlan(schema: SourceSchema, evidence: SourceEvidence, sourcePath: string, options: PlanOptions = {}): MigrationPlan {
  const notes: PlanNote[] = schema.skipped.map((s) => ({ level: "warning", message: `${s.kind} "${s.name}" skipped: ${s.reason}` }));
  const tables = selectTables(schema, sourcePath, options);
  const renames = options.renames ?? {};
  checkNames(
    renames,
    tables.map((t) => ({ name: t.name, columns: t.columns })),
  );
  checkOverrides(tables, options.typeOverrides ?? {});
  if (options.timezone) checkTimezone(options.timezone);
  const dateRange = dateRangeOf(options);
  const planned = tables.map((table) => planTable(table, evidenceOf(evidence, table.name), tables, { ...options, dateRange }, notes));
  const ordered = settleRelationNames(loadOrder(planned, notes), notes);
  const badValuePolicy = options.badValuePolicy ?? "reject";
  return { tables: ordered, notes, badValuePolicy, fingerprint: fingerprintOf(ordered, badValuePolicy) };
}

function selectTables(schema: SourceSchema, sourcePath: string, options: PlanOptions): SourceTable[] {
  const names = new Set(schema.tables.map((t) => t.name));
  for (const [field, list] of [
    ["includeTables", options.includeTables],
    ["excludeTables", options.excludeTables],
  ] as const) {
    const unknown = (list ?? []).filter((n) => !names.has(n));
    if (unknown.length > 0) throw new OptionError(field, `no table ${unknown.map((n) => `"${n}"`).join(", ")} in the source`);
  }
  const include = options.includeTables && options.includeTables.length > 0 ? new Set(options.includeTables) : null;
  const exclude = new Set(options.excludeTables ?? []);
  const selected = schema.tables.filter((t) => (include === null || include.has(t.name)) && !exclude.has(t.name));
  if (selected.length === 0) {
    throw new SourceError(
      "NO_TABLES_SELECTED",
      sourcePath,
      schema.tables.length === 0
        ? `source ${sourcePath} holds no tables`
        : `no table of ${sourcePath} is left after the include/exclude lists`,
    );
  }
  return selected;
}

function checkOverrides(tables: readonly SourceTable[], overrides: NonNullable<PlanOptions["typeOverrides"]>): void {
  for (const [table, columns] of Object.entries(overrides)) {
    const known = tables.find((t) => t.name === table);
    if (!known) throw new OptionError("typeOverrides", `no table "${table}" among the migrated tables`);
    for (const column of Object.keys(columns)) {
      if (!known.columns.some((c) => c.name === column))
        throw new OptionError(`typeOverrides.${table}`, `no column "${column}" in table "${table}"`);
    }
  }
}

function checkTimezone(zone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new OptionError("timezone", `"${zone}" is not an IANA time zone name (for example Europe/Paris or UTC)`);
  }
}

function dateRangeOf(options: PlanOptions): string {
  const text = options.dateRange ?? DEFAULTS.dateRange;
  const range = parseDateRange(text);
  if (!range)
    throw new OptionError("dateRange", `must be two years "from-to", from before to, within 1-10000 (e.g. "1900-2200"), got "${text}"`);
  return dateRangeText(range);
}

function evidenceOf(evidence: SourceEvidence, table: string): TableEvidence {
  const found = evidence.tables.find((t) => t.name === table);
  if (!found) throw new Error(`no evidence gathered for table "${table}"`);
  return found;
}

function planTable(
  table: SourceTable,
  evidence: TableEvidence,
  tables: readonly SourceTable[],
  options: PlanOptions,
  notes: PlanNote[],
): TablePlan {
  const renames = options.renames ?? {};
  const columns = table.columns.map((column, i) => planColumn(table, column, evidence.columns[i], options, notes));
  const name = tableName(renames, table.name);
  const primaryKey = table.primaryKey.map((c) => columnName(renames, table.name, c));
  return {
    source: table.name,
    name,
    columns,
    primaryKey,
    primaryKeyName: primaryKey.length > 0 ? primaryKeyName(name) : null,
    foreignKeys: foreignKeysOf(table, tables, renames, notes),
    indexes: indexesOf(table, renames),
    withoutRowid: table.withoutRowid,
    readOrder: readOrderOf(table, columns),
    rows: evidence.rows,
  };
}

function planColumn(
  table: SourceTable,
  column: SourceTable["columns"][number],
  evidence: ColumnEvidence,
  options: PlanOptions,
  notes: PlanNote[],
): ColumnPlan {
  const where = `"${table.name}"."${column.name}"`;
  const override = options.typeOverrides?.[table.name]?.[column.name];
  const timezone = options.timezone ?? null;
  const dateRange = parseDateRange(options.dateRange ?? DEFAULTS.dateRange)!;
  const declared = parseDeclaredType(column.declaredType);
  const decided = override
    ? {
        ...overrideConverter(override, evidence, { timezone, dateRange }, `${table.name}.${column.name}`),
        reason: `override: ${override}`,
        warnings: [] as string[],
      }
    : castColumn({ declared, evidence, timezone, dateRange });
  for (const warning of decided.warnings) notes.push({ level: "warning", message: `${where}: ${warning}` });
  const def = translateDefault(column.defaultSql, decided.converter, where);
  if (def.warning) notes.push({ level: "warning", message: def.warning });
  if (column.generated)
    notes.push({ level: "info", message: `${where} is a generated column: its values are copied, the expression is not` });
  return {
    source: column.name,
    name: columnName(options.renames ?? {}, table.name, column.name),
    declaredType: column.declaredType,
    type: decided.maxLength !== null ? `character varying(${decided.maxLength})` : targetTypeOf(decided.converter),
    converter: decided.converter,
    maxLength: decided.maxLength,
    notNull: column.notNull || table.rowidAlias === column.name,
    defaultSql: def.sql,
    reason: decided.reason,
    typeSource: override ? "override" : isInferredFamily(declared.family) ? "inferred" : "declared",
    ...("notADate" in decided && decided.notADate ? { notADate: decided.notADate } : {}),
  };
}

/** sha256 of everything that shapes the loaded data, the engine's storage revision included. */
export function fingerprintOf(tables: readonly TablePlan[], policy: BadValuePolicy, revision = STORAGE_REVISION): string {
  const shape = tables.map((t) => ({
    source: t.source,
    name: t.name,
    pk: t.primaryKey,
    fks: t.foreignKeys,
    indexes: t.indexes,
    columns: t.columns.map((c) => ({
      source: c.source,
      name: c.name,
      type: c.type,
      converter: c.converter,
      notNull: c.notNull,
      defaultSql: c.defaultSql,
      typeSource: c.typeSource,
    })),
  }));
  return createHash("sha256")
    .update(JSON.stringify({ revision, policy, tables: shape }))
    .digest("hex");
}
