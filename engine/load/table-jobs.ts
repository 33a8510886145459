/**
 * Each table's job run through the export, in load order or several at
 * once: the rows set aside, the rejections of parents a child must follow,
 * and a table read again when its values need wider columns.
 */
import { MigrationError } from "../errors";
import { MigrationPlan, TablePlan } from "../plan/model";
import { SourceEvidence, TableEvidence } from "../profile";
import { attachSubset, openSource, RowSubset, SourceDatabase, SourceSchema, SourceTable } from "../source";
import { ReaderJob } from "./protocol";
import { widenTable } from "../plan/widen";
import { ReadResult, WideningRequired } from "./read-table";
import { duplicateKeys, structuralExclusions } from "./exclusions";
import { readerJob, rowidRangeOf } from "./jobs";

/** Reads of one table: the first, and one per widening (each finds every column needing it, so one is the rule). */
const MAX_READS_PER_TABLE = 4;

export interface TableRunContext {
  readonly table: TablePlan;
  readonly source: SourceTable;
  readonly evidence: TableEvidence;
  readonly job: ReaderJob;
  /** Rows set aside as duplicate keys before reading (for the gate). */
  readonly duplicates: number;
  /** The table goes on from its first slice (the job reads the rows outside it); false: the job reads them all. */
  readonly continuesSlice: boolean;
}

export interface SourceInputs {
  readonly sourcePath: string;
  readonly source: SourceSchema;
  readonly evidence: SourceEvidence;
  readonly plan: MigrationPlan;
  /** Read only these rows of the export (the canary's sample). */
  readonly subset?: RowSubset;
  /**
   * The load's first slice, read before (the canary's sample; `subset` is
   * then its complement): each table's keys of the rows it rejected. A
   * table goes on from its slice, unless its values need wider columns than
   * the slice's: it is then read whole, and its slice not kept.
   */
  readonly afterSlice?: ReadonlyMap<
    string,
    { readonly read: Pick<ReadResult, "rejectedKeys">; readonly job: Pick<ReaderJob, "referencedKeys"> }
  >;
}

/** Why a table's run cannot stand: a parent it references, still loading when it started, rejected rows it refers to. */
export class ParentRejectionsArrived extends Error {
  override readonly name = "ParentRejectionsArrived";
}

export interface TableJobContext extends TableRunContext {
  /**
   * Resolves once every earlier table this one references has been read;
   * rejects with ParentRejectionsArrived when one of them rejected rows the
   * job did not know of, and `run` must then undo its work. Only a
   * concurrent run (forEachTableJobConcurrently) waits; in order, every
   * parent is read before its child starts.
   */
  readonly parentsSettled: () => Promise<void>;
  /** Aborted when another table's run failed: stop early. */
  readonly signal?: AbortSignal;
}

/** The export's rows, set aside and rejected, as a run through the tables finds them. */
class TableJobs {
  private readonly db: SourceDatabase;
  readonly rejectedKeys = new Map<string, { sets: number[][]; keys: string[][] }>();
  private readonly prepared = new Map<string, ReturnType<TableJobs["prepareNew"]>>();

  constructor(private readonly inputs: SourceInputs) {
    this.db = openSource(inputs.sourcePath);
    attachSubset(this.db, inputs.subset);
    // The children of the rest read their parents' rejections in the slice too.
    for (const [table, { read, job }] of inputs.afterSlice ?? [])
      this.rejectedKeys.set(table, { sets: job.referencedKeys.map((s) => [...s]), keys: read.rejectedKeys });
  }

  close(): void {
    this.db.close();
  }

  /** What does not depend on other tables' results: the rows set aside up front and the rowid span (found once per table). */
  prepare(planned: TablePlan): ReturnType<TableJobs["prepareNew"]> {
    let found = this.prepared.get(planned.name);
    if (!found) this.prepared.set(planned.name, (found = this.prepareNew(planned)));
    return found;
  }

  private prepareNew(planned: TablePlan) {
    const { inputs, db } = this;
    const source = inputs.source.tables.find((t) => t.name === planned.source)!;
    const evidence = inputs.evidence.tables.find((t) => t.name === planned.source)!;
    // After a first slice the table's rows are counted, and set aside, whole: a table read whole needs them all.
    const counted = inputs.afterSlice ? undefined : inputs.subset;
    const duplicates = duplicateKeys(db, source, planned, counted);
    const exclusions = structuralExclusions(source, planned, evidence, duplicates);
    return { planned, source, evidence, duplicates, exclusions, rowidRange: rowidRangeOf(db, source, counted) };
  }

  job(prepared: ReturnType<TableJobs["prepare"]>, table: TablePlan, continuesSlice = false): ReaderJob {
    return readerJob({
      sourcePath: this.inputs.sourcePath,
      plan: this.inputs.plan,
      table,
      source: prepared.source,
      exclusions: prepared.exclusions,
      rejectedKeys: this.rejectedKeys,
      policy: this.inputs.plan.badValuePolicy,
      rowidRange: prepared.rowidRange,
      subset: this.inputs.afterSlice && !continuesSlice ? undefined : this.inputs.subset,
    });
  }

