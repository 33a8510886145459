/**
 * Runs reader workers for one table and feeds their chunks to a consumer
 * (the COPY stream, or a hash in a dry run), granting a credit back for each
 * chunk consumed: memory holds a few chunks per worker, whatever the size of
 * the table. A large rowid table is split between two workers, because
 * reading and converting is the slower side of the pipe; their chunks are
 * consumed in arrival order, and that order is logged so a row PostgreSQL
 * refuses can still be named.
 */
import { Worker } from "node:worker_threads";
import { BadValueError, MigrationError } from "../errors";
import { widerOf } from "../plan/widen";
import { sourceFailure } from "../source/open";
import { workerScript } from "../worker-script";
import { ColumnReadStats, ColumnWidening, ParentMessage, ReaderJob, RejectRecord, TableReadStats, WorkerMessage } from "./protocol";
import { combineRowHashes } from "../csv/row-hash";

/** Rowid spans smaller than this are read by one worker (starting one costs more than it saves). */
export const SPLIT_MIN_ROWIDS = 50_000;

/**
 * Heap of a reader worker. The young generation is kept small: readers make
 * short-lived strings at a high rate, and a young generation fills to its
 * limit whatever that is. V8's default let each worker hold ~40 MB more
 * (peak RSS at 1M tickets: 330 MB with the default, 290 MB with 8 MB); 4 MB
 * took a complete run's peak from 212 to 192 MB for 1.6% more reader CPU
 * (2 MB: 184 MB, 3.5% more). The old generation is left large so a single
 * value of hundreds of megabytes still converts.
 */
const READER_HEAP = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 1024 };

export interface ReadResult {
  readonly stats: TableReadStats;
  /** Per referenced key set of the table, the keys of its rejected rows. */
  readonly rejectedKeys: string[][];
  /** Order-independent sum of row hashes, when the job asked for it. */
  readonly rowHash: string | null;
  /** The jobs the workers ran, and which worker each consumed chunk came from, with its rows. */
  readonly parts: readonly ReaderJob[];
  readonly chunkLog: readonly { readonly part: number; readonly rows: number }[];
}

export interface ChunkConsumer {
  /**
   * Resolves when the chunk is accepted (after backpressure) and nothing
   * refers to its bytes any more: its buffer then goes back to the reader,
   * which fills it with a later chunk.
   */
  chunk(data: Buffer, rows: number): Promise<void> | void;
  rejects(records: RejectRecord[]): Promise<void> | void;
}

/**
 * Columns of the table need a wider type than planned: nothing read is
 * kept, and the caller reads the table again with them widened.
 */
export class WideningRequired extends Error {
  override readonly name = "WideningRequired";
  constructor(
    readonly table: string,
    readonly widenings: readonly ColumnWidening[],
  ) {
    super(`table "${table}": ${widenings.map((w) => `column ${w.column} needs ${w.to.kind}`).join(", ")}`);
  }
}

/** The widenings found by the parts of one read, one per column: the widest, with every value counted. */
function mergeWidenings(found: readonly (readonly ColumnWidening[])[]): ColumnWidening[] {
  const byColumn = new Map<number, ColumnWidening>();
  for (const w of found.flat()) {
    const known = byColumn.get(w.column);
    if (!known) byColumn.set(w.column, w);
    else byColumn.set(w.column, { ...known, to: widerOf(known.to, w.to), values: known.values + w.values });
  }
  return [...byColumn.values()].sort((a, b) => a.column - b.column);
}

function spawnReader(job: ReaderJob): Worker {
  const { script, execArgv } = workerScript("load/reader-worker");
  return new Worker(script, { workerData: job, execArgv, resourceLimits: READER_HEAP });
}

