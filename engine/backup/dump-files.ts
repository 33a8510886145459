/**
 * The dump files of a prefix's folder: their names, and the partial name a
 * dump has while it is written, so a dump under its final name is whole and
 * a cleanup removes only partials whose writer is gone.
 */
import { access, FileHandle, mkdir, open, readdir, unlink } from "node:fs/promises";
import * as path from "node:path";
import { MigrationError } from "../errors";
import { HOST_LABEL, processAlive } from "../owner-process";
import { errorText } from "./pg-invocation";

/** Two backups of one schema within a second take the next second's name, as versions do. */
const MAX_NAME_ATTEMPTS = 60;

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

/** The partial dump `partial` is no longer written by this process (renamed whole, or removed). */
export function writingDone(partial: string): void {
  writing.delete(path.resolve(partial));
}

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
export async function createDumpFile(
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
