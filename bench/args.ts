/** The command line of `npm run bench`, parsed with node:util (no dependency). */
import { parseArgs } from "node:util";

/** The contenders, in the order they run. */
export const CONTENDERS = ["floor", "simple", "streams", "complete", "pgloader", "codecs"] as const;
export type ContenderName = (typeof CONTENDERS)[number];
/** Those run without --only: the backup codecs compare dumps, not loads, and are asked for by name. */
export const DEFAULT_CONTENDERS: readonly ContenderName[] = ["floor", "simple", "streams", "complete", "pgloader"];

export interface BenchOptions {
  /** Tickets of the generated export (comments and timesheets follow). Defaults to 100000. */
  readonly tickets: number;
  /** Seed of the generated export. Defaults to 1. */
  readonly seed: number;
  /** URL of the PostgreSQL server; its database is only used to create and drop the bench's own. */
  readonly databaseUrl: string;
  /** Which contenders run. Defaults to DEFAULT_CONTENDERS. */
  readonly only: readonly ContenderName[];
  /** Where the export and the results go. Defaults to .data/bench. */
  readonly dataDirectory: string;
  /** A contender still running after this many seconds is killed and marked FAILED. Defaults to 3600. */
  readonly timeoutSeconds: number;
  /** Longest wait, before each contender, for other sessions' statements on the server to finish. Defaults to 60. */
  readonly quietWaitSeconds: number;
}

export const USAGE = `usage: npm run bench -- --tickets N [options]
  --tickets N          tickets in the generated export (default 100000)
  --seed S             seed of the generated export (default 1)
  --database-url URL   PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/postgres)
  --only a,b           contenders to run: ${CONTENDERS.join(",")} (default ${DEFAULT_CONTENDERS.join(",")})
  --data-dir DIR       cache of exports and results (default .data/bench)
  --timeout S          seconds before a contender is killed (default 3600)
  --quiet-wait S       longest wait for other sessions on the server to go quiet
                       before each contender (default 60; 0 = do not wait)
  --help               this text`;

/** A command line that cannot be honoured; the message says which flag and why. */
export class BenchArgsError extends Error {
  override readonly name = "BenchArgsError";
}

function wholeNumber(flag: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new BenchArgsError(`--${flag} must be a whole number of at least ${min}, got "${value}"`);
  }
  return n;
}

function contenders(value: string | undefined): ContenderName[] {
  if (value === undefined) return [...DEFAULT_CONTENDERS];
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unknown = names.filter((n) => !(CONTENDERS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new BenchArgsError(`--only takes a comma-separated list of ${CONTENDERS.join(", ")}; got "${value}"`);
  }
  return CONTENDERS.filter((c) => names.includes(c));
}

/** Parses argv (without node and the script); returns null when --help was asked. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        tickets: { type: "string" },
        seed: { type: "string" },
        "database-url": { type: "string" },
        only: { type: "string" },
        "data-dir": { type: "string" },
        timeout: { type: "string" },
        "quiet-wait": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new BenchArgsError((error as Error).message);
  }
  if (values.help) return null;
  const databaseUrl = values["database-url"] ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new BenchArgsError(`--database-url must be a postgresql:// URL`);
  return {
    tickets: wholeNumber("tickets", values.tickets, 100_000),
    seed: wholeNumber("seed", values.seed, 1, 0),
    databaseUrl,
    only: contenders(values.only),
    dataDirectory: values["data-dir"] ?? ".data/bench",
    timeoutSeconds: wholeNumber("timeout", values.timeout, 3600),
    quietWaitSeconds: wholeNumber("quiet-wait", values["quiet-wait"], 60, 0),
  };
}
