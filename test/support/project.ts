/**
 * A scratch copy of the Pulumi project for a test file: Pulumi.yaml and
 * package.json copied, dist/ and node_modules/ linked, so stack config files
 * and backups land in a temporary folder instead of the repository.
 */
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT } from "./pulumi";

export interface ScratchProject {
  readonly dir: string;
  cleanup(): void;
}

export function scratchProject(): ScratchProject {
  const dir = mkdtempSync(path.join(tmpdir(), "sdm-project-"));
  for (const file of ["Pulumi.yaml", "package.json"]) copyFileSync(path.join(PROJECT_ROOT, file), path.join(dir, file));
  for (const link of ["dist", "node_modules"]) symlinkSync(path.join(PROJECT_ROOT, link), path.join(dir, link));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
