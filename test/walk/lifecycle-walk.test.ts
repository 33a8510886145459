/**
 * A seeded random walk through the real Pulumi CLI: walks of config
 * changes, ups, previews, refreshes, psql cutovers and rollbacks, destroys
 * and a second stack on the same prefix (walk-commands.ts), each step
 * followed by the invariants (walk-invariants.ts). fast-check picks the
 * steps from the seed, and on a failure shrinks the walk and prints the
 * seed and the shortest sequence that still fails, to replay with
 * WALK_SEED (and WALK_PATH).
 *
 * CI walks at least WALK_STEPS steps (30 unless set); a longer walk:
 *   WALK_STEPS=300 WALK_SEED=7 npm test -- test/walk
 * Each fc run starts from nothing: a fresh database, backend and stacks.
 */
import * as fc from "fast-check";
import { sourceFolder, SourceFolder } from "../support/sources";
import { INITIAL_CONFIG, pulumiConfig, WALK_STEPS, WalkModel } from "./walk-commands";
import { ExportName, openWalkSystem } from "./walk-system";

const STEPS = Number(process.env.WALK_STEPS ?? 30);
const SEED = Number(process.env.WALK_SEED ?? 20261201);
/** A walk is at most this long; runs follow one another until STEPS steps have been walked. */
const MAX_WALK = 25;

let sources: SourceFolder;
let exportFiles: Record<ExportName, string>;

beforeAll(() => {
  sources = sourceFolder();
  exportFiles = {
    A: sources.make("A.sqlite", { tickets: 250, seed: 1 }).path,
    B: sources.make("B.sqlite", { tickets: 300, seed: 2 }).path,
    C: sources.make("C.sqlite", { tickets: 350, seed: 3 }).path,
  };
});

afterAll(() => sources?.cleanup());

test(
  `a random walk of at least ${STEPS} steps keeps every invariant (seed ${SEED})`,
  async () => {
    let walked = 0;
    let failed = false;
    let walks = 0;
    const kinds = new Map<string, number>();
    const property = fc.asyncProperty(
      fc.commands(WALK_STEPS, { maxCommands: MAX_WALK, size: "max", replayPath: process.env.WALK_PATH }),
      async (steps) => {
        // Enough walked: the rest of the runs are empty, unless a failure is being shrunk.
        if (walked >= STEPS && !failed) return;
        const system = await openWalkSystem(exportFiles);
        try {
          await system.openStack("one", pulumiConfig(INITIAL_CONFIG, exportFiles));
          const model = (): WalkModel => ({ stacks: { one: { config: { ...INITIAL_CONFIG }, applied: null, outputs: null } }, active: {} });
          try {
            await fc.asyncModelRun(() => ({ model: model(), real: system }), steps);
          } finally {
            walks++;
            walked += system.walked.length;
            for (const name of system.walked)
              kinds.set(name.replace(/\(.*$|\s.*$/, ""), (kinds.get(name.replace(/\(.*$|\s.*$/, "")) ?? 0) + 1);
            console.log(`walk ${walks}: ${system.walked.join(", ") || "(no step)"}`);
          }
        } catch (error) {
          failed = true;
          throw error;
        } finally {
          await system.close();
        }
      },
    );
    await fc.assert(property, {
      seed: SEED,
      numRuns: Math.ceil(STEPS / 2) + 50,
      endOnFailure: false,
      // Shrinking replays whole walks through the CLI: bounded, and then the smallest walk found so far is reported.
      interruptAfterTimeLimit: 20 * 60_000,
      markInterruptAsFailure: true,
    });
    console.log(
      `lifecycle walk, seed ${SEED}: ${walked} steps in ${walks} walks, each followed by the invariant checks; ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}`,
    );
    expect(walked).toBeGreaterThanOrEqual(STEPS);
  },
  60 * 60_000,
);
