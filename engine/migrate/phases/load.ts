/**
 * The load phase: a new versioned schema, filled and validated in one open
 * transaction.
 *   start     loads every table, builds keys and indexes, validates rows,
 *             types, checksums and meaning, recreates the export's views,
 *             and evaluates the gate on every value (which refuses the
 *             load in the modes whose row says so); nothing is visible yet
 *   complete  writes the version's metadata (with the backup of the
 *             version it replaces) and commits: the version exists, ready.
 *             It commits the run: nothing before it is undone after this
 *   undo      rolls the transaction back: nothing was ever visible, and a
 *             killed process leaves the same (the server rolls back)
 */
import { BackupResult } from "../../backup";
import { OpenLoad, openLoad, SchemaLoadResult } from "../../load/load-schema";
import { percent } from "../../figures";
import { modeBehaviour } from "../../modes";
import { shownColumns } from "../../plan/shown-type";
import { QualityReport } from "../../quality";
import { connect } from "../../sql/connect";
import { refusalsOfReport } from "../../views";
import { allocateVersionName, TOOL_NAME, VersionMetadata, writeVersionMetadata } from "../../versions";
import { createViews, ViewsReport } from "../../views";
import { gateBlocked, qualityOf } from "../report-builder";
import { resolveStreams } from "../streams";
import { Phase, Run } from "./phase";

/** The version a load made, before and after it commits. */
export interface LoadedVersion {
  readonly schema: string;
  /** Tables loaded at once. */
  readonly streams: number;
  readonly result: SchemaLoadResult;
  readonly views: ViewsReport;
  /** The gate on every value. */
  readonly quality: QualityReport;
}

export function loadPhase(): Phase {
  let open: OpenLoad | null = null;
  return {
    name: "load",
    commits: true,
    async start(run) {
      const { client, options, inspection } = run;
      await run.timed("load", async () => {
        const schema = await allocateVersionName(client, options.schemaPrefix);
        const streams = await loadStreams(run);
        options.onProgress?.({
          phase: "load",
          message: `loading ${schema} with ${streams} stream(s)${options.streams === "auto" ? " (auto)" : ""}${run.firstSlice ? ", going on from the canary's sample" : ""}`,
        });
        // From here this phase's undo rolls the sample's transaction back.
        const firstSlice = run.firstSlice;
        run.firstSlice = null;
        open = await openLoad({
          client,
          sourcePath: options.sourcePath,
          source: inspection.source,
          evidence: inspection.evidence,
          plan: inspection.plan,
          schema,
          scratchDirectory: run.scratchDirectory!,
          commit: true,
          ...(firstSlice ? { firstSlice: firstSlice.slice } : {}),
          onProgress: options.onProgress,
          streams: { count: streams, prefix: options.schemaPrefix, connect: () => connect(options.databaseUrl) },
        });
        const views = await createViews({
          client,
          schema,
          sourcePath: options.sourcePath,
          views: inspection.source.views,
          sourceTables: inspection.source.tables,
          tables: open.result.tables,
        });
        const quality = qualityOf(inspection, open.result.tables, options, "full", run.health, run.previousRows, refusalsOfReport(views));
        if (modeBehaviour(options.mode).gateRefusesLoad && quality.blocked) throw gateBlocked(run, quality);
        run.quality = quality;
        run.load = { schema, streams, result: open.result, views, quality };
      });
    },
    async complete(run) {
      await writeVersionMetadata(run.client, versionMetadata(run, run.load!, run.backup));
      await open!.complete();
    },
    async undo() {
      await open?.undo();
    },
  };
}

/** Tables the load runs at once, asked once per run (the canary keeps its sample only for a load in one session). */
export async function loadStreams(run: Run): Promise<number> {
  // More streams than tables would only sit idle.
  run.streams ??= Math.min(await resolveStreams(run.client, run.options.streams), Math.max(1, run.inspection.plan.tables.length));
  return run.streams;
}

function versionMetadata(run: Run, load: LoadedVersion, backup: BackupResult | null): VersionMetadata {
  const { options, inspection, active } = run;
  return {
    tool: TOOL_NAME,
    formatVersion: 1,
    prefix: options.schemaPrefix,
    schema: load.schema,
    status: "ready",
    sourceDigest: inspection.digest,
    optionsFingerprint: inspection.plan.fingerprint,
    createdAt: new Date().toISOString(),
    tables: Object.fromEntries(load.result.tables.map((t) => [t.table, { rows: t.rowsLoaded, rejects: t.rejected }])),
    views: load.views,
    columns: Object.fromEntries(load.result.tables.map((t) => [t.table, shownColumns(t.plan)])),
    quality: {
      score: percent(load.quality.score),
      findings: load.quality.findings
        .filter((f) => f.severity !== "ok")
        .map(({ check, severity, table, column, count, accepted }) => ({ check, severity, table, column, count, accepted })),
    },
    replaced: active === null ? null : { schema: active, backupFile: backup?.file ?? null },
    ...(options.holder ? { loadedBy: options.holder.owner } : options.loadedBy ? { loadedBy: options.loadedBy } : {}),
  };
}
