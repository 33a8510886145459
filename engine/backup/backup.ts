/**
 * pg_dump backups of one schema and their restore, with pg_dump and
 * pg_restore 15 as child processes.
 *
 * The connection reaches them only through PG* environment variables: the
 * command line of any process is readable by every local user
 * (/proc/<pid>/cmdline, ps), the environment only by its owner. The dump is
 * streamed into a file this process creates with mode 0600, so it is never
 * readable by others, not even for the instant before a chmod.
 */
import { spawn } from "node:child_process";
import { access, constants as fsConstants, FileHandle, mkdir, open, readdir, rename, unlink } from "node:fs/promises";
import { setPriority } from "node:os";
import * as path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DEFAULTS } from "../defaults";
import { MigrationError, OptionError } from "../errors";
import { HOST_LABEL, processAlive } from "../owner-process";
import { quoteIdent } from "../sql/identifiers";
import { shellQuote } from "../sql/shell";
import { compressionLabel, CompressionSpec, parseCompression, pgDumpCompressArgument } from "./compression";
import { readHeader } from "./dump-header";
import { clientTool, foundClientTools, foundList, nearestTools, parseToolVersion, PgClientTool, toolAdvice, toolLabel } from "./pg-tools";

/**
 * Niceness of pg_dump, whose compression runs in its own process beside the
 * load on the same cores: at 200,000 tickets a complete run with gzip:1 took
 * 10-25% longer than with none at the same priority, and as long as with
 * none at this one, pg_dump still finishing before the load did.
 */
const PG_DUMP_NICENESS = 10;
/** stderr kept for the error message: the tools print the cause first, and a runaway one must not fill memory. */
const STDERR_LIMIT_CHARS = 16 * 1024;
const PROGRESS_INTERVAL_MS = 1000;
/** Two backups of one schema within a second take the next second's name, as versions do. */
const MAX_NAME_ATTEMPTS = 60;

/** URL query parameters libpq also reads from the environment. */
const QUERY_PARAMETER_ENV: Readonly<Record<string, string>> = {
  host: "PGHOST",
  hostaddr: "PGHOSTADDR",
  port: "PGPORT",
  user: "PGUSER",
  password: "PGPASSWORD",
  dbname: "PGDATABASE",
  sslmode: "PGSSLMODE",
  sslrootcert: "PGSSLROOTCERT",
  sslcert: "PGSSLCERT",
  sslkey: "PGSSLKEY",
  application_name: "PGAPPNAME",
  connect_timeout: "PGCONNECT_TIMEOUT",
  options: "PGOPTIONS",
  target_session_attrs: "PGTARGETSESSIONATTRS",
};

function decodeUrlPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new OptionError("databaseUrl", "holds a malformed percent-encoding"); // never echo the part: it may be the password
  }
}

/**
 * The PG* variables that make libpq tools connect where `databaseUrl`
 * points (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, and PGSSLMODE and
 * the like from its query). Parts absent from the URL are absent here, so
 * libpq's defaults and the caller's environment apply, as for node-postgres.
 */