  /** Runs one table, read again with wider columns as often as its values need. */
  async run<T extends { read: ReadResult }>(
    planned: TablePlan,
    run: (context: TableJobContext) => Promise<T>,
    extra: Omit<TableJobContext, keyof TableRunContext>,
    onWidened?: (table: TablePlan) => void,
  ): Promise<T & TableRunContext> {
    const prepared = this.prepare(planned);
    let table = planned;
    let continuesSlice = this.inputs.afterSlice?.has(planned.name) ?? false;
    for (let reads = 1; ; reads++) {
      const job = this.job(prepared, table, continuesSlice);
      const context = {
        table,
        source: prepared.source,
        evidence: prepared.evidence,
        job,
        duplicates: prepared.duplicates.length,
        continuesSlice,
      };
      let result: T;
      try {
        result = await run({ ...context, ...extra });
      } catch (error) {
        if (!(error instanceof WideningRequired) || reads >= MAX_READS_PER_TABLE) throw error;
        table = widenTable(table, error.widenings);
        continuesSlice = false;
        onWidened?.(table);
        continue;
      }
      if (result.read.stats.rowsRead !== prepared.evidence.rows) {
        throw new MigrationError(
          "LOAD_FAILED",
          `table "${table.source}" had ${prepared.evidence.rows} rows when planned and ${result.read.stats.rowsRead} when read: the source changed during the migration`,
          { table: table.source },
        );
      }
      this.rejectedKeys.set(table.name, { sets: job.referencedKeys.map((s) => [...s]), keys: result.read.rejectedKeys });
      return { ...result, ...context };
    }
  }
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
  run: (context: TableJobContext) => Promise<T>,
  onWidened?: (table: TablePlan) => void,
): Promise<(T & TableRunContext)[]> {
  const jobs = new TableJobs(inputs);
  const results: (T & TableRunContext)[] = [];
  try {
    for (const planned of inputs.plan.tables)
      results.push(await jobs.run(planned, run, { parentsSettled: async () => undefined }, onWidened));
  } finally {
    jobs.close();
  }
  return results;
}

/**
 * forEachTableJob with up to `streams` tables at once, taken in load order.
 * A table starts with the rejections of the parents already read; before
 * it keeps its work it waits for the others (parentsSettled), and runs
 * again when one of them rejected rows it refers to, so the rows loaded are
 * those of a run in order. The first failure aborts the tables still
 * running and is thrown once they have all stopped.
 */
export async function forEachTableJobConcurrently<T extends { read: ReadResult }>(
  inputs: SourceInputs,
  streams: number,
  run: (context: TableJobContext) => Promise<T>,
  onWidened?: (table: TablePlan) => void,
  onParentRejections?: (table: TablePlan, error: ParentRejectionsArrived) => void,
): Promise<(T & TableRunContext)[]> {
  const { plan } = inputs;
  const jobs = new TableJobs(inputs);
  const read = new Map<string, Promise<unknown>>();
  const results: (T & TableRunContext)[] = new Array(plan.tables.length);
  const abort = new AbortController();
  let next = 0;
  const runOne = async (index: number) => {
    const planned = plan.tables[index];
    const parents = plan.tables.slice(0, index).filter((t) => planned.foreignKeys.some((fk) => fk.parentTable === t.name));
    for (;;) {
      const started = jobs.job(jobs.prepare(planned), planned).parentRejections;
      const parentsSettled = async () => {
        await Promise.all(parents.map((p) => read.get(p.name)));
        const now = jobs.job(jobs.prepare(planned), planned).parentRejections;
        if (JSON.stringify(now) !== JSON.stringify(started)) {
          const names = now.filter((p) => !started.some((s) => s.parentTable === p.parentTable)).map((p) => p.parentTable);
          throw new ParentRejectionsArrived(`${names.join(", ")} rejected rows that "${planned.name}" refers to while it was loading`);
        }
      };
      try {
        return await jobs.run(planned, run, { parentsSettled, signal: abort.signal }, onWidened);
      } catch (error) {
        if (!(error instanceof ParentRejectionsArrived)) throw error;
        onParentRejections?.(planned, error);
      }
    }
  };
  const stream = async () => {
    while (next < plan.tables.length && !abort.signal.aborted) {
      const index = next++;
      const done = runOne(index);
      read.set(
        plan.tables[index].name,
        done.catch(() => undefined),
      );
      try {
        results[index] = await done;
      } catch (error) {
        abort.abort(error);
        throw error;
      }
    }
  };
  try {
    const outcomes = await Promise.allSettled(Array.from({ length: Math.min(streams, plan.tables.length) }, stream));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) throw abort.signal.reason ?? failed.reason;
  } finally {
    jobs.close();
  }
  return results;
}
