/**
 * Worker thread gathering the export's evidence (the column samples and the
 * structure checks), with a read-only connection of its own. Sampling makes
 * short-lived values by the hundred thousand: in a worker, the young
 * generation that grows for them (32 MB and more) goes away with the
 * worker, instead of staying committed in the main thread for the whole
 * load. Failures arrive as the SourceError they were, by code.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SourceError } from "../errors";
import { gatherEvidence } from "../profile";
import { openSource, sourceFailure, SourceSchema } from "../source";

export interface EvidenceRequest {
  readonly sourcePath: string;
  readonly source: SourceSchema;
}

export type EvidenceReply =
  | { readonly type: "evidence"; readonly evidence: ReturnType<typeof gatherEvidence> }
  | { readonly type: "error"; readonly code: SourceErrorCode; readonly message: string; readonly table: string | null };

type SourceErrorCode = ConstructorParameters<typeof SourceError>[0];

const { sourcePath, source } = workerData as EvidenceRequest;
let reply: EvidenceReply;
try {
  const db = openSource(sourcePath);
  try {
    reply = { type: "evidence", evidence: gatherEvidence(db, source, sourcePath) };
  } finally {
    db.close();
  }
} catch (error) {
  const failure = sourceFailure(sourcePath, error);
  reply = { type: "error", code: failure.code as SourceErrorCode, message: failure.message, table: failure.table ?? null };
}
parentPort!.postMessage(reply);