export function pgConnectionEnv(databaseUrl: string): Record<string, string> {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new OptionError("databaseUrl", "is not a valid postgresql:// URL"); // never echo it: it may hold a password
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new OptionError("databaseUrl", `must start with postgresql:// or postgres://, not ${url.protocol}//`);
  }
  const env: Record<string, string> = {};
  const set = (name: string, value: string): void => {
    if (value !== "") env[name] = value;
  };
  set("PGHOST", decodeUrlPart(url.hostname).replace(/^\[(.*)\]$/, "$1"));
  set("PGPORT", url.port);
  set("PGUSER", decodeUrlPart(url.username));
  set("PGPASSWORD", decodeUrlPart(url.password));
  set("PGDATABASE", decodeUrlPart(url.pathname.replace(/^\//, "")));
  for (const [parameter, value] of url.searchParams) {
    if (QUERY_PARAMETER_ENV[parameter]) set(QUERY_PARAMETER_ENV[parameter], value);
  }
  return env;
}

/** A child process to run: no secret is ever in `args`. */
export interface PgToolInvocation {
  /** pg_dump or pg_restore: on PATH, or the path of the one found for the server. */
  command: string;
  args: string[];
  /** The PG* variables only; the child gets them on top of this process's environment. */
  env: Record<string, string>;
  /** Niceness the child runs at (0: this process's). */
  niceness: number;
}

/** pg_dump (major version `pgDumpMajor`) of one schema to stdout, compressed as `compression` says. */
export function pgDumpInvocation(databaseUrl: string, schema: string, compression: CompressionSpec, pgDumpMajor: number): PgToolInvocation {
  const compress = pgDumpCompressArgument(compression, pgDumpMajor);
  return {
    command: "pg_dump",
    // A quoted pattern matches the name exactly (case, dots, wildcards); --strict-names fails on a missing
    // schema instead of writing an empty dump; --no-password never waits for a prompt nobody answers.
    args: ["--format=custom", `--schema=${quoteIdent(schema)}`, "--strict-names", compress, "--no-password"],
    env: pgConnectionEnv(databaseUrl),
    niceness: PG_DUMP_NICENESS,
  };
}

/** libpq conninfo quoting: 'value' with backslashes and quotes escaped. */
function conninfoValue(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Options of restoreCommand and restoreSchema, in the order they apply. */
const RESTORE_OPTIONS = ["--clean", "--if-exists", "--no-owner", "--single-transaction"];

/**
 * pg_restore of a dump into the database of `databaseUrl`. --single-transaction
 * makes it all or nothing: a failed restore leaves the schema as it was
 * instead of half dropped and half recreated.
 */
export function pgRestoreInvocation(databaseUrl: string, file: string): PgToolInvocation {
  const env = pgConnectionEnv(databaseUrl);
  // -d is required (without it pg_restore prints SQL); a conninfo holding only the database name leaves
  // the rest, password included, to the environment.
  const dbname = env.PGDATABASE === undefined ? "" : `dbname=${conninfoValue(env.PGDATABASE)}`;
  // An absolute path cannot be mistaken for an option, whatever the file is called.
  const args = [...RESTORE_OPTIONS, "--no-password", `--dbname=${dbname}`, path.resolve(file)];
  return { command: "pg_restore", args, env, niceness: 0 };
}

/** The shell line restoring `file` (made absolute) into $DATABASE_URL; the connection stays in the environment. */
export function restoreCommand(file: string): string {
  return `pg_restore ${RESTORE_OPTIONS.join(" ")} -d "$DATABASE_URL" ${shellQuote(path.resolve(file))}`;
}

/**
 * Runs the tool, handing its stdout to `consume` if given; resolves with its
 * stderr once it exited 0 and `consume` finished, else rejects with an
 * Error carrying the exit status and stderr.
 */
async function runPgTool(invocation: PgToolInvocation, consume?: (stdout: Readable) => Promise<void>): Promise<string> {
  const child = spawn(invocation.command, invocation.args, {
    env: { ...process.env, ...invocation.env },
    stdio: ["ignore", consume ? "pipe" : "ignore", "pipe"],
  });
  if (invocation.niceness !== 0 && child.pid !== undefined) {
    try {
      setPriority(child.pid, invocation.niceness);
    } catch {
      // Exited already, or not permitted here: it then runs at this process's priority, only slower for the load.
    }
  }
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    if (stderr.length < STDERR_LIMIT_CHARS) stderr += chunk.slice(0, STDERR_LIMIT_CHARS - stderr.length);
  });
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve(code ?? `signal ${signal}`));
  });
  try {
    const [status] = await Promise.all([exited, consume && child.stdout ? consume(child.stdout) : undefined]);
    if (status !== 0) throw new Error(`${invocation.command} exited with ${status}: ${stderr.trim() || "(no output)"}`);
    return stderr;
  } catch (error) {
    child.kill(); // a failed write (disk full) must not leave pg_dump blocked on a full pipe
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`${invocation.command} is not on PATH`);
    throw error;
  }
}

