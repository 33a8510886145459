/**
 * Faults made on purpose: SQLite writers held open in another process, a
 * corrupted page, tmpfs mounts (small or read-only) for backup disks, and
 * scratch folders.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { PROJECT_ROOT } from "../../support/pulumi";

const SQLITE_WRITER = path.join(__dirname, "..", "fixtures", "sqlite-writer.js");

export type WriterMode = "exclusive" | "immediate" | "wal";

export interface HeldWriter {
  /** What the writer reported once its lock or frames were in place. */
  readonly info: { committedRows: number; pendingRows: number };
  /** Ends the writer (rolls back a held transaction, closes the connection) and waits for it to exit. */
  release(): Promise<void>;
}

/**
 * A writer in another process on a SQLite file (see fixtures/sqlite-writer.js):
 * `exclusive` holds BEGIN EXCLUSIVE in rollback-journal mode (readers get
 * SQLITE_BUSY), `immediate` holds BEGIN IMMEDIATE with uncommitted rows,
 * `wal` commits rows into the write-ahead log and keeps the connection open
 * with checkpoints off, so they are only in the -wal file.
 */
export function holdWriter(file: string, mode: WriterMode, table: string, rows: number): Promise<HeldWriter> {
  const child = spawn(process.execPath, [SQLITE_WRITER, file, mode, table, String(rows)], {
    cwd: PROJECT_ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    let stdout = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const line = /^ready (.*)$/m.exec(stdout);
      if (!line) return;
      resolve({
        info: JSON.parse(line[1]) as HeldWriter["info"],
        release: async () => {
          child.stdin!.end("release\n");
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`the SQLite writer exited before it was ready: ${stderr}`)));
  });
}

export interface Mount {
  readonly dir: string;
  /** Whether a real tmpfs is mounted there (else the folder is a plain one and the caller falls back). */
  readonly mounted: boolean;
  cleanup(): void;
}

/** Whether this process may mount a tmpfs (root or CAP_SYS_ADMIN): probed once, by mounting one. */
export const CAN_MOUNT: boolean = (() => {
  const probe = tmpfsMount("1m");
  probe.cleanup();
  return probe.mounted;
})();

/**
 * A tmpfs of `size` (e.g. "2m") mounted on a new folder, read-only when
 * asked. Needs root (or CAP_SYS_ADMIN); without it `mounted` is false and
 * the folder is an ordinary one.
 */
export function tmpfsMount(size: string, options: { readOnly?: boolean } = {}): Mount {
  const dir = mkdtempSync(path.join(tmpdir(), "sdm-mount-"));
  let mounted = false;
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `${options.readOnly ? "ro," : ""}size=${size},mode=0755`, "tmpfs", dir], { stdio: "pipe" });
    mounted = true;
  } catch {
    mounted = false;
  }
  return {
    dir,
    mounted,
    cleanup() {
      if (mounted) execFileSync("umount", [dir], { stdio: "pipe" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Copies of `files` on read-only media: a tmpfs remounted read-only (as
 * root), else a folder without write permission (enforced for other users).
 */
export function readOnlyCopies(files: readonly string[]): Mount {
  const mount = tmpfsMount("64m");
  for (const file of files) copyFileSync(file, path.join(mount.dir, path.basename(file)));
  if (mount.mounted) execFileSync("mount", ["-o", "remount,ro", mount.dir], { stdio: "pipe" });
  else chmodSync(mount.dir, 0o555);
  return {
    ...mount,
    cleanup() {
      if (!mount.mounted) chmodSync(mount.dir, 0o755);
      mount.cleanup();
    },
  };
}

/** A temporary folder for one test file, removed by cleanup(). */
export function scratchDir(label: string): { readonly dir: string; path(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `sdm-${label}-`));
  return {
    dir,
    path: (name: string) => {
      const full = path.join(dir, name);
      mkdirSync(path.dirname(full), { recursive: true });
      return full;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A prefix with one version loaded and active: what a bad input must leave exactly as it is. */

/**
 * Corrupts a SQLite file the way a bad disk or a torn copy does: the middle
 * half of the middle leaf page of `table` overwritten with 0xFF, cell
 * headers and payloads both.
 */
export function overwriteMiddleOfPage(file: string, table: string): void {
  const db = new Database(file, { readonly: true });
  let page: number;
  let pageSize: number;
  try {
    pageSize = Number(db.pragma("page_size", { simple: true }));
    const leaves = db
      .prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno")
      .pluck()
      .all(table) as number[];
    page = leaves[leaves.length >> 1];
  } finally {
    db.close();
  }
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, Buffer.alloc(pageSize >> 1, 0xff), 0, pageSize >> 1, (page - 1) * pageSize + (pageSize >> 2));
  } finally {
    closeSync(fd);
  }
}
