/**
 * The reader worker: reads one table from SQLite in a worker thread,
 * converts and encodes it to CSV in chunks, and hands the chunks to the
 * loader, at most a few ahead (credits), so memory stays bounded while
 * SQLite reading and PostgreSQL's COPY run on different cores.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";
import { openReadOnly, useSinglePassCache } from "../source/open";
import { attachSubset } from "../source/row-subset";
import { ParentMessage, ReaderJob, WorkerMessage } from "./protocol";
import { rawBytesSql, readerSql } from "./reader-sql";
import { RowHashSum, rowHashSum } from "../csv/row-hash";
import { ChunkWriter } from "./chunk-writer";
import { RawBytesSource, RowEncoder } from "./row-encoder";

const INITIAL_CREDITS = 3;
const REJECT_BATCH = 1000;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort!.postMessage(message, transfer);
}

/** One read of a table (or of a rowid range of it), from its first row to its last or to a survey's end. */
class TableRead {
  private readonly started = performance.now();
  private readonly db: Database.Database;
  private readonly rows: IterableIterator<unknown[]>;
  private readonly encoder: RowEncoder;
  private readonly chunks: ChunkWriter;
  private rowsRead = 0;
  private rowsEmitted = 0;
  private finished = false;

  /** `rowHash` is the sum this part adds its lines to when the table is checksummed by rows (job.hashRows), else null. */
  constructor(
    private readonly job: ReaderJob,
    private readonly rowHash: RowHashSum | null,
  ) {
    this.db = openReadOnly(job.sourcePath);
    attachSubset(this.db, job.subset);
    // A reader reads its table once, in order, and the sample's keys in the same order.
    useSinglePassCache(this.db);
    this.encoder = new RowEncoder(job, rawBytesReader(this.db, job));
    const statement = this.db.prepare(readerSql(job)).raw(true);
    this.rows = (job.rowidRange ? statement.iterate(job.rowidRange.lo, job.rowidRange.hi) : statement.iterate()) as IterableIterator<
      unknown[]
    >;
    this.chunks = new ChunkWriter(job.chunkBytes, INITIAL_CREDITS, (data, length, rows) =>
      post({ type: "chunk", data, length, rows }, [data]),
    );
  }

  /** The loader's messages: a credit back, or the order to survey (another part of the table needs widening). */
  onMessage(message: ParentMessage): void {
    if (this.finished) return;
    if (message.type === "credit") this.chunks.credit(message.buffer);
    if (message.type === "survey" && !this.encoder.surveying) {
      this.encoder.startSurvey();
      this.startedSurveying();
    }
    this.pump();
  }

  /** Reads on while the loader has credit; a survey needs none: it emits nothing, it only reads on. */
  pump(): void {
    const { encoder } = this;
    while (this.chunks.hasCredit || encoder.surveying) {
      const next = this.rows.next();
      if (next.done) return this.finish();
      this.rowsRead++;
      const values = next.value;
      const wasSurveying = encoder.surveying;
      const line = encoder.encode(values);
      if (encoder.surveying) {
        if (!wasSurveying) this.startedSurveying();
        continue;
      }
      this.flushRejects(false);
      if (line === null) continue;
      this.rowsEmitted++;
      if (this.job.findRow !== undefined) {
        if (this.rowsEmitted === this.job.findRow) {
          this.finished = true;
          post({ type: "found", rowKey: String(values[0]) });
          this.db.close();
          return;
        }
        continue;
      }
      this.rowHash?.add(line);
      this.chunks.write(line);
    }
  }

  private finish(): void {
    this.finished = true;
    const { encoder } = this;
    if (encoder.surveying) {
      post({ type: "widen", widenings: [...encoder.widenings.values()] });
      this.db.close();
      return;
    }
    this.chunks.flush();
    this.flushRejects(true);
    const stats = {
      rowsRead: this.rowsRead,
      rowsEmitted: this.rowsEmitted,
      rowsRejected: encoder.rowsRejected,
      valuesNulled: encoder.valuesNulled,
      columns: encoder.stats,
      seconds: (performance.now() - this.started) / 1000,
    };
    post({ type: "done", stats, rejectedKeys: encoder.rejectedKeys, rowHash: this.rowHash?.text() ?? null });
    this.db.close();
  }

  /** What this read would have loaded is thrown away: the table is read again, widened. */
  private startedSurveying(): void {
    this.chunks.discard();
    this.encoder.rejects.length = 0;
    post({ type: "surveying" });
  }

  private flushRejects(force: boolean): void {
    const { rejects } = this.encoder;
    if (rejects.length >= REJECT_BATCH || (force && rejects.length > 0)) post({ type: "rejects", records: rejects.splice(0) });
  }
}

/** The raw bytes of a text value, read again by key, one prepared statement per column. */
function rawBytesReader(db: Database.Database, job: ReaderJob): RawBytesSource {
  const statements = new Map<string, Database.Statement>();
  return {
    rawBytes(rowKey, column) {
      let stmt = statements.get(column);
      if (!stmt) statements.set(column, (stmt = db.prepare(rawBytesSql(job, column)).pluck()));
      return (stmt.get({ key: rowKey }) as Buffer | null) ?? null;
    },
  };
}

function run(job: ReaderJob, rowHash: RowHashSum | null): void {
  const read = new TableRead(job, rowHash);
  parentPort!.on("message", (message: ParentMessage) => guarded(() => read.onMessage(message)));
  read.pump();
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
