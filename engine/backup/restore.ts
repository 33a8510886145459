/**
 * The restore of a dump, with a pg_restore as new as the pg_dump that wrote
 * it, in one transaction.
 */
import { access, constants as fsConstants } from "node:fs/promises";
import * as path from "node:path";
import { MigrationError } from "../errors";
import { readHeader } from "./dump-header";
import { errorText, pgRestoreInvocation, redact, runPgTool } from "./pg-invocation";
import { foundClientTools, foundList, nearestTools, parseToolVersion, PgClientTool, toolAdvice, toolLabel } from "./pg-tools";

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