function workerError(job: ReaderJob, error: Extract<WorkerMessage, { type: "error" }>["error"]): Error {
  const f = error.fields ?? {};
  if (error.name === "BadValueError" && f.table)
    return new BadValueError(f.table, f.column ?? "", f.key ?? "", f.rawValue ?? "", f.reason ?? error.message);
  // SQLite's own failure (a page found corrupt only now, a lock) is the export's, named as inspection names it.
  if (error.name === "SqliteError") return sourceFailure(job.sourcePath, { code: f.code, message: error.message }, job.table);
  return new MigrationError("LOAD_FAILED", `reading table "${job.table}" failed: ${error.message}`, { table: job.table });
}

/** Splits a large rowid range in two halves. */
export function splitJob(job: ReaderJob): ReaderJob[] {
  const range = job.rowidRange;
  if (!range || range.hi - range.lo < SPLIT_MIN_ROWIDS || job.findRow !== undefined) return [job];
  const middle = Math.floor((range.lo + range.hi) / 2);
  return [
    { ...job, rowidRange: { lo: range.lo, hi: middle } },
    { ...job, rowidRange: { lo: middle + 1, hi: range.hi } },
  ];
}

type PartDone = Extract<WorkerMessage, { type: "done" }>;
type PartResult = PartDone | Extract<WorkerMessage, { type: "widen" }>;

/**
 * Reads the table through its parts. `chunkLog`, when given, is filled as
 * chunks are consumed, so a caller still has it when the consumer fails.
 */
export async function readTable(
  job: ReaderJob,
  consumer: ChunkConsumer,
  abort?: AbortSignal,
  chunkLog: { part: number; rows: number }[] = [],
): Promise<ReadResult> {
  const parts = splitJob(job);
  const local = new AbortController();
  const stop = () => local.abort(abort!.reason);
  abort?.addEventListener("abort", stop, { once: true });
  // Chunks of all parts go through one queue: the consumer sees one at a time.
  let queue: Promise<void> = Promise.resolve();
  // A consumer that fails fails its part (the caller's catch); the queue goes on, so later callers do not inherit an unhandled rejection.
  const serial = (fn: () => Promise<void> | void) => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const workers: Worker[] = [];
  // One part needing a wider type makes every part survey: the read is thrown away anyway.
  const surveyAll = () => workers.forEach((worker) => worker.postMessage({ type: "survey" }));
  try {
    const results = await Promise.all(
      parts.map((part, index) => runPart(part, index, consumer, chunkLog, serial, local, workers, surveyAll)),
    );
    const widenings = results.filter((r) => r.type === "widen");
    if (widenings.length > 0) throw new WideningRequired(job.table, mergeWidenings(widenings.map((r) => r.widenings)));
    return mergeResults(parts, results as PartDone[], chunkLog);
  } catch (error) {
    local.abort(error);
    throw error;
  } finally {
    abort?.removeEventListener("abort", stop);
  }
}

function runPart(
  job: ReaderJob,
  index: number,
  consumer: ChunkConsumer,
  chunkLog: { part: number; rows: number }[],
  serial: (fn: () => Promise<void> | void) => Promise<void>,
  abort: AbortController,
  workers: Worker[],
  surveyAll: () => void,
): Promise<PartResult> {
  return new Promise((resolve, reject) => {
    const worker = spawnReader(job);
    workers.push(worker);
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(error);
    };
    abort.signal.addEventListener("abort", () => fail(abort.signal.reason), { once: true });
    worker.on("message", (message: WorkerMessage) => {
      void serial(async () => {
        if (settled) return;
        if (message.type === "chunk") {
          chunkLog.push({ part: index, rows: message.rows });
          await consumer.chunk(Buffer.from(message.data, 0, message.length), message.rows);
          if (!settled) worker.postMessage({ type: "credit", buffer: message.data } satisfies ParentMessage, [message.data]);
        } else if (message.type === "rejects") {
          await consumer.rejects(message.records);
        } else if (message.type === "surveying") {
          surveyAll();
        } else if (message.type === "done" || message.type === "widen") {
          settled = true;
          await worker.terminate();
          resolve(message);
        } else if (message.type === "error") {
          fail(workerError(job, message.error));
        }
      }).catch(fail);
    });
    worker.on("error", fail);
    worker.on("exit", (code) => {
      // Messages posted before the exit are still queued: let them settle first.
      void serial(() => {
        if (!settled)
          fail(
            new MigrationError("LOAD_FAILED", `the reader of table "${job.table}" stopped unexpectedly (exit code ${code})`, {
              table: job.table,
            }),
          );
      });
    });
  });
}