/** Replaces the password, wherever it appears, in a message that leaves this module. */
function redact(message: string, env: Record<string, string>): string {
  return env.PGPASSWORD ? message.split(env.PGPASSWORD).join("***") : message;
}

function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/** `<schema>_<YYYYMMDDTHHMMSSZ>.dump`, with any character unsafe in a file name replaced. */
export function dumpFileName(schema: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  return `${schema.replace(/[^A-Za-z0-9_-]/g, "_")}_${stamp}.dump`;
}

/** Suffix of a dump being written: renamed away when complete, so a dump without it is whole. */
export const PARTIAL_SUFFIX = ".partial";

/**
 * The writer of a partial dump, in its name (`<name>.dump.<host>.<pid>.partial`):
 * a cleanup removes only partials whose writer is known to be gone, never a
 * dump in progress of another prefix's run that shares the folder, nor one
 * of a run on another host.
 */
const PARTIAL_NAME = /^(.+\.dump)\.([A-Za-z0-9-]+)\.(\d+)\.partial$/;
/** Partials this process is writing now: a run of this process never removes another's. */
const writing = new Set<string>();

export function partialFileName(file: string): string {
  return `${file}.${HOST_LABEL}.${process.pid}${PARTIAL_SUFFIX}`;
}

/**
 * Whether the partial dump `file` is a leftover: written on this host by a
 * process that is gone, or by this process and no longer being written.
 * A partial of another host, or without a writer in its name, may be in
 * progress: it is not.
 */
export function isAbandonedPartial(file: string): boolean {
  const match = PARTIAL_NAME.exec(path.basename(file));
  if (!match || match[2] !== HOST_LABEL) return false;
  const pid = Number(match[3]);
  return pid === process.pid ? !writing.has(path.resolve(file)) : !processAlive(pid);
}

/**
 * Creates the directory (0700) if missing and the dump file (0600) under
 * its partial name; the final name must not exist either.
 */
async function createDumpFile(
  directory: string,
  schema: string,
  now: Date,
): Promise<{ file: string; partial: string; handle: FileHandle }> {
  const unwritable = (error: unknown) =>
    new MigrationError(
      "BACKUP_FAILED",
      `cannot back up schema "${schema}": the backup directory "${directory}" is not a writable directory (${errorText(error)})`,
      { cause: error },
    );
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw unwritable(error);
  }
  for (let attempt = 0; ; attempt++) {
    const file = path.join(directory, dumpFileName(schema, new Date(now.getTime() + attempt * 1000)));
    const partial = partialFileName(file);
    try {
      const taken = await access(file).then(
        () => true,
        () => false,
      );
      if (taken) throw Object.assign(new Error(`${file} exists`), { code: "EEXIST" });
      const handle = await open(partial, "wx", 0o600);
      writing.add(path.resolve(partial));
      return { file, partial, handle };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= MAX_NAME_ATTEMPTS) throw unwritable(error);
    }
  }
}

/**
 * Removes the partial dumps in `directory` (one prefix's folder) whose
 * writer is gone (see isAbandonedPartial); returns their paths.
 */
export async function removePartialBackups(directory: string): Promise<string[]> {
  const names = await readdir(directory).catch(() => [] as string[]);
  const partials = names.map((n) => path.join(directory, n)).filter(isAbandonedPartial);
  for (const file of partials) await unlink(file).catch(() => undefined);
  return partials;
}

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
    await runPgTool(invocation, (stdout) => pipeline(stdout, counter, handle.createWriteStream({ flush: true })));
    // Only a complete dump gets its final name (rename is atomic in a directory).
    await rename(partial, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(partial).catch(() => undefined);
    const reason = redact(errorText(error), invocation.env);
    throw new MigrationError("BACKUP_FAILED", `backup of schema "${schema}" into directory "${directory}" failed: ${reason}`);
  } finally {
    writing.delete(path.resolve(partial));
  }
  const seconds = (Date.now() - started) / 1000;
  onProgress?.({ bytes: counter.bytes, seconds });
  return { file, bytes: counter.bytes, seconds, compression: compressionLabel(compression), tool: toolLabel(pgDump) };
}

