/**
 * The canary phase: a sample of the export that keeps its references is
 * loaded into <prefix>_canary, validated, the test queries run, and the
 * transaction is rolled back; the gate then judges the sample's values.
 *   start     runs it (nothing is left of it) and the gate; a block ends the run
 *   complete  nothing: nothing is kept
 *   undo      nothing
 */
import { runCanary } from "../../canary/canary";
import { canarySchemaName } from "../../versions";
import { gateBlocked, qualityOf } from "../report-builder";
import { nothing, Phase } from "./phase";

export const canaryPhase = (): Phase => ({
  name: "canary",
  async start(run) {
    const { options, inspection } = run;
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
      }),
    );
    run.canary = canary;
    run.quality = qualityOf(inspection, canary.load.tables, options, "sample", run.health, run.previousRows);
    if (run.quality.blocked) throw gateBlocked(run, run.quality);
  },
  complete: nothing,
  undo: nothing,
});
