/**
 * Everything known before touching PostgreSQL: the export's digest, its
 * schema, the evidence about its data, and the plan. Cheap whatever the
 * export's size (a hash of the file and a sample), so preview can run it.
 */
import { existsSync, statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { buildPlan, MigrationPlan, PlanOptions } from "../plan";
import { gatherEvidence, SourceEvidence } from "../profile";
import { introspectSource, openSource, SourceSchema } from "../source";
import { workerScript } from "../worker-script";

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

/**
 * sha256 of the file and, for a WAL database, of its -wal file
 * (uncheckpointed rows live there), hashed in a worker thread so the
 * introspection and sampling run meanwhile.
 */
export function sourceDigest(path: string): Promise<string> {
  const { script, execArgv } = workerScript("migrate/digest-worker");
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: path, execArgv });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`hashing ${path} stopped with exit code ${code}`));
    });
  });
}

export async function inspectSource(sourcePath: string, planOptions: PlanOptions = {}): Promise<Inspection> {
  const started = performance.now();
  const db = openSource(sourcePath);
  const digesting = sourceDigest(sourcePath);
  // Awaited below; until then a failure must not be reported as unhandled.
  digesting.catch(() => undefined);
  try {
    const source = introspectSource(db);
    const evidence = gatherEvidence(db, source, sourcePath);
    const plan = buildPlan(source, evidence, sourcePath, planOptions);
    const digest = await digesting;
    const sourceBytes = statSync(sourcePath).size + (existsSync(`${sourcePath}-wal`) ? statSync(`${sourcePath}-wal`).size : 0);
    return { sourcePath, sourceBytes, digest, source, evidence, plan, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}
