/**
 * The reader job of a table: its columns and converters, the rows set
 * aside before loading (exclusions.ts) and the keys of rejected parent rows.
 */

import { BadValuePolicy, MigrationPlan, TablePlan } from "../plan/model";
import { rowidBounds, RowSubset, SourceDatabase, SourceTable } from "../source";
import { targetType } from "../types/target-types";
import { Exclusion, ParentRejections, ReaderJob } from "./protocol";
import { hashedByRows } from "../csv/row-hash";
import { referencedKeys } from "./exclusions";

/**
 * 256 KiB chunks: large enough to amortise messages between threads and
 * COPY's framing, small enough that the few in flight per worker (each
 * buffer filled again once consumed) keep memory flat. 1 MiB chunks peaked
 * 20-40 MB higher at the same speed.
 */
export const CHUNK_BYTES = 256 << 10;

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
      widensToText: c.typeSource === "inferred" && !targetType(c.converter).widen.holdsEverything,
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
