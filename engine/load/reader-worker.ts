/**
 * The reader worker: reads one table from SQLite in a worker thread,
 * converts and encodes it to CSV in chunks, and hands the chunks to the
 * loader, at most a few ahead (credits), so memory stays bounded while
 * SQLite reading and PostgreSQL's COPY run on different cores.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { openReadOnly } from "../source/open";
import { attachSubset } from "../source/row-subset";
import { ParentMessage, ReaderJob, WorkerMessage } from "./protocol";
import { rawBytesSql, readerSql } from "./reader-sql";
import { RowHashSum, rowHashSum } from "../csv/row-hash";
import { RowEncoder } from "./row-encoder";

const INITIAL_CREDITS = 3;
const REJECT_BATCH = 1000;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

/** `rowHash` is the sum this part adds its lines to when the table is checksummed by rows (job.hashRows), else null. */
function run(job: ReaderJob, rowHash: RowHashSum | null): void {
  const started = performance.now();
  const db = openReadOnly(job.sourcePath);
  attachSubset(db, job.subset);
  const rawStatements = new Map<string, Database.Statement>();
  const encoder = new RowEncoder(job, {
    rawBytes(rowKey, column) {
      let stmt = rawStatements.get(column);
      if (!stmt) rawStatements.set(column, (stmt = db.prepare(rawBytesSql(job, column)).pluck()));
      return (stmt.get(rowKey) as Buffer | null) ?? null;
    },
  });
  const statement = db.prepare(readerSql(job)).raw(true);
  const rows = (job.rowidRange ? statement.iterate(job.rowidRange.lo, job.rowidRange.hi) : statement.iterate()) as IterableIterator<
    unknown[]
  >;
  let credits = INITIAL_CREDITS;
  let rowsRead = 0;
  let rowsEmitted = 0;
  // The loader gives each consumed chunk's buffer back with its credit, and
  // it is filled again: memory is the chunks in flight, allocated once,
  // not a buffer per chunk waiting for the loader's garbage collector. A
  // buffer grown for a huge value is let go, not kept for the chunks after.
  // allocUnsafeSlow: a buffer owning its whole ArrayBuffer, so it can be
  // transferred to the loader as it is, without a copy.
  const chunkBufferBytes = job.chunkBytes + Math.max(64 << 10, job.chunkBytes >> 2);
  const returned: ArrayBuffer[] = [];
  const newChunkBuffer = () => {
    const reusable = returned.pop();
    return reusable === undefined ? Buffer.allocUnsafeSlow(chunkBufferBytes) : Buffer.from(reusable);
  };
  let buffer = newChunkBuffer();
  let used = 0;
  let chunkRows = 0;

  const flushRejects = (force: boolean) => {
    if (encoder.rejects.length >= REJECT_BATCH || (force && encoder.rejects.length > 0))
      post({ type: "rejects", records: encoder.rejects.splice(0) });
  };
  const flushChunk = () => {
    if (used === 0) return;
    const data = buffer.buffer as ArrayBuffer;
    post({ type: "chunk", data, length: used, rows: chunkRows }, [data]);
    credits--;
    buffer = newChunkBuffer();
    used = 0;
    chunkRows = 0;
  };
  let finished = false;
  const finish = () => {
    finished = true;
    if (encoder.surveying) {
      post({ type: "widen", widenings: [...encoder.widenings.values()] });
      return db.close();
    }
    flushChunk();
    flushRejects(true);
    const stats = {
      rowsRead,
      rowsEmitted,
      rowsRejected: encoder.rowsRejected,
      valuesNulled: encoder.valuesNulled,
      columns: encoder.stats,
      seconds: (performance.now() - started) / 1000,
    };
    post({ type: "done", stats, rejectedKeys: encoder.rejectedKeys, rowHash: rowHash?.text() ?? null });
    db.close();
  };

  // Surveying needs no credits: it emits nothing, it only reads on.
  const pump = () => {
    while (credits > 0 || encoder.surveying) {
      const next = rows.next();
      if (next.done) return finish();
      rowsRead++;
      const values = next.value;
      const wasSurveying = encoder.surveying;
      const line = encoder.encode(values);
      if (encoder.surveying) {
        if (!wasSurveying) startedSurveying();
        continue;
      }
      flushRejects(false);
      if (line === null) continue;
      rowsEmitted++;
      if (job.findRow !== undefined) {
        if (rowsEmitted === job.findRow) {
          finished = true;
          post({ type: "found", rowKey: String(values[0]) });
          return db.close();
        }
        continue;
      }
      rowHash?.add(line);
      // line.length * 3 bounds the UTF-8 size cheaply; only when it may not
      // fit is the exact size computed, so a huge value costs its own size once.
      if (used + line.length * 3 > buffer.length && used + Buffer.byteLength(line) > buffer.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, used + Buffer.byteLength(line)));
        buffer.copy(bigger, 0, 0, used);
        buffer = bigger;
      }
      used += buffer.write(line, used);
      chunkRows++;
      if (used >= job.chunkBytes) flushChunk();
    }
  };

  // What this read would have loaded is thrown away: the table is read again, widened.
  const startedSurveying = () => {
    used = 0;
    chunkRows = 0;
    encoder.rejects.length = 0;
    post({ type: "surveying" });
  };

  parentPort!.on("message", (message: ParentMessage) => {
    if (finished) return;
    if (message.type === "credit") {
      credits++;
      if (message.buffer.byteLength === chunkBufferBytes) returned.push(message.buffer);
    }
    if (message.type === "survey" && !encoder.surveying) {
      encoder.startSurvey();
      startedSurveying();
    }
    guarded(pump);
  });
  guarded(pump);
}

function guarded(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    reportFailure(error);
  }
}

/** Hands the error to the loader, with the fields that name where it happened, and ends the worker. */
function reportFailure(error: unknown): void {
  const e = error as Error;
  const fields: Record<string, string> = {};
  for (const key of ["table", "column", "key", "rawValue", "reason", "code"] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (typeof value === "string") fields[key] = value;
  }
  post({ type: "error", error: { name: e.name, message: e.message, fields } });
  process.exit(0);
}

const job = workerData as ReaderJob;
(job.hashRows ? rowHashSum() : Promise.resolve(null)).then((rowHash) => guarded(() => run(job, rowHash)), reportFailure);