function mergeColumn(a: ColumnReadStats, b: ColumnReadStats): ColumnReadStats {
  const rejections = { ...a.rejections };
  for (const [reason, entry] of Object.entries(b.rejections)) {
    const mine = rejections[reason];
    rejections[reason] = mine ? { count: mine.count + entry.count, examples: [...mine.examples, ...entry.examples].slice(0, 5) } : entry;
  }
  const formats = { ...a.formats };
  for (const [label, count] of Object.entries(b.formats)) formats[label] = (formats[label] ?? 0) + count;
  return { nulls: a.nulls + b.nulls, converted: a.converted + b.converted, rejections, formats };
}

/** Two reads of one table's rows, one after the other (a first slice, then the rest), as one: the later read's parts replay its rows. */
export function mergeReads(first: ReadResult, then: ReadResult): ReadResult {
  return {
    stats: { ...mergeStats(first.stats, then.stats), seconds: first.stats.seconds + then.stats.seconds },
    rejectedKeys: first.rejectedKeys.map((keys, k) => [...keys, ...then.rejectedKeys[k]]),
    rowHash: first.rowHash !== null && then.rowHash !== null ? combineRowHashes([first.rowHash, then.rowHash]) : null,
    parts: then.parts,
    chunkLog: then.chunkLog,
  };
}

function mergeStats(a: TableReadStats, b: TableReadStats): TableReadStats {
  return {
    rowsRead: a.rowsRead + b.rowsRead,
    rowsEmitted: a.rowsEmitted + b.rowsEmitted,
    rowsRejected: a.rowsRejected + b.rowsRejected,
    valuesNulled: a.valuesNulled + b.valuesNulled,
    columns: a.columns.map((c, i) => mergeColumn(c, b.columns[i])),
    seconds: Math.max(a.seconds, b.seconds),
  };
}

function mergeResults(parts: ReaderJob[], results: PartDone[], chunkLog: ReadResult["chunkLog"]): ReadResult {
  // Parts run side by side: the table took as long as the longest.
  const stats = results.map((r) => r.stats).reduce(mergeStats);
  const rejectedKeys = results[0].rejectedKeys.map((_, k) => results.flatMap((r) => r.rejectedKeys[k]));
  const hashed = results.every((r) => r.rowHash !== null);
  const rowHash = hashed ? combineRowHashes(results.map((r) => r.rowHash!)) : null;
  return { stats, rejectedKeys, rowHash, parts, chunkLog };
}

/**
 * The row key of the nth row consumed (1-based), to name a row PostgreSQL
 * refused: the chunk log says which part emitted it and at which position.
 */
export async function findConsumedRow(read: Pick<ReadResult, "parts" | "chunkLog">, n: number): Promise<string | null> {
  let remaining = n;
  const seenPerPart = read.parts.map(() => 0);
  for (const { part, rows } of read.chunkLog) {
    if (remaining <= rows) return findEmittedRow(read.parts[part], seenPerPart[part] + remaining);
    remaining -= rows;
    seenPerPart[part] += rows;
  }
  return null;
}

function findEmittedRow(job: ReaderJob, n: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const worker = spawnReader({ ...job, findRow: n });
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "found") resolve(message.rowKey);
      else if (message.type === "done" || message.type === "widen") resolve(null);
      else if (message.type === "error") reject(workerError(job, message.error));
      if (message.type !== "rejects" && message.type !== "chunk" && message.type !== "surveying") void worker.terminate();
    });
    worker.on("error", reject);
  });
}
