/**
 * PostgreSQL's client tools a run backs up and restores with, found for the
 * server. pg_dump refuses a server newer than itself ("aborting because of
 * server version mismatch") and writes archives only a pg_restore as new
 * reads, so a run must know before it writes anything whether its backup
 * can be made, and a restore whether the dump can be read.
 *
 * Where they are looked for: the folder `pgBinDir` names (and nowhere else),
 * else the pg_dump and pg_restore on PATH and every client Debian installs
 * beside them (/usr/lib/postgresql/<major>/bin). Of those that dump the
 * server, the nearest major is used: PATH's first when it does.
 */
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import type { ClientBase } from "pg";
import { MigrationError } from "../errors";
import { serverVersion } from "../sql/connect";

export interface PgClientTool {
  /** What is run: a path, or the bare name found on PATH. */
  readonly command: string;
  /** "15.20": the version it reports. */
  readonly version: string;
  readonly major: number;
}

export interface PgClientTools {
  readonly pgDump: PgClientTool;
  readonly pgRestore: PgClientTool;
}

/** Where Debian installs each major's client tools side by side. */
export const DEBIAN_CLIENT_ROOT = "/usr/lib/postgresql";

/** "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" -> 15.20. */
export function parseToolVersion(output: string): { version: string; major: number } | null {
  const match = /\(PostgreSQL\)\s+((\d+)(?:\.\d+)?)/.exec(output);
  return match ? { version: match[1], major: Number(match[2]) } : null;
}

const versions = new Map<string, Promise<PgClientTool | null>>();

/** The tool's version, asked once per process; null when it cannot be run. */
export function clientTool(command: string): Promise<PgClientTool | null> {
  let known = versions.get(command);
  if (!known) {
    known = promisify(execFile)(command, ["--version"]).then(
      ({ stdout }) => {
        const parsed = parseToolVersion(stdout);
        return parsed ? { command, ...parsed } : null;
      },
      () => null,
    );
    versions.set(command, known);
  }
  return known;
}

/** The folders to look in, in order; null stands for PATH. */
async function folders(pgBinDir: string | undefined): Promise<(string | null)[]> {
  if (pgBinDir) return [pgBinDir];
  const majors = await readdir(DEBIAN_CLIENT_ROOT).catch(() => [] as string[]);
  const debian = majors
    .filter((m) => /^\d+$/.test(m))
    .sort((a, b) => Number(a) - Number(b))
    .map((m) => path.join(DEBIAN_CLIENT_ROOT, m, "bin"));
  return [null, ...debian];
}

/** Every pair of pg_dump and pg_restore of one folder, in looking order. */
export async function foundClientTools(pgBinDir?: string): Promise<PgClientTools[]> {
  const found: PgClientTools[] = [];
  for (const folder of await folders(pgBinDir)) {
    const at = (name: string) => (folder === null ? name : path.join(folder, name));
    const [pgDump, pgRestore] = await Promise.all([clientTool(at("pg_dump")), clientTool(at("pg_restore"))]);
    if (pgDump && pgRestore) found.push({ pgDump, pgRestore });
  }
  return found;
}

/** The tools of the nearest major that dumps (or reads the dumps of) major `needed`, or null. */
export function nearestTools(found: readonly PgClientTools[], needed: number, tool: "pgDump" | "pgRestore"): PgClientTools | null {
  const able = found.filter((t) => t[tool].major >= needed);
  return able.reduce<PgClientTools | null>((best, t) => (best === null || t[tool].major < best[tool].major ? t : best), null);
}

/** `pg_dump 15.20 (/usr/lib/postgresql/15/bin/pg_dump)`: which tool made a backup. */
export const toolLabel = (tool: PgClientTool) =>
  `${path.basename(tool.command)} ${tool.version} (${tool.command === path.basename(tool.command) ? "on PATH" : tool.command})`;

/** What a team installs for a server's major: Debian's package name, and the setting that names its folder. */
export function toolAdvice(serverMajor: number): string {
  return (
    `install PostgreSQL ${serverMajor}'s client tools (Debian and Ubuntu: postgresql-client-${serverMajor} from apt.postgresql.org; ` +
    `RHEL: postgresql${serverMajor}) and name their folder with pgBinDir (CLI --pg-bin-dir), for example ${DEBIAN_CLIENT_ROOT}/${serverMajor}/bin`
  );
}

/** The tools found, once per version (PATH's pg_dump is often a Debian folder's): "pg_dump 15.20 (on PATH)". */
export function foundList(tools: readonly PgClientTool[]): string {
  const byVersion = new Map<string, PgClientTool>();
  for (const tool of tools) if (!byVersion.has(tool.version)) byVersion.set(tool.version, tool);
  return [...byVersion.values()].map(toolLabel).join(", ");
}

/** BACKUP_TOOL_MISMATCH: no pg_dump found can dump the server; names what was found and the ways forward. */
export function backupToolMismatch(serverVersion: string, serverMajor: number, found: readonly PgClientTools[]): MigrationError {
  return new MigrationError("BACKUP_TOOL_MISMATCH", backupToolProblem(serverVersion, serverMajor, found));
}

export function backupToolProblem(serverVersion: string, serverMajor: number, found: readonly PgClientTools[]): string {
  const seen = found.length > 0 ? foundList(found.map((t) => t.pgDump)) : "none (no pg_dump on PATH or in pgBinDir)";
  return (
    `the server is PostgreSQL ${serverVersion} and pg_dump dumps only servers of its own major or older; pg_dump found: ${seen}. ` +
    `Ways forward: ${toolAdvice(serverMajor)}; or set backup to none (CLI --backup none) to load without a pg_dump backup, ` +
    `the replaced version kept for rollback (retainVersions at least 1)`
  );
}

/** The server a backup dumps, and the client tools found for it (pgBinDir's, else PATH's and Debian's). */
export async function backupServerOf(client: ClientBase, pgBinDir?: string) {
  return { ...(await serverVersion(client)), found: await foundClientTools(pgBinDir) };
}
