/**
 * Loads one table inside the load transaction: the reader's chunks stream
 * into COPY while their bytes are hashed for validation. If PostgreSQL
 * refuses a row the converters let through, the table is rolled back to its
 * savepoint, the row is named (by replaying the reader to that row), set
 * aside as a reject with the server's message, and the table loaded again.
 *
 * The canary's sample, when it is the first slice of the load, keeps the CSV
 * it sent in a file of the run's scratch folder; the load then sends those
 * bytes again, ahead of the rest, in the one COPY FREEZE of the table: the
 * sample is read from the export and converted once, every row is written
 * frozen, and the checksum covers the rows in the order they are stored.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { Client, DatabaseError } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { BadValueError, MigrationError } from "../errors";
import { TablePlan } from "../plan/model";
import { copySql, freezeSql } from "./ddl";
import { ReaderJob } from "./protocol";
import { combineRowHashes } from "../csv/row-hash";
import { findConsumedRow, mergeReads, ReadResult, readTable, splitJob } from "./read-table";
import { RejectSpool } from "./reject-spool";
import { SentCopy } from "./sent-copy";
import { socketDone } from "./socket-done";

/** How many refused rows one table may have before the load gives up on it. */
export const MAX_REFUSED_ROWS = 25;

export interface TableLoadResult {
  readonly read: ReadResult;
  /** sha256 of the CSV sent (ordered tables) or the sum of row hashes. */
  readonly digest: string;
  /** The file holding the CSV sent, when asked to keep it (keepSentIn) and it could; else null, and why in keepFailure. */
  readonly keptIn: string | null;
  readonly keepFailure: string | null;
  readonly rowsLoaded: number;
  readonly rejected: number;
  readonly nulled: number;
  readonly refusedByServer: number;
  readonly seconds: number;
}

export interface TableLoadOptions {
  readonly client: Client;
  readonly schema: string;
  readonly table: TablePlan;
  readonly job: ReaderJob;
  /** Where the reject spool goes: the run's scratch folder. */
  readonly scratchDirectory: string;
  readonly onRows?: (rows: number) => void;
  /** Aborts the read (another table of a parallel load failed). */
  readonly signal?: AbortSignal;
  /** Keep the CSV sent in this file (created mode 0600): the canary's sample, for the load that goes on from it. */
  readonly keepSentIn?: string;
  /** The table's first slice: the CSV it kept goes first, then the job's rows; the result covers both. */
  readonly firstSlice?: { readonly file: string; readonly loaded: TableLoadResult };
}

/** "COPY tickets, line 12, column title: ..." -> 12 and "title". */
function refusedLine(error: DatabaseError): { line: number; column: string | null } | null {
  const match = /line (\d+)(?:, column ([^:]+))?/.exec(error.where ?? "");
  return match ? { line: Number(match[1]), column: match[2] ?? null } : null;
}

/** Data exceptions (22), integrity violations (23), program limits (54): the row, not the load. */
function isRowRefusal(error: unknown): error is DatabaseError {
  return error instanceof DatabaseError && /^(22|23|54)/.test(error.code ?? "") && refusedLine(error) !== null;
}

export async function loadTable(options: TableLoadOptions): Promise<TableLoadResult> {
  const started = performance.now();
  const { client, table } = options;
  let job = options.job;
  for (let refused = 0; ; refused++) {
    await client.query("SAVEPOINT sdm_table");
    const spool = new RejectSpool(options.scratchDirectory, table.source);
    const chunkLog: { part: number; rows: number }[] = [];
    try {
      const { read, digest, kept } = await copyRows(options, job, spool, chunkLog);
      const keptIn = kept?.close() ?? null;
      await client.query("RELEASE SAVEPOINT sdm_table");
      await spool.copyInto(client, options.schema);
      const slice = options.firstSlice?.loaded;
      return {
        read: slice ? mergeReads(slice.read, read) : read,
        digest,
        keptIn,
        keepFailure: kept?.failure ?? null,
        rowsLoaded: read.stats.rowsEmitted + (slice?.rowsLoaded ?? 0),
        rejected: spool.rejected + (slice?.rejected ?? 0),
        nulled: spool.nulled + (slice?.nulled ?? 0),
        refusedByServer: refused + (slice?.refusedByServer ?? 0),
        seconds: (performance.now() - started) / 1000 + (slice?.seconds ?? 0),
      };
    } catch (error) {
      spool.discard();
      if (!isRowRefusal(error)) throw error;
      await client.query("ROLLBACK TO SAVEPOINT sdm_table");
      job = await setAsideRefusedRow(job, error, refused, chunkLog, options.firstSlice?.loaded.rowsLoaded ?? 0);
    }
  }
}

