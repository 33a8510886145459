/**
 * A scratch copy of the working tree (tracked and untracked files, nothing
 * git ignores), as a fresh clone would have it, with node_modules linked to
 * save the install. For tests of the project's own entry points.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "./pulumi";

export interface ScratchClone {
  readonly dir: string;
  cleanup(): void;
}

export function scratchClone(): ScratchClone {
  const dir = mkdtempSync(path.join(tmpdir(), "sdm-clone-"));
  // Other users (an embedded PostgreSQL runs as postgres) must reach files below it.
  chmodSync(dir, 0o755);
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && !f.startsWith("test/scratch"));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    try {
      copyFileSync(path.join(PROJECT_ROOT, file), path.join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error; // deleted but not yet committed
    }
  }
  symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
