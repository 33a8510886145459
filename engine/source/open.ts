/**
 * Opening a SQLite export safely: read-only, with the failure modes a user
 * meets (missing file, a folder, not SQLite, corrupt, locked) turned into
 * SourceErrors that name the file.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { SourceError } from "../errors";
import { quoteIdent } from "../sql/identifiers";

export type SourceDatabase = Database.Database;

const SQLITE_HEADER = "SQLite format 3\0";
/** How long to wait for a writer's lock before giving up, in ms. */
export const SOURCE_BUSY_TIMEOUT_MS = 5000;

/** Checks the path is a regular file with the SQLite header. */
export function assertSqliteFile(path: string): number {
  let size: number;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new SourceError("SOURCE_NOT_A_FILE", path, `source ${path} is a directory, not a SQLite file`);
    if (!stat.isFile()) throw new SourceError("SOURCE_NOT_A_FILE", path, `source ${path} is not a regular file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof SourceError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SourceError("SOURCE_NOT_FOUND", path, `source ${path} does not exist`);
    throw new SourceError("SOURCE_NOT_FOUND", path, `source ${path} cannot be read: ${(error as Error).message}`, { cause: error });
  }
  if (size === 0) throw new SourceError("SOURCE_EMPTY", path, `source ${path} is an empty file, not a SQLite database`);
  const header = Buffer.alloc(16);
  const fd = openSync(path, "r");
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1") !== SQLITE_HEADER) {
    throw new SourceError("SOURCE_NOT_SQLITE", path, `source ${path} is not a SQLite database (its header is not "SQLite format 3")`);
  }
  return size;
}

/**
 * A read-only connection to the export, as every reader of it opens one.
 * The export is untrusted: with trusted_schema off, SQL its schema carries
 * (a generated column, a view) may call only SQLite's innocuous functions,
 * whatever it names; load_extension() is refused by better-sqlite3 anyway.
 */
export function openReadOnly(path: string): SourceDatabase {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: SOURCE_BUSY_TIMEOUT_MS });
  try {
    db.pragma("trusted_schema = OFF");
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Page cache, in KiB, of each database of a connection that a cache barely
 * helps: one that scans tables in order, or probes keys spread over a table
 * far larger than any cache (a reader thread, the canary's sampling and its
 * structure checks, the sample's key database). better-sqlite3 gives each
 * database 16 MB, which held pages never read again; and malloc keeps what
 * SQLite frees, so the canary's caches in the main thread stayed resident
 * for the whole load. The operating system's file cache serves the reads.
 * Not for a connection that sorts: SQLite sizes its in-memory sorter by the
 * main database's cache, and past it the sorter writes temp files.
 */
const SINGLE_PASS_CACHE_KIB = 2048;

/**
 * Gives each database the connection has open (the main one, and those
 * attached before this call) the single-pass page cache. The temp schema
 * keeps its own: a smaller one would spill temporary tables to temp files sooner.
 */
export function useSinglePassCache(db: SourceDatabase): void {
  for (const { name } of db.pragma("database_list") as { name: string }[])
    if (name !== "temp") db.pragma(`${quoteIdent(name)}.cache_size = -${SINGLE_PASS_CACHE_KIB}`);
}

/** Opens the export read-only; foreign key enforcement is irrelevant to reads. */
export function openSource(path: string): SourceDatabase {
  assertSqliteFile(path);
  let db: SourceDatabase;
  try {
    db = openReadOnly(path);
  } catch (error) {
    throw sourceFailure(path, error);
  }
  try {
    // Reading the schema is the first access that touches pages: corrupt or
    // locked files fail here, before any work is planned.
    db.prepare("SELECT count(*) FROM sqlite_schema").get();
  } catch (error) {
    db.close();
    throw sourceFailure(path, error);
  }
  return db;
}

/** Header bytes 18 and 19 (file format write and read versions) are 2 in WAL mode. */
function isWalMode(path: string): boolean {
  const header = Buffer.alloc(20);
  try {
    const fd = openSync(path, "r");
    try {
      readSync(fd, header, 0, 20, 0);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  return header[18] === 2 && header[19] === 2;
}

/** Maps a better-sqlite3 error to a SourceError that names the file (and table). */
export function sourceFailure(path: string, error: unknown, table?: string): SourceError {
  if (error instanceof SourceError) return error;
  const code = (error as { code?: string }).code ?? "";
  const options = table === undefined ? { cause: error } : { cause: error, table };
  const where = table ? ` while reading table "${table}"` : "";
  const message = (error as Error).message ?? String(error);
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new SourceError(
      "SOURCE_LOCKED",
      path,
      `source ${path} is locked by a writer${where} (waited ${SOURCE_BUSY_TIMEOUT_MS / 1000} s): ${message}. ` +
        "Let the writer finish, or migrate a copy made with `sqlite3 <file> .backup`.",
      options,
    );
  }
  if (code === "SQLITE_NOTADB") {
    return new SourceError("SOURCE_NOT_SQLITE", path, `source ${path} is not a SQLite database: ${message}`, options);
  }
  if (code.startsWith("SQLITE_CANTOPEN") && isWalMode(path)) {
    // A WAL-mode file is read through its -shm index, which SQLite creates beside
    // it even for a read-only connection: on read-only media that is impossible.
    return new SourceError(
      "SOURCE_NOT_FOUND",
      path,
      `source ${path} is a WAL-mode database and SQLite cannot create ${path}-shm beside it (a read-only folder?): ${message}. ` +
        "Copy it to a writable folder, or convert a copy with `sqlite3 <copy> 'PRAGMA journal_mode=DELETE'`.",
      options,
    );
  }
  if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_IOERR") || code === "SQLITE_FORMAT") {
    return new SourceError("SOURCE_CORRUPT", path, `source ${path} is corrupt or truncated${where}: ${message}`, options);
  }
  return new SourceError("SOURCE_CORRUPT", path, `source ${path} could not be read${where}: ${message}`, options);
}
