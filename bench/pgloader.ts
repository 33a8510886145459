/**
 * pgloader (the Debian package) as a contender, with its defaults for a
 * SQLite source (create tables, indexes, reset sequences) and a 4 GiB heap,
 * since the default one runs out at 1M tickets. pgloader can exit 0 after a
 * failed load, so it is judged by the rows it left: every table of the
 * export must hold as many rows in PostgreSQL as in SQLite.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { MigrationPlan } from "../engine/plan/model";
import { redactPassword } from "../engine/sql/connect";
import { columnTypes, countRows } from "./databases";
import { measuredRun } from "./measured-run";
import { RssPeak } from "./process-tree-rss";

export const PGLOADER_HEAP_MB = 4096;

export interface PgloaderRun {
  readonly ok: boolean;
  readonly error: string | null;
  readonly version: string | null;
  readonly wallSeconds: number | null;
  readonly rss: RssPeak | null;
  readonly exitCode: number | null;
  readonly rows: Readonly<Record<string, number | null>>;
  readonly columnTypes: Readonly<Record<string, Record<string, string>>>;
  /** The end of pgloader's output: its summary table, or why it died. */
  readonly outputTail: string;
  readonly command: string;
}

interface PgloaderInput {
  readonly sourcePath: string;
  readonly databaseUrl: string;
  readonly sourceRows: Readonly<Record<string, number>>;
  readonly workDirectory: string;
  readonly timeoutSeconds: number;
  readonly log: (line: string) => void;
  /** CAST clauses of the command; none runs pgloader with its defaults. */
  readonly casts?: readonly string[];
}

/**
 * The Debian package's version and what the binary calls itself (3.6.9-1
 * says "3.6.7~devel"), or null when pgloader is not installed.
 */
export function pgloaderVersion(rootDirectory: string): string | null {
  // Even --version creates its root directory (by default /tmp/pgloader): keep it in the bench's.
  const probe = spawnSync("pgloader", ["--root-dir", rootDirectory, "--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return null;
  const own = /version\s+"?([^"\s]+)/.exec(probe.stdout)?.[1] ?? probe.stdout.split("\n")[0].trim();
  const dpkg = spawnSync("dpkg-query", ["-W", "-f", "${Version}", "pgloader"], { encoding: "utf8" });
  const debian = dpkg.status === 0 ? dpkg.stdout.trim() : "";
  return debian && debian !== own ? `${debian} (reports ${own})` : own;
}

/**
 * CAST rules for the columns pgloader cannot load by default: epoch numbers
 * in DATETIME columns, which its default cast turns into a text timestamp
 * like "1633453583-01-01" that PostgreSQL refuses, losing the whole table.
 * Seconds become timestamptz with pgloader's own transform; other readings
 * (milliseconds, Julian days), which it has no transform for, stay bigint
 * (as in the floor).
 */
export function epochCasts(plan: MigrationPlan): string[] {
  return plan.tables.flatMap((t) =>
    t.columns.flatMap((c) => {
      if (c.converter.kind !== "temporal" || c.converter.numbers.reading === null) return [];
      const target =
        c.converter.numbers.reading === "unix-s" ? "timestamptz drop typemod using unix-timestamp-to-timestamptz" : "bigint drop typemod";
      return [`column ${t.source}.${c.source} to ${target}`];
    }),
  );
}

export function pgloaderCommand(sourcePath: string, databaseUrl: string, casts: readonly string[] = []): string {
  const cast = casts.length > 0 ? `\n  CAST ${casts.join(",\n       ")}` : "";
  return `LOAD DATABASE\n  FROM sqlite://${path.resolve(sourcePath)}\n  INTO ${databaseUrl}${cast};\n`;
}

function mismatches(rows: Readonly<Record<string, number | null>>, expected: Readonly<Record<string, number>>): string[] {
  return Object.entries(expected)
    .filter(([table, n]) => rows[table] !== n)
    .map(([table, n]) => `${table}: ${rows[table] ?? "no table"} rows in PostgreSQL, ${n} in SQLite`);
}

export async function runPgloader(input: PgloaderInput): Promise<PgloaderRun> {
  const rootDirectory = path.join(input.workDirectory, "pgloader");
  const version = pgloaderVersion(rootDirectory);
  const command = pgloaderCommand(input.sourcePath, input.databaseUrl, input.casts);
  const none = {
    version,
    wallSeconds: null,
    rss: null,
    exitCode: null,
    rows: {},
    columnTypes: {},
    outputTail: "",
    command: redactPassword(command, input.databaseUrl),
  };
  if (version === null) {
    return { ...none, ok: false, error: "pgloader is not installed (scripts/bench.sh installs it with apt-get; see its message)" };
  }
  const commandFile = path.join(input.workDirectory, "servicedesk.load");
  writeFileSync(commandFile, command, { mode: 0o600 });
  const run = await measuredRun({
    command: "pgloader",
    args: ["--dynamic-space-size", String(PGLOADER_HEAP_MB), "--root-dir", rootDirectory, commandFile],
    timeoutSeconds: input.timeoutSeconds,
  });
  const outputTail = `${run.stdout}\n${run.stderr}`.trim().slice(-4000);
  const rows = await countRows(input.databaseUrl, Object.keys(input.sourceRows));
  const types = await columnTypes(input.databaseUrl, null);
  const problems = mismatches(rows, input.sourceRows);
  if (run.timedOut) problems.unshift(`killed after ${input.timeoutSeconds} s`);
  else if (run.exitCode !== 0) problems.unshift(`exited with ${run.exitCode ?? run.signal}`);
  input.log(`pgloader: exit ${run.exitCode ?? run.signal}, rows ${JSON.stringify(rows)}`);
  return {
    ok: problems.length === 0,
    error: problems.length === 0 ? null : problems.join("; "),
    version,
    wallSeconds: run.wallSeconds,
    rss: run.rss,
    exitCode: run.exitCode,
    rows,
    columnTypes: types,
    outputTail,
    command: none.command,
  };
}
