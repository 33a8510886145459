/**
 * The memory a run may use: the system's free memory, or less when the
 * process runs in a cgroup with a memory limit (a container, a systemd
 * slice). os.freemem() reports the host's memory and ignores the limit, and
 * process.availableMemory() does not say where its figure comes from, so
 * the limit is read from the cgroup files themselves, and the finding names
 * the file.
 */
import { readFile } from "node:fs/promises";
import { freemem, totalmem } from "node:os";
import * as path from "node:path";

export interface MemoryBudget {
  /** Bytes the run can still take. */
  readonly available: number;
  /** The cgroup limit, when one constrains the process below the machine's memory. */
  readonly limit: number | null;
  /** Where the figure comes from: the limit's file, or os.freemem(). */
  readonly source: string;
}

interface Hierarchy {
  readonly version: 1 | 2;
  /** Mount point of the hierarchy. */
  readonly mount: string;
  /** The process's cgroup in it, from /proc/self/cgroup. */
  readonly group: string;
}

const V1_MOUNT = "/sys/fs/cgroup/memory";
/** cgroup v2 alone mounts at /sys/fs/cgroup; beside v1 ("hybrid") at /sys/fs/cgroup/unified. */
const V2_MOUNTS = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"];
/** cgroup v1 writes "no limit" as the largest page-aligned 63-bit number. */
const V1_UNLIMITED = 2 ** 62;

export async function memoryBudget(): Promise<MemoryBudget> {
  const free = freemem();
  const cgroup = await cgroupLimit();
  // A limit above the machine's memory constrains nothing the free memory does not.
  if (!cgroup || cgroup.limit >= totalmem()) return { available: free, limit: null, source: "os.freemem(), no cgroup memory limit" };
  return { available: Math.min(free, Math.max(0, cgroup.limit - cgroup.used)), limit: cgroup.limit, source: cgroup.file };
}

/**
 * The tightest memory limit on the process's cgroup and its ancestors
 * (each level's limit applies), with that level's usage less its
 * reclaimable page cache (the working set, as the kernel's OOM killer and
 * the kubelet count it). Ancestors whose folders a container does not see
 * are skipped: its mount's root is its own cgroup.
 */
async function cgroupLimit(): Promise<{ limit: number; used: number; file: string } | null> {
  const hierarchy = await memoryHierarchy();
  if (!hierarchy) return null;
  let tightest: { limit: number; used: number; file: string } | null = null;
  for (let group = hierarchy.group; ; group = path.posix.dirname(group)) {
    const level = await readLevel(hierarchy, path.join(hierarchy.mount, group));
    if (level && (!tightest || level.limit < tightest.limit)) tightest = level;
    if (group === "/") return tightest;
  }
}

async function readLevel(hierarchy: Hierarchy, dir: string): Promise<{ limit: number; used: number; file: string } | null> {
  const [limitFile, usageFile, inactiveKey] =
    hierarchy.version === 1
      ? ["memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"]
      : ["memory.max", "memory.current", "inactive_file"];
  const file = path.join(dir, limitFile);
  const text = await readText(file);
  if (text === null || text === "max") return null;
  const limit = Number(text);
  if (!Number.isFinite(limit) || (hierarchy.version === 1 && limit >= V1_UNLIMITED)) return null;
  const usage = Number((await readText(path.join(dir, usageFile))) ?? 0);
  const stat = (await readText(path.join(dir, "memory.stat"))) ?? "";
  const inactive = Number(new RegExp(`^${inactiveKey} (\\d+)$`, "m").exec(stat)?.[1] ?? 0);
  return { limit, used: Math.max(0, usage - inactive), file };
}

/** The memory controller's hierarchy: v1 when it holds the memory controller, else v2 when it is enabled there. */
async function memoryHierarchy(): Promise<Hierarchy | null> {
  const lines = ((await readText("/proc/self/cgroup")) ?? "").split("\n");
  for (const line of lines) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match && match[1].split(",").includes("memory")) return { version: 1, mount: V1_MOUNT, group: match[2] };
  }
  const unified = lines.map((line) => /^0::(.*)$/.exec(line)).find((m) => m !== null);
  if (!unified) return null;
  for (const mount of V2_MOUNTS) {
    const controllers = await readText(path.join(mount, "cgroup.controllers"));
    if (controllers !== null && controllers.split(/\s+/).includes("memory")) return { version: 2, mount, group: unified[1] };
  }
  return null;
}

async function readText(file: string): Promise<string | null> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    return null;
  }
}
