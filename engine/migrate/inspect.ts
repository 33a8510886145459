/**
 * Everything known before touching PostgreSQL: the export's digest, its
 * schema, the evidence about its data, and the plan. Cheap whatever the
 * export's size (a hash of the file and a sample), so preview can run it.
 */
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { buildPlan, MigrationPlan, PlanOptions } from "../plan";
import { gatherEvidence, SourceEvidence } from "../profile";
import { introspectSource, openSource, SourceSchema } from "../source";

export interface Inspection {
  readonly sourcePath: string;
  readonly sourceBytes: number;
  /** sha256 of the database file and its write-ahead log, if any. */
  readonly digest: string;
  readonly source: SourceSchema;
  readonly evidence: SourceEvidence;
  readonly plan: MigrationPlan;
  readonly seconds: number;
}

/** sha256 of the file and, for a WAL database, of its -wal file (uncheckpointed rows live there). */
export async function sourceDigest(path: string): Promise<string> {
  const hash = createHash("sha256");
  for (const file of [path, `${path}-wal`]) {
    if (file !== path && !existsSync(file)) continue;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

export async function inspectSource(sourcePath: string, planOptions: PlanOptions = {}): Promise<Inspection> {
  const started = performance.now();
  const db = openSource(sourcePath);
  try {
    const source = introspectSource(db);
    const evidence = gatherEvidence(db, source, sourcePath);
    const plan = buildPlan(source, evidence, sourcePath, planOptions);
    const digest = await sourceDigest(sourcePath);
    const sourceBytes = statSync(sourcePath).size + (existsSync(`${sourcePath}-wal`) ? statSync(`${sourcePath}-wal`).size : 0);
    return { sourcePath, sourceBytes, digest, source, evidence, plan, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}
