/**
 * pg_dump backups of one schema. The dump is streamed into a file this
 * process creates with mode 0600 (dump-files.ts), so it is never readable
 * by others, not even for the instant before a chmod; the connection
 * reaches pg_dump only through the environment (pg-invocation.ts).
 */
import { rename, unlink } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DEFAULTS } from "../defaults";
import { MigrationError } from "../errors";
import { compressionLabel, parseCompression } from "./compression";
import { createDumpFile, writingDone } from "./dump-files";
import { errorText, pgDumpInvocation, redact, runPgTool } from "./pg-invocation";
import { clientTool, PgClientTool, toolLabel } from "./pg-tools";

const PROGRESS_INTERVAL_MS = 1000;

export interface BackupProgress {
  /** Bytes of dump written so far. */
  bytes: number;
  seconds: number;
}

export interface BackupOptions {
  /** postgresql:// URL of the database; its parts reach pg_dump as PG* variables only. */
  databaseUrl: string;
  /** The schema to dump, with everything in it and its comment (the version metadata). */
  schema: string;
  /** Folder of the dump file; created with mode 0700 if missing. */
  directory: string;
  /** Codec setting (see compression.ts). Defaults to DEFAULTS.backupCompression. */
  compression?: string;
  /** Called about once a second while the dump is written, and once at the end. */
  onProgress?: (progress: BackupProgress) => void;
  /** The pg_dump to run (a run's, found for its server). Defaults to the pg_dump on PATH. */
  pgDump?: PgClientTool;
  /** Called once pg_dump runs. */
  onStarted?: () => void;
}

export interface BackupResult {
  /** Path of the dump, mode 0600. */
  file: string;
  bytes: number;
  seconds: number;
  /** The codec setting it was written with, e.g. "gzip:1". */
  compression: string;
  /** The pg_dump that wrote it: "pg_dump 15.20 (on PATH)". */
  tool: string;
}

function progressCounter(started: number, onProgress?: (progress: BackupProgress) => void): Transform & { bytes: number } {
  let lastReport = started;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      const now = Date.now();
      if (onProgress && now - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = now;
        onProgress({ bytes: counter.bytes, seconds: (now - started) / 1000 });
      }
      callback(null, chunk);
    },
  }) as Transform & { bytes: number };
  counter.bytes = 0;
  return counter;
}

/**
 * Dumps one schema with pg_dump --format=custom into
 * `<directory>/<schema>_<YYYYMMDDTHHMMSSZ>.dump` (mode 0600), flushed to
 * disk before it returns. On failure the partial file is deleted and
 * MigrationError BACKUP_FAILED names the schema, the directory and pg_dump's
 * stderr, never the password.
 *
 * @example
 * const { file } = await backupSchema({ databaseUrl, schema: "servicedesk_v20250301_141503", directory: "/var/backups/sd" });
 * restoreCommand(file); // pg_restore --clean --if-exists ... -d "$DATABASE_URL" '/var/backups/sd/...dump'
 */
export async function backupSchema(options: BackupOptions): Promise<BackupResult> {
  const { databaseUrl, schema, directory, onProgress } = options;
  const compression = parseCompression(options.compression ?? DEFAULTS.backupCompression);
  const pgDump = options.pgDump ?? (await clientTool("pg_dump"));
  if (!pgDump) throw new MigrationError("BACKUP_FAILED", `cannot back up schema "${schema}": pg_dump is not on PATH`);
  const invocation = { ...pgDumpInvocation(databaseUrl, schema, compression, pgDump.major), command: pgDump.command };
  const started = Date.now();
  const { file, partial, handle } = await createDumpFile(directory, schema, new Date(started));
  const counter = progressCounter(started, onProgress);
  try {
    // flush: fsync before the stream closes the handle; a backup taken before a cutover must survive a crash after it.
    await runPgTool(invocation, (stdout) => {
      options.onStarted?.();
      return pipeline(stdout, counter, handle.createWriteStream({ flush: true }));
    });
    // Only a complete dump gets its final name (rename is atomic in a directory).
    await rename(partial, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    const reason = redact(errorText(error), invocation.env);
    throw new MigrationError("BACKUP_FAILED", `backup of schema "${schema}" into directory "${directory}" failed: ${reason}`);
  } finally {
    writingDone(partial);
  }
  const seconds = (Date.now() - started) / 1000;
  onProgress?.({ bytes: counter.bytes, seconds });
  return { file, bytes: counter.bytes, seconds, compression: compressionLabel(compression), tool: toolLabel(pgDump) };
}
