/**
 * Peak resident memory of a process and all its descendants, sampled from
 * /proc every 100 ms. Threads (the engine's reader workers) share their
 * process's RSS, so one figure per process counts them; the sum over the
 * tree counts pipelines (sqlite3 | psql) and helpers (pg_dump) too. Pages
 * shared between processes (libraries) are counted once per process, as
 * `ps` and `top` do. The PostgreSQL server is not a descendant: never counted.
 */
import { readdirSync, readFileSync } from "node:fs";

export const SAMPLE_INTERVAL_MS = 100;

export interface RssPeak {
  /** Highest sum over the tree at one sample, in bytes. */
  readonly peakBytes: number;
  /** Highest sum per command name (node, sqlite3, psql, pg_dump, pgloader) at one sample, in bytes. */
  readonly peakByCommand: Readonly<Record<string, number>>;
  readonly samples: number;
}

interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly command: string;
}

/** pid, parent and command from /proc/<pid>/stat; the command may hold spaces and parentheses. */
function readStat(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    return { pid, ppid: Number(fields[1]), command: stat.slice(open + 1, close) };
  } catch {
    return null; // exited between the listing and the read
  }
}

/** VmRSS in bytes; 0 for a zombie or a process gone meanwhile. */
function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The root and every descendant alive now. */
export function processTree(rootPid: number): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  let root: ProcessInfo | null = null;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readStat(Number(entry));
    if (!info) continue;
    if (info.pid === rootPid) root = info;
    const siblings = children.get(info.ppid);
    if (siblings) siblings.push(info);
    else children.set(info.ppid, [info]);
  }
  if (!root) return [];
  const tree: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return tree;
}

/** Samples the tree of `rootPid` until stop() is called; stop() returns the peaks. */
export function sampleTreeRss(rootPid: number, intervalMs = SAMPLE_INTERVAL_MS): { stop(): RssPeak } {
  let peakBytes = 0;
  let samples = 0;
  const peakByCommand: Record<string, number> = {};
  const sample = (): void => {
    const byCommand: Record<string, number> = {};
    let total = 0;
    for (const info of processTree(rootPid)) {
      const bytes = residentBytes(info.pid);
      total += bytes;
      byCommand[info.command] = (byCommand[info.command] ?? 0) + bytes;
    }
    samples++;
    peakBytes = Math.max(peakBytes, total);
    for (const [command, bytes] of Object.entries(byCommand)) peakByCommand[command] = Math.max(peakByCommand[command] ?? 0, bytes);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop(): RssPeak {
      clearInterval(timer);
      return { peakBytes, peakByCommand, samples };
    },
  };
}
