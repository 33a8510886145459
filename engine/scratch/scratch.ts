/**
 * A run's scratch folder: the files a run writes besides the backup (the
 * canary's sample keys, reject spools with raw values from the export) go
 * to <backupDirectory>/<prefix>/scratch/run-<host>-<pid>-<random>, mode
 * 0700, not to the system temp folder: the operator chose that folder for
 * the export's data, its disk is the one the health check measures, and
 * the next run finds what a killed one left.
 *
 * The folder is removed when the run returns or throws, and when the
 * process exits or is ended by SIGINT, SIGTERM or SIGHUP. Only SIGKILL (or
 * a crash of the machine) leaves it; the next run on the prefix then
 * removes the folders of processes of this host that no longer exist,
 * never a live process's, never another host's (that host's runs may still
 * be going on a shared disk). A pid can come back (a container restarted
 * runs its program under the same low pid): each folder records its
 * process's start time, and a live pid started at another time is another
 * process.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { backupFolder } from "../backup/catalog";
import { describeError, MigrationError } from "../errors";
import { HOST_LABEL, processAlive } from "../owner-process";

export const SCRATCH_FOLDER = "scratch";
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** run-<host>-<pid>-<6 characters of mkdtemp>; a host name may hold dashes, so the pid is read from the end. */
const RUN_FOLDER = /^run-(.+)-(\d+)-[A-Za-z0-9]{6}$/;
/** The file in a run folder holding its process's start time. */
const STARTED_FILE = "process-started";

export interface Scratch {
  readonly directory: string;
  /** Folders of dead runs on this host, removed when this one was made. */
  readonly collected: readonly string[];
  remove(): void;
}

/** The scratch folders of a prefix: beside its backups, in the prefix's backup folder. */
export function scratchRoot(backupDirectory: string, prefix: string): string {
  return path.resolve(backupFolder(backupDirectory, prefix), SCRATCH_FOLDER);
}

/** Creates this run's scratch folder, after removing those of dead runs of this host. */
export function openScratch(backupDirectory: string, prefix: string): Scratch {
  const root = scratchRoot(backupDirectory, prefix);
  let directory: string;
  let collected: string[];
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    collected = collectStale(root);
    directory = makeRunFolder(root);
    writeFileSync(path.join(directory, STARTED_FILE), startTime(process.pid) ?? "", { mode: 0o600 });
  } catch (error) {
    throw new MigrationError("SCRATCH_FAILED", `the scratch folder ${root} cannot be used: ${describeError(error)}`, { cause: error });
  }
  track(directory);
  return {
    directory,
    collected,
    remove() {
      untrack(directory);
      removeRunFolder(directory);
    },
  };
}

/** The run's folder; made again once if another run's removeRunFolder took the empty root meanwhile. */
function makeRunFolder(root: string): string {
  const prefix = path.join(root, `run-${HOST_LABEL}-${process.pid}-`);
  try {
    return mkdtempSync(prefix);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(root, { recursive: true, mode: 0o700 });
    return mkdtempSync(prefix);
  }
}

/**
 * Removes a run's folder, and the scratch root when no other run has one
 * there, so the prefix's folder holds only backups between runs.
 */
function removeRunFolder(directory: string): void {
  rmSync(directory, { recursive: true, force: true });
  try {
    rmdirSync(path.dirname(directory));
  } catch {
    // ENOTEMPTY: another run is using it; ENOENT: already gone.
  }
}

function collectStale(root: string): string[] {
  const host = HOST_LABEL;
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    const match = RUN_FOLDER.exec(name);
    if (!match || match[1] !== host) continue;
    const folder = path.join(root, name);
    if (live.has(folder) || isRunning(Number(match[2]), folder)) continue;
    rmSync(folder, { recursive: true, force: true });
    removed.push(folder);
  }
  return removed;
}

/** Whether the process that made `folder` still runs: its pid exists, and started when the folder says. */
function isRunning(pid: number, folder: string): boolean {
  // Not tracked by this process, so an earlier process with this pid made it.
  if (pid === process.pid || !processAlive(pid)) return false;
  const recorded = readText(path.join(folder, STARTED_FILE));
  const current = startTime(pid);
  // Without a record (killed before writing it) or without /proc, a live pid is taken for the run.
  return !recorded || current === null || recorded === current;
}

/** The start time of a process, in clock ticks since boot (field 22 of /proc/<pid>/stat); null where there is no /proc. */
function startTime(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  return stat === null ? null : (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null);
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

/** The scratch folders of this process's runs in progress, removed on the exit paths no finally block sees. */
const live = new Set<string>();

function removeLive(): void {
  for (const directory of live) removeRunFolder(directory);
  live.clear();
}

const onExit = (): void => removeLive();

/**
 * A listener makes Node stop ending the process on the signal. When ours is
 * the only one, it removes the folders and raises the signal again without
 * itself, so the process ends as it would have; when the program has its
 * own, that listener decides, and the run's finally block or the exit
 * listener removes the folders.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  removeLive();
  uninstall();
  process.kill(process.pid, signal);
}

function track(directory: string): void {
  if (live.size === 0) {
    process.on("exit", onExit);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  live.add(directory);
}

function untrack(directory: string): void {
  if (live.delete(directory) && live.size === 0) uninstall();
}

function uninstall(): void {
  process.off("exit", onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}
