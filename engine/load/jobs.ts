/**
 * The reader job of each table: its columns and converters, the rows set
 * aside before loading (orphans, NULL keys, keys that become duplicates
 * once converted) and the keys of rejected parent rows.
 */
import { MigrationError } from "../errors";
import { BadValuePolicy, MigrationPlan, TablePlan } from "../plan/model";
import { SourceEvidence, TableEvidence } from "../profile";
import { rowKeyExpression } from "../profile/structure";
import { attachSubset, openSource, rowidBounds, RowSubset, SourceDatabase, SourceSchema, SourceTable, subsetWhere } from "../source";
import { quoteIdent } from "../sql/identifiers";
import { Exclusion, ParentRejections, ReaderJob } from "./protocol";
import { widenTable } from "../plan/widen";
import { ReadResult, WideningRequired } from "./read-table";
import { hashedByRows } from "./row-hash";

/**
 * 256 KiB chunks: large enough to amortise messages between threads and
 * COPY's framing, small enough that the few in flight per worker (each
 * buffer filled again once consumed) keep memory flat. 1 MiB chunks peaked
 * 20-40 MB higher at the same speed.
 */
export const CHUNK_BYTES = 256 << 10;

/** Reads of one table: the first, and one per widening (each finds every column needing it, so one is the rule). */
const MAX_READS_PER_TABLE = 4;

/** Canonical SQL of a key value under the column's conversion; NULL when it would not convert. */
function canonicalKey(kind: string, c: string): string {
  if (kind === "integer") {
    return `CASE WHEN typeof(${c}) = 'integer' THEN ${c} WHEN typeof(${c}) = 'text' AND ${c} <> '' AND NOT ltrim(${c}, '-') GLOB '*[^0-9]*' THEN CAST(${c} AS INTEGER) END`;
  }
  return `CAST(${c} AS TEXT)`;
}

/**
 * Rows whose key duplicates an earlier row's once converted (1 and '1' are
 * different values in a column without affinity, the same integer in
 * PostgreSQL). The first row by rowid keeps the key.
 */
export function duplicateKeys(db: SourceDatabase, source: SourceTable, table: TablePlan, subset?: RowSubset): Exclusion[] {
  if (source.rowidAlias || source.withoutRowid || table.primaryKey.length === 0) return [];
  const keyColumns = source.primaryKey.map((k) => {
    const kind = table.columns.find((c) => c.source === k)!.converter.kind;
    return canonicalKey(kind, quoteIdent(k));
  });
  const key = keyColumns.map((expr, i) => `${expr} AS k${i}`).join(", ");
  const partition = keyColumns.map((_, i) => `k${i}`).join(", ");
  const notNull = keyColumns.map((_, i) => `k${i} IS NOT NULL`).join(" AND ");
  const sql = `SELECT rk FROM (
      SELECT ${rowKeyExpression(source)} AS rk, row_number() OVER (PARTITION BY ${partition} ORDER BY rowid) AS n FROM (SELECT rowid, ${key} FROM ${quoteIdent(source.name)}${subsetWhere(source, subset)})
      WHERE ${notNull}) WHERE n > 1`;
  // rowKeyExpression refers to rowid, which the inner select carries.
  return (db.prepare(sql).pluck().all() as number[]).map((rowKey) => ({
    rowKey,
    column: source.primaryKey[0],
    reason: `duplicate primary key (${source.primaryKey.join(", ")}) once converted; the first row keeps it`,
    nullable: [],
  }));
}

export function structuralExclusions(
  source: SourceTable,
  table: TablePlan,
  evidence: TableEvidence,
  duplicates: readonly Exclusion[],
): Exclusion[] {
  const exclusions: Exclusion[] = [];
  for (const rowKey of evidence.nullKeys) {
    exclusions.push({ rowKey, column: source.primaryKey[0] ?? null, reason: "NULL in the primary key", nullable: [] });
  }
  for (const orphans of evidence.orphans) {
    const indexes = orphans.columns.map((c) => table.columns.findIndex((col) => col.source === c));
    const names = indexes.map((i) => table.columns[i].name);
    // Only foreign keys the plan recreates constrain the load.
    if (!table.foreignKeys.some((fk) => fk.columns.join("\u0001") === names.join("\u0001"))) continue;
    const nullable = indexes.every((i) => !table.columns[i].notNull) ? indexes : [];
    for (const rowKey of orphans.rowKeys) {
      exclusions.push({
        rowKey,
        column: orphans.columns[0],
        reason: `orphaned reference: no row of "${orphans.parentTable}" has this key`,
        nullable,
      });
    }
  }
  return [...exclusions, ...duplicates];
}

/** Key column sets of `table` that other tables' foreign keys reference. */
export function referencedKeys(plan: MigrationPlan, table: TablePlan): number[][] {
  const sets: number[][] = [];
  for (const other of plan.tables) {
    for (const fk of other.foreignKeys) {
      if (fk.parentTable !== table.name) continue;
      const set = fk.parentColumns.map((c) => table.columns.findIndex((col) => col.name === c));
      if (!sets.some((s) => s.join() === set.join())) sets.push(set);
    }
  }
  return sets;
}

export interface JobInputs {
  readonly sourcePath: string;
  readonly plan: MigrationPlan;
  readonly table: TablePlan;
  readonly source: SourceTable;
  readonly exclusions: readonly Exclusion[];
  /** Keys of rejected rows per table, per referenced key set (as referencedKeys orders them). */
  readonly rejectedKeys: ReadonlyMap<string, { sets: number[][]; keys: string[][] }>;
  readonly policy: BadValuePolicy;
  /** min and max rowid of a rowid table (null for WITHOUT ROWID or empty tables). */
  readonly rowidRange: { lo: number; hi: number } | null;
  readonly subset?: RowSubset;
}

