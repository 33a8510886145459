/**
 * The reader job of each table: its columns and converters, the rows set
 * aside before loading (orphans, NULL keys, keys that become duplicates
 * once converted) and the keys of rejected parent rows.
 */
import { MigrationError } from "../errors";
import { BadValuePolicy, MigrationPlan, TablePlan } from "../plan/model";
import { SourceEvidence, TableEvidence } from "../profile";
import { rowKeyExpression } from "../profile/structure";
import { openSource, rowidBounds, SourceDatabase, SourceSchema, SourceTable } from "../source";
import { quoteIdent } from "../sql/identifiers";
import { Exclusion, ParentRejections, ReaderJob } from "./protocol";
import { ReadResult } from "./read-table";
import { hashedByRows } from "./row-hash";

/**
 * 256 KiB chunks: large enough to amortise messages between threads and
 * COPY's framing, small enough that the few in flight per worker (and those
 * waiting for the garbage collector) keep memory flat. 1 MiB chunks peaked
 * 20-40 MB higher at the same speed.
 */
export const CHUNK_BYTES = 256 << 10;

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
export function duplicateKeys(db: SourceDatabase, source: SourceTable, table: TablePlan): Exclusion[] {
  if (source.rowidAlias || source.withoutRowid || table.primaryKey.length === 0) return [];
  const keyColumns = source.primaryKey.map((k) => {
    const kind = table.columns.find((c) => c.source === k)!.converter.kind;
    return canonicalKey(kind, quoteIdent(k));
  });
  const key = keyColumns.map((expr, i) => `${expr} AS k${i}`).join(", ");
  const partition = keyColumns.map((_, i) => `k${i}`).join(", ");
  const notNull = keyColumns.map((_, i) => `k${i} IS NOT NULL`).join(" AND ");
  const sql = `SELECT rk FROM (
      SELECT ${rowKeyExpression(source)} AS rk, row_number() OVER (PARTITION BY ${partition} ORDER BY rowid) AS n FROM (SELECT rowid, ${key} FROM ${quoteIdent(source.name)})
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
      exclusions.push({ rowKey, column: orphans.columns[0], reason: `orphaned reference: no row of "${orphans.parentTable}" has this key`, nullable });
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
}

/** The rowid span of a table, for splitting its reading; null when it has no rowid or no rows. */
export function rowidRangeOf(db: SourceDatabase, source: SourceTable): { lo: number; hi: number } | null {
  if (source.withoutRowid) return null;
  return rowidBounds(db, source.name);
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
  return {
    sourcePath: inputs.sourcePath,
    table: source.name,
    withoutRowid: source.withoutRowid,
    primaryKey: source.primaryKey,
    readOrder: table.readOrder,
    columns: table.columns.map((c) => ({
      source: c.source, name: c.name, converter: c.converter, maxLength: c.maxLength, notNull: c.notNull,
      key: source.primaryKey.includes(c.source),
    })),
    policy: inputs.policy,
    exclusions: inputs.exclusions,
    parentRejections,
    referencedKeys: referencedKeys(plan, table),
    chunkBytes: CHUNK_BYTES,
    hashRows: hashedByRows(table),
    rowidRange: inputs.rowidRange,
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
}

/**
 * Runs `run` for every table in load order with its reader job: the rows
 * set aside up front, and the keys of rows rejected in parent tables (so
 * children follow them out). Checks the source did not change since it was
 * planned. Load and dry run share it.
 */
export async function forEachTableJob<T extends { read: ReadResult }>(
  inputs: SourceInputs,
  run: (context: TableRunContext) => Promise<T>,
): Promise<(T & TableRunContext)[]> {
  const { plan } = inputs;
  const db = openSource(inputs.sourcePath);
  const rejectedKeys = new Map<string, { sets: number[][]; keys: string[][] }>();
  const results: (T & TableRunContext)[] = [];
  try {
    for (const table of plan.tables) {
      const source = inputs.source.tables.find((t) => t.name === table.source)!;
      const evidence = inputs.evidence.tables.find((t) => t.name === table.source)!;
      const duplicates = duplicateKeys(db, source, table);
      const exclusions = structuralExclusions(source, table, evidence, duplicates);
      const job = readerJob({
        sourcePath: inputs.sourcePath, plan, table, source, exclusions, rejectedKeys, policy: plan.badValuePolicy, rowidRange: rowidRangeOf(db, source),
      });
      const context = { table, source, evidence, job, duplicates: duplicates.length };
      const result = await run(context);
      if (result.read.stats.rowsRead !== evidence.rows) {
        throw new MigrationError("LOAD_FAILED", `table "${table.source}" had ${evidence.rows} rows when planned and ${result.read.stats.rowsRead} when read: the source changed during the migration`);
      }
      rejectedKeys.set(table.name, { sets: job.referencedKeys.map((s) => [...s]), keys: result.read.rejectedKeys });
      results.push({ ...result, ...context });
    }
  } finally {
    db.close();
  }
  return results;
}
