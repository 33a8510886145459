/**
 * Measured statistics cached by export digest and plan fingerprint: a
 * second preview of the same export (and the up that follows it) reuses
 * them instead of converting every value again. The verdict is always
 * recomputed, so changing minQuality or thresholds needs no new measure.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { SourceInputs } from "../load/table-jobs";
import { TableReadStats } from "../load/protocol";
import { TablePlan } from "../plan/model";
import { ProgressListener } from "../progress";
import { measureByReading, MeasuredTable } from "./measure";

/** 2: the entry keeps each table's plan as measured (columns widened for values outside the sample). */
const CACHE_VERSION = 2;

export function measureCacheDirectory(): string {
  return (
    process.env.SERVICEDESK_MIGRATION_CACHE ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), ".cache"), "servicedesk-migration", "measures")
  );
}

interface CachedMeasure {
  version: number;
  plans: Record<string, TablePlan>;
  stats: Record<string, TableReadStats>;
  duplicates: Record<string, number>;
}

export async function measureWithCache(
  inputs: SourceInputs & { digest: string },
  onProgress?: ProgressListener,
): Promise<{ tables: MeasuredTable[]; cached: boolean }> {
  const dir = measureCacheDirectory();
  // The plan's fingerprint carries the engine's storage revision: an older engine's measures are never read.
  const file = path.join(dir, `${inputs.digest.slice(0, 32)}-${inputs.plan.fingerprint.slice(0, 32)}.json`);
  try {
    const cached = JSON.parse(readFileSync(file, "utf8")) as CachedMeasure;
    if (cached.version === CACHE_VERSION && inputs.plan.tables.every((t) => cached.stats[t.name] && cached.plans[t.name])) {
      const tables = inputs.plan.tables.map((plan) => ({
        plan: cached.plans[plan.name],
        evidence: inputs.evidence.tables.find((e) => e.name === plan.source)!,
        stats: cached.stats[plan.name],
        duplicates: cached.duplicates[plan.name] ?? 0,
      }));
      return { tables, cached: true };
    }
  } catch {
    // No cache entry (or an unreadable one): measure.
  }
  const measured = await measureByReading(inputs, onProgress);
  const entry: CachedMeasure = {
    version: CACHE_VERSION,
    plans: Object.fromEntries(measured.tables.map((t) => [t.plan.name, t.plan])),
    stats: Object.fromEntries(measured.tables.map((t) => [t.plan.name, t.stats])),
    duplicates: Object.fromEntries(measured.tables.map((t) => [t.plan.name, t.duplicates])),
  };
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(`${file}.tmp`, JSON.stringify(entry), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  } catch {
    // A cache that cannot be written only costs time next run.
  }
  return { tables: measured.tables, cached: false };
}
