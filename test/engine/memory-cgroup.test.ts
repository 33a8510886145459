/**
 * The memory health check respects a cgroup's memory limit: the check runs
 * in a process of its own placed in a new cgroup v1 memory group limited to
 * 384 MiB, on a machine with far more free memory, and reports the limit,
 * the file it comes from, and at most the limit as available. Where no
 * memory cgroup can be created (not root, no v1 memory controller) the
 * case is reported as skipped, never passed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { freemem } from "node:os";
import * as path from "node:path";
import type { Finding } from "../../engine";

const DIST_ENGINE = path.resolve(__dirname, "../../dist/engine/index.js");
const MIB = 1024 ** 2;
const LIMIT = 384 * MIB;

/** A child of this process's own v1 memory cgroup, or null (with the reason) when none can be made here. */
function makeCgroup(): { dir: string } | { reason: string } {
  const line = readFileSync("/proc/self/cgroup", "utf8")
    .split("\n")
    .find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (!line) return { reason: "no cgroup v1 memory controller" };
  const dir = path.join("/sys/fs/cgroup/memory", line.split(":")[2], `sdm-health-${process.pid}`);
  try {
    mkdirSync(dir);
    writeFileSync(path.join(dir, "memory.limit_in_bytes"), String(LIMIT));
    return { dir };
  } catch (error) {
    return { reason: `cannot create ${dir}: ${(error as Error).message}` };
  }
}

const cgroup = makeCgroup();
afterAll(() => {
  if ("dir" in cgroup) rmdirSync(cgroup.dir);
});
if ("reason" in cgroup) console.warn(`memory cgroup tests skipped: ${cgroup.reason}`);
const withCgroup = "dir" in cgroup ? test : test.skip;

/** The memory finding of checkHealth, run by a new process that first moves itself into `dir` (when given). */
function memoryFinding(minFreeMemoryBytes: number, dir?: string): Finding {
  const script = `require(${JSON.stringify(DIST_ENGINE)}).checkHealth({ minFreeMemoryBytes: ${minFreeMemoryBytes} })
    .then((findings) => process.stdout.write(JSON.stringify(findings.find((f) => f.check === "memory"))));`;
  const out = dir
    ? execFileSync("sh", ["-c", 'echo $$ > "$1/cgroup.procs" && exec "$2" -e "$3"', "sh", dir, process.execPath, script], {
        encoding: "utf8",
      })
    : execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
  return JSON.parse(out) as Finding;
}

withCgroup("inside a 384 MiB cgroup the check blocks a load needing 512 MiB, naming the limit and its file", () => {
  const dir = (cgroup as { dir: string }).dir;
  // The machine has room: only the limit can make the check fail.
  expect(freemem()).toBeGreaterThan(2 * LIMIT);
  const finding = memoryFinding(512 * MIB, dir);
  expect(finding).toMatchObject({ check: "memory", severity: "critical", total: 512 * MIB });
  expect(finding.count).toBeLessThanOrEqual(LIMIT);
  expect(finding.count).toBeGreaterThan(LIMIT / 2);
  expect(finding.message).toContain(`under the 384 MiB limit of ${path.join(dir, "memory.limit_in_bytes")}`);
  expect(finding.message).toContain("the load needs 512 MiB");
});

withCgroup("inside the same cgroup a load needing 64 MiB passes, and the finding still names the limit", () => {
  const dir = (cgroup as { dir: string }).dir;
  const finding = memoryFinding(64 * MIB, dir);
  expect(finding).toMatchObject({ check: "memory", severity: "ok" });
  expect(finding.message).toContain(`under the 384 MiB limit of ${path.join(dir, "memory.limit_in_bytes")}`);
});

test("outside it, a load needing 512 MiB passes on this machine's free memory", () => {
  const finding = memoryFinding(512 * MIB);
  expect(finding).toMatchObject({ check: "memory", severity: "ok" });
  expect(finding.message).not.toContain("sdm-health-");
  expect(finding.count).toBeGreaterThan(LIMIT);
});
