/**
 * The canary phase: a sample of the export that keeps its references is
 * loaded, validated and the test queries run on it; the gate then judges
 * the sample's values. When the load follows in this session (one stream),
 * the sample is its first slice: its keys and checks are rolled back, its
 * rows stay for the load in the transaction left open. Otherwise it is
 * loaded into <prefix>_canary and rolled back whole.
 *   start     runs it and the gate; a block ends the run
 *   complete  nothing: the load commits what is kept
 *   undo      rolls back a kept sample the load has not taken over
 */
import { runCanary } from "../../canary/canary";
import { modeBehaviour } from "../../modes";
import { canarySchemaName } from "../../versions";
import { gateBlocked, qualityOf } from "../report-builder";
import { loadStreams } from "./load";
import { nothing, Phase } from "./phase";

export const canaryPhase = (): Phase => ({
  name: "canary",
  async start(run) {
    const { options, inspection } = run;
    // A load in parallel sessions cannot go on in this one's transaction.
    const keep = modeBehaviour(options.mode).phases.includes("load") && (await loadStreams(run)) === 1;
    const canary = await run.timed("canary", () =>
      runCanary({
        client: run.client,
        sourcePath: options.sourcePath,
        source: inspection.source,
        plan: inspection.plan,
        schema: canarySchemaName(options.schemaPrefix),
        scratchDirectory: run.scratchDirectory!,
        sample: { rate: options.sampleRate, seed: options.sampleSeed },
        testQueries: options.testQueries,
        onProgress: options.onProgress,
        keep,
      }),
    );
    run.canary = canary.result;
    run.firstSlice = canary.firstSlice;
    run.quality = qualityOf(inspection, canary.result.load.tables, options, "sample", run.health, run.previousRows);
    if (run.quality.blocked) throw gateBlocked(run, run.quality);
  },
  complete: nothing,
  async undo(run) {
    const slice = run.firstSlice;
    run.firstSlice = null;
    await slice?.undo();
  },
});