async function setAsideRefusedRow(
  job: ReaderJob,
  error: DatabaseError,
  refused: number,
  chunkLog: { part: number; rows: number }[],
  sliceRows: number,
): Promise<ReaderJob> {
  const { line, column } = refusedLine(error)!;
  // The first slice's lines come first; PostgreSQL took them in the canary.
  if (line <= sliceRows)
    throw new MigrationError(
      "LOAD_FAILED",
      `table "${job.table}": PostgreSQL refused line ${line} of the canary's sample, which it took in the canary: ${error.message}`,
      {
        cause: error,
        table: job.table,
      },
    );
  const rowKey = await findConsumedRow({ parts: splitJob(job), chunkLog }, line - sliceRows);
  const reason = `PostgreSQL refused the value: ${error.message}`;
  if (job.policy === "fail" || rowKey === null) {
    throw new BadValueError(job.table, column ?? "(row)", rowKey ?? `line ${line}`, "", reason);
  }
  if (refused + 1 >= MAX_REFUSED_ROWS) {
    throw new MigrationError(
      "LOAD_FAILED",
      `table "${job.table}": PostgreSQL refused ${MAX_REFUSED_ROWS} rows; last at row ${rowKey}: ${error.message}`,
      {
        cause: error,
        table: job.table,
        rowKey,
        ...(column ? { column: job.columns.find((c) => c.name === column)?.source ?? column } : {}),
      },
    );
  }
  const source = job.columns.find((c) => c.name === column)?.source ?? column;
  return {
    ...job,
    exclusions: [
      ...job.exclusions,
      { rowKey: Number.isNaN(Number(rowKey)) ? rowKey : Number(rowKey), column: source, reason, nullable: [] },
    ],
  };
}

async function copyRows(
  options: TableLoadOptions,
  job: ReaderJob,
  spool: RejectSpool,
  chunkLog: { part: number; rows: number }[],
): Promise<{ read: ReadResult; digest: string; kept: SentCopy | null }> {
  await options.client.query(freezeSql(options.schema, options.table));
  const stream = options.client.query(copyFrom(copySql(options.schema, options.table)));
  const hasher = createHash("sha256");
  // Written anew by every attempt: a refused row's attempt is sent again without it.
  const kept = options.keepSentIn === undefined ? null : new SentCopy(options.keepSentIn);
  const abort = new AbortController();
  const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
  let endedByServer = false;
  stream.on("error", (error) => {
    endedByServer = true;
    abort.abort(error);
  });
  let read: ReadResult;
  try {
    if (options.firstSlice)
      for await (const data of createReadStream(options.firstSlice.file)) {
        if (!job.hashRows) hasher.update(data as Buffer);
        await handedOn(stream, data as Buffer);
      }
    read = await readTable(
      job,
      {
        async chunk(data, rows) {
          if (!job.hashRows) hasher.update(data);
          kept?.write(data);
          // The chunk's buffer goes back to its reader to be filled again (transferred, which empties
          // every view of it here): not before the COPY stream has handed it to the socket, nor before
          // the socket is done with it. Until the server answers the COPY, the stream holds chunks back.
          await handedOn(stream, data);
          await socketDone(options.client.connection.stream);
          options.onRows?.(rows);
        },
        rejects: (records) => spool.write(records),
      },
      signal,
      chunkLog,
    );
  } catch (error) {
    kept?.discard();
    if (!endedByServer) await abortCopy(stream, error);
    throw error;
  }
  try {
    stream.end();
    await finished(stream);
  } catch (error) {
    kept?.discard();
    throw error;
  }
  if (!job.hashRows) return { read, digest: hasher.digest("hex"), kept };
  // Rows hashed one by one: the slice's sum and the rest's add up.
  const slice = options.firstSlice?.loaded;
  return { read, digest: slice ? combineRowHashes([slice.digest, read.rowHash!]) : read.rowHash!, kept };
}

/**
 * Resolves once `stream` has passed `data` on (its write callback), which a
 * COPY stream does only after the server's CopyInResponse; rejects if the
 * stream errors meanwhile (a refused row), whose write callback may never come.
 */
function handedOn(stream: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("error", reject);
    stream.write(data, (error) => {
      stream.off("error", reject);
      if (error) reject(error);
      else resolve();
    });
  });
}

/**
 * Ends a COPY the reader could not finish (a bad value under the fail
 * policy, a reader that died). Until the server has answered a CopyFail the
 * connection stays in COPY mode and every later query, the ROLLBACK
 * included, waits behind it forever; destroy() sends the CopyFail, and the
 * stream settles once the server's error arrives.
 */
async function abortCopy(stream: Writable, error: unknown): Promise<void> {
  stream.destroy(error instanceof Error ? error : new Error(String(error)));
  await finished(stream).catch(() => undefined);
}
