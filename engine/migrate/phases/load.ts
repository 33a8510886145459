/**
 * The load phase: a new versioned schema, filled and validated in one open
 * transaction.
 *   start     loads every table, builds keys and indexes, validates rows,
 *             types, checksums and meaning, evaluates the full gate, and
 *             recreates the export's views; nothing is visible yet
 *   complete  writes the version's metadata (with the backup of the
 *             version it replaces) and commits: the version exists, ready
 *   undo      rolls the transaction back: nothing was ever visible, and a
 *             killed process leaves the same (the server rolls back)
 */
import { Client } from "pg";
import { BackupResult } from "../../backup";
import { openLoad, SchemaLoadResult } from "../../load/load-schema";
import { QualityReport } from "../../quality";
import { allocateVersionName, TOOL_NAME, VersionMetadata, writeVersionMetadata } from "../../versions";
import { createViews, ViewsReport } from "../../views";
import { Inspection } from "../inspect";
import { ResolvedOptions } from "../options";
import { resolveStreams } from "../streams";
import { connect } from "../../sql/connect";

export interface LoadPhase {
  readonly schema: string;
  /** Tables loaded at once. */
  readonly streams: number;
  readonly result: SchemaLoadResult;
  readonly views: ViewsReport;
  complete(backup: BackupResult | null, replaced: string | null): Promise<void>;
  undo(cause: unknown): Promise<never>;
}

export interface LoadPhaseInput {
  readonly client: Client;
  readonly options: ResolvedOptions;
  readonly inspection: Inspection;
  /** The run's scratch folder, for reject spools. */
  readonly scratchDirectory: string;
  /** The full gate on the loaded tables and views: throws to refuse the load (GateBlockedError). */
  readonly gate: (result: SchemaLoadResult, views: ViewsReport) => QualityReport;
}

export async function startLoad(input: LoadPhaseInput): Promise<LoadPhase & { quality: QualityReport }> {
  const { client, options, inspection } = input;
  const schema = await allocateVersionName(client, options.schemaPrefix);
  // More streams than tables would only sit idle.
  const streams = Math.min(await resolveStreams(client, options.streams), Math.max(1, inspection.plan.tables.length));
  options.onProgress?.({
    phase: "load",
    message: `loading ${schema} with ${streams} stream(s)${options.streams === "auto" ? " (auto)" : ""}`,
  });
  const load = await openLoad({
    client,
    sourcePath: options.sourcePath,
    source: inspection.source,
    evidence: inspection.evidence,
    plan: inspection.plan,
    schema,
    scratchDirectory: input.scratchDirectory,
    commit: true,
    onProgress: options.onProgress,
    streams: { count: streams, prefix: options.schemaPrefix, connect: () => connect(options.databaseUrl) },
  });
  let quality: QualityReport;
  let views: ViewsReport;
  try {
    views = await createViews({
      client,
      schema,
      sourcePath: options.sourcePath,
      views: inspection.source.views,
      sourceTables: inspection.source.tables,
      tables: load.result.tables,
    });
    quality = input.gate(load.result, views);
  } catch (error) {
    return load.undo(error);
  }
  return {
    schema,
    streams,
    result: load.result,
    views,
    quality,
    async complete(backup, replaced) {
      try {
        await writeVersionMetadata(client, versionMetadata(input, schema, load.result, views, backup, replaced));
      } catch (error) {
        return load.undo(error);
      }
      await load.complete();
    },
    undo: load.undo,
  };
}

function versionMetadata(
  input: LoadPhaseInput,
  schema: string,
  result: SchemaLoadResult,
  views: ViewsReport,
  backup: BackupResult | null,
  replaced: string | null,
): VersionMetadata {
  const { options, inspection } = input;
  return {
    tool: TOOL_NAME,
    formatVersion: 1,
    prefix: options.schemaPrefix,
    schema,
    status: "ready",
    sourceDigest: inspection.digest,
    optionsFingerprint: inspection.plan.fingerprint,
    createdAt: new Date().toISOString(),
    tables: Object.fromEntries(result.tables.map((t) => [t.table, { rows: t.rowsLoaded, rejects: t.rejected }])),
    views,
    replaced: replaced === null ? null : { schema: replaced, backupFile: backup?.file ?? null },
    ...(options.holder ? { loadedBy: options.holder.owner } : options.loadedBy ? { loadedBy: options.loadedBy } : {}),
  };
}
