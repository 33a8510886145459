/**
 * PostgreSQL's client tools (pg_dump, pg_restore) as child processes.
 *
 * The connection reaches them only through PG* environment variables: the
 * command line of any process is readable by every local user
 * (/proc/<pid>/cmdline, ps), the environment only by its owner. Messages
 * that leave here have the password replaced.
 */
import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { OptionError } from "../errors";
import { quoteIdent } from "../sql/identifiers";
import { shellQuote } from "../sql/shell";
import { CompressionSpec, pgDumpCompressArgument } from "./compression";

/**
 * Niceness of pg_dump, whose compression runs in its own process beside the
 * load on the same cores: at 200,000 tickets a complete run with gzip:1 took
 * 10-25% longer than with none at the same priority, and as long as with
 * none at this one, pg_dump still finishing before the load did.
 */
const PG_DUMP_NICENESS = 10;
/** stderr kept for the error message: the tools print the cause first, and a runaway one must not fill memory. */
const STDERR_LIMIT_CHARS = 16 * 1024;

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
export async function runPgTool(invocation: PgToolInvocation, consume?: (stdout: Readable) => Promise<void>): Promise<string> {
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
export function redact(message: string, env: Record<string, string>): string {
  return env.PGPASSWORD ? message.split(env.PGPASSWORD).join("***") : message;
}

export function errorText(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}
