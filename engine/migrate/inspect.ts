/**
 * Everything known before touching PostgreSQL: the export's digest, its
 * schema, the evidence about its data, and the plan. Cheap whatever the
 * export's size (a hash of the file and a sample), so preview can run it.
 */
import { existsSync, statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { buildPlan, MigrationPlan, PlanOptions } from "../plan";
import { SourceError } from "../errors";
import { SourceEvidence } from "../profile";
import { introspectSource, openSource, SourceSchema } from "../source";
import { workerScript } from "../worker-script";
import type { EvidenceReply, EvidenceRequest } from "./evidence-worker";

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

/** The one message a worker of `relative` posts, for `workerData`. */
function workerResult<T>(relative: string, workerData: unknown, what: string): Promise<T> {
  const { script, execArgv } = workerScript(relative);
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData, execArgv });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`${what} stopped with exit code ${code}`));
    });
  });
}

/**
 * sha256 of the file and, for a WAL database, of its -wal file
 * (uncheckpointed rows live there), hashed in a worker thread so the
 * introspection and sampling run meanwhile.
 */
export function sourceDigest(path: string): Promise<string> {
  return workerResult("migrate/digest-worker", path, `hashing ${path}`);
}

/** The evidence of every table, gathered in a worker thread (migrate/evidence-worker.ts says why). */
async function sourceEvidence(sourcePath: string, source: SourceSchema): Promise<SourceEvidence> {
  const reply = await workerResult<EvidenceReply>(
    "migrate/evidence-worker",
    { sourcePath, source } satisfies EvidenceRequest,
    `sampling ${sourcePath}`,
  );
  if (reply.type === "evidence") return reply.evidence;
  throw new SourceError(reply.code, sourcePath, reply.message, reply.table === null ? {} : { table: reply.table });
}

export async function inspectSource(sourcePath: string, planOptions: PlanOptions = {}): Promise<Inspection> {
  const started = performance.now();
  const db = openSource(sourcePath);
  const digesting = sourceDigest(sourcePath);
  // Awaited below; until then a failure must not be reported as unhandled.
  digesting.catch(() => undefined);
  try {
    const source = introspectSource(db);
    const evidence = await sourceEvidence(sourcePath, source);
    const plan = buildPlan(source, evidence, sourcePath, planOptions);
    const digest = await digesting;
    const sourceBytes = statSync(sourcePath).size + (existsSync(`${sourcePath}-wal`) ? statSync(`${sourcePath}-wal`).size : 0);
    return { sourcePath, sourceBytes, digest, source, evidence, plan, seconds: (performance.now() - started) / 1000 };
  } finally {
    db.close();
  }
}