/** The rowid span of a table, for splitting its reading; null when it has no rowid or no rows. */
export function rowidRangeOf(db: SourceDatabase, source: SourceTable, subset?: RowSubset): { lo: number; hi: number } | null {
  if (source.withoutRowid) return null;
  return rowidBounds(db, source.name, subset);
}

export function readerJob(inputs: JobInputs): ReaderJob {
  const { table, source, plan } = inputs;
  const parentRejections: ParentRejections[] = [];
  for (const fk of table.foreignKeys) {
    const parent = plan.tables.find((t) => t.name === fk.parentTable)!;
    const rejected = inputs.rejectedKeys.get(parent.name);
    if (!rejected) continue;
    const set = fk.parentColumns.map((c) => parent.columns.findIndex((col) => col.name === c));
    const k = rejected.sets.findIndex((s) => s.join() === set.join());
    if (k < 0 || rejected.keys[k].length === 0) continue;
    parentRejections.push({
      parentTable: parent.name,
      columns: fk.columns.map((c) => table.columns.findIndex((col) => col.name === c)),
      keys: rejected.keys[k],
    });
  }
  const referenced = new Set(referencedKeys(plan, table).flat());
  const referencing = new Set(table.foreignKeys.flatMap((fk) => fk.columns));
  return {
    sourcePath: inputs.sourcePath,
    table: source.name,
    withoutRowid: source.withoutRowid,
    primaryKey: source.primaryKey,
    readOrder: table.readOrder,
    columns: table.columns.map((c, i) => ({
      source: c.source,
      name: c.name,
      converter: c.converter,
      maxLength: c.maxLength,
      notNull: c.notNull,
      key: source.primaryKey.includes(c.source),
      fixedType:
        c.typeSource === "override"
          ? "override"
          : source.primaryKey.includes(c.source)
            ? "key"
            : referencing.has(c.name) || referenced.has(i)
              ? "reference"
              : null,
      widensToText: c.typeSource === "inferred" && c.converter.kind !== "text",
    })),
    policy: inputs.policy,
    exclusions: inputs.exclusions,
    parentRejections,
    referencedKeys: referencedKeys(plan, table),
    chunkBytes: CHUNK_BYTES,
    hashRows: hashedByRows(table),
    rowidRange: inputs.rowidRange,
    ...(inputs.subset ? { subset: inputs.subset } : {}),
  };
}

export interface TableRunContext {
  readonly table: TablePlan;
  readonly source: SourceTable;
  readonly evidence: TableEvidence;
  readonly job: ReaderJob;
  /** Rows set aside as duplicate keys before reading (for the gate). */
  readonly duplicates: number;
}

export interface SourceInputs {
  readonly sourcePath: string;
  readonly source: SourceSchema;
  readonly evidence: SourceEvidence;
  readonly plan: MigrationPlan;
  /** Read only these rows of the export (the canary's sample). */
  readonly subset?: RowSubset;
}

/**
 * Runs `run` for every table in load order with its reader job: the rows
 * set aside up front, and the keys of rows rejected in parent tables (so
 * children follow them out). A table whose values need wider types than
 * planned is run again with those columns widened: `run` must leave
 * nothing behind when it throws WideningRequired. Checks the source did not
 * change since it was planned. Load and dry run share it.
 */
export async function forEachTableJob<T extends { read: ReadResult }>(
  inputs: SourceInputs,
  run: (context: TableRunContext) => Promise<T>,
  onWidened?: (table: TablePlan) => void,
): Promise<(T & TableRunContext)[]> {
  const { plan, subset } = inputs;
  const db = openSource(inputs.sourcePath);
  attachSubset(db, subset);
  const rejectedKeys = new Map<string, { sets: number[][]; keys: string[][] }>();
  const results: (T & TableRunContext)[] = [];
  try {
    for (const planned of plan.tables) {
      const source = inputs.source.tables.find((t) => t.name === planned.source)!;
      const evidence = inputs.evidence.tables.find((t) => t.name === planned.source)!;
      const duplicates = duplicateKeys(db, source, planned, subset);
      const exclusions = structuralExclusions(source, planned, evidence, duplicates);
      const rowidRange = rowidRangeOf(db, source, subset);
      let table = planned;
      let outcome: { result: T; context: TableRunContext } | null = null;
      for (let reads = 1; outcome === null; reads++) {
        const job = readerJob({
          sourcePath: inputs.sourcePath,
          plan,
          table,
          source,
          exclusions,
          rejectedKeys,
          policy: plan.badValuePolicy,
          rowidRange,
          subset,
        });
        const context = { table, source, evidence, job, duplicates: duplicates.length };
        try {
          outcome = { result: await run(context), context };
        } catch (error) {
          if (!(error instanceof WideningRequired) || reads >= MAX_READS_PER_TABLE) throw error;
          table = widenTable(table, error.widenings);
          onWidened?.(table);
        }
      }
      const { result, context } = outcome;
      if (result.read.stats.rowsRead !== evidence.rows) {
        throw new MigrationError(
          "LOAD_FAILED",
          `table "${table.source}" had ${evidence.rows} rows when planned and ${result.read.stats.rowsRead} when read: the source changed during the migration`,
          { table: table.source },
        );
      }
      rejectedKeys.set(table.name, { sets: context.job.referencedKeys.map((s) => [...s]), keys: result.read.rejectedKeys });
      results.push({ ...result, ...context });
    }
  } finally {
    db.close();
  }
  return results;
}
