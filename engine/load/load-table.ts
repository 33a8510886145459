/**
 * Loads one table inside the load transaction: the reader's chunks stream
 * into COPY while their bytes are hashed for validation. If PostgreSQL
 * refuses a row the converters let through, the table is rolled back to its
 * savepoint, the row is named (by replaying the reader to that row), set
 * aside as a reject with the server's message, and the table loaded again.
 */
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { Client, DatabaseError } from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { BadValueError, MigrationError } from "../errors";
import { TablePlan } from "../plan/model";
import { copySql, freezeSql } from "./ddl";
import { ReaderJob } from "./protocol";
import { findConsumedRow, ReadResult, readTable, splitJob } from "./read-table";
import { RejectSpool } from "./reject-spool";
import { socketDone } from "./socket-done";

/** How many refused rows one table may have before the load gives up on it. */
export const MAX_REFUSED_ROWS = 25;

export interface TableLoadResult {
  readonly read: ReadResult;
  /** sha256 of the CSV sent (ordered tables) or the sum of row hashes. */
  readonly digest: string;
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
      const { read, digest } = await copyRows(options, job, spool, chunkLog);
      await client.query("RELEASE SAVEPOINT sdm_table");
      await spool.copyInto(client, options.schema);
      return {
        read,
        digest,
        rowsLoaded: read.stats.rowsEmitted,
        rejected: spool.rejected,
        nulled: spool.nulled,
        refusedByServer: refused,
        seconds: (performance.now() - started) / 1000,
      };
    } catch (error) {
      spool.discard();
      if (!isRowRefusal(error)) throw error;
      await client.query("ROLLBACK TO SAVEPOINT sdm_table");
      job = await setAsideRefusedRow(job, error, refused, chunkLog);
    }
  }
}

async function setAsideRefusedRow(
  job: ReaderJob,
  error: DatabaseError,
  refused: number,
  chunkLog: { part: number; rows: number }[],
): Promise<ReaderJob> {
  const { line, column } = refusedLine(error)!;
  const rowKey = await findConsumedRow({ parts: splitJob(job), chunkLog }, line);
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
): Promise<{ read: ReadResult; digest: string }> {
  await options.client.query(freezeSql(options.schema, options.table));
  const stream = options.client.query(copyFrom(copySql(options.schema, options.table)));
  const hasher = createHash("sha256");
  const abort = new AbortController();
  const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
  let endedByServer = false;
  stream.on("error", (error) => {
    endedByServer = true;
    abort.abort(error);
  });
  let read: ReadResult;
  try {
    read = await readTable(
      job,
      {
        async chunk(data, rows) {
          if (!job.hashRows) hasher.update(data);
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
    if (!endedByServer) await abortCopy(stream, error);
    throw error;
  }
  stream.end();
  await finished(stream);
  return { read, digest: job.hashRows ? read.rowHash! : hasher.digest("hex") };
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
