/** Generated ServiceDesk exports for tests, in a temporary folder. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generateServicedeskDatabase } from "../../engine/generate";

export interface SourceFolder {
  readonly dir: string;
  /** Generates `name` (cached per folder) and returns its path and row counts. */
  make(name: string, options: { tickets: number; seed: number; defectRate?: number }): { path: string; rows: Record<string, number> };
  cleanup(): void;
}

export function sourceFolder(): SourceFolder {
  const dir = mkdtempSync(path.join(tmpdir(), "sdm-sources-"));
  const made = new Map<string, { path: string; rows: Record<string, number> }>();
  return {
    dir,
    make(name, options) {
      const known = made.get(name);
      if (known) return known;
      const out = path.join(dir, name);
      const result = generateServicedeskDatabase({ ...options, out });
      const entry = { path: out, rows: result.rows };
      made.set(name, entry);
      return entry;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