export interface RestoreOptions {
  /** postgresql:// URL of the database to restore into; its parts reach pg_restore as PG* variables only. */
  databaseUrl: string;
  /** A dump written by backupSchema. */
  file: string;
  /** The folder of the pg_restore to use; by default PATH's, or a Debian client folder as new as the dump's pg_dump. */
  pgBinDir?: string;
}

/**
 * The pg_restore that reads `file`: as new as the pg_dump that wrote it
 * (its header says which), checked by listing the dump, which reads the
 * file alone; RESTORE_TOOL_MISMATCH before anything is touched otherwise.
 */
async function restoreToolFor(file: string, pgBinDir: string | undefined): Promise<PgClientTool> {
  const header = await readHeader(file);
  if (!header) throw new MigrationError("RESTORE_FAILED", `restore of "${file}" failed: it is not a pg_dump custom-format archive`);
  const written = parseToolVersion(`(PostgreSQL) ${header.pgDumpVersion ?? ""}`);
  const found = await foundClientTools(pgBinDir);
  const tools = nearestTools(found, written?.major ?? 0, "pgRestore");
  const seen = found.length > 0 ? foundList(found.map((t) => t.pgRestore)) : "none";
  if (!tools)
    throw new MigrationError(
      "RESTORE_TOOL_MISMATCH",
      `cannot restore "${file}": it was written by pg_dump ${header.pgDumpVersion ?? "(unknown)"}, and pg_restore reads only dumps of its own major or older; ` +
        `pg_restore found: ${seen}. ${written ? toolAdvice(written.major) : "Name a newer pg_restore's folder with pgBinDir (--pg-bin-dir)"}`,
    );
  try {
    await runPgTool({ command: tools.pgRestore.command, args: ["--list", path.resolve(file)], env: {}, niceness: 0 });
  } catch (error) {
    // An archive format newer than the tool's is a tool that is too old; anything else is a damaged file.
    const text = errorText(error);
    if (/unsupported version/.test(text))
      throw new MigrationError("RESTORE_TOOL_MISMATCH", `cannot restore "${file}": ${toolLabel(tools.pgRestore)} cannot read it: ${text}`);
    throw new MigrationError("RESTORE_FAILED", `restore of "${file}" failed: ${text}`);
  }
  return tools.pgRestore;
}

/**
 * Restores a dump with pg_restore, as restoreCommand does, in one
 * transaction: objects of the dump that exist are dropped and recreated.
 * Throws MigrationError RESTORE_FAILED with pg_restore's stderr (never the
 * password); the database is then unchanged.
 */
export async function restoreSchema(options: RestoreOptions): Promise<{ file: string; seconds: number; tool: string }> {
  try {
    await access(options.file, fsConstants.R_OK);
  } catch (error) {
    throw new MigrationError("RESTORE_FAILED", `restore of "${options.file}" failed: ${errorText(error)}`);
  }
  const pgRestore = await restoreToolFor(options.file, options.pgBinDir);
  const invocation = { ...pgRestoreInvocation(options.databaseUrl, options.file), command: pgRestore.command };
  const started = Date.now();
  try {
    await runPgTool(invocation);
  } catch (error) {
    const reason = redact(errorText(error), invocation.env);
    throw new MigrationError("RESTORE_FAILED", `restore of "${options.file}" failed: ${reason}`);
  }
  return { file: options.file, seconds: (Date.now() - started) / 1000, tool: toolLabel(pgRestore) };
}
