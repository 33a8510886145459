/**
 * The scratch phase: the run's folder for the files it writes besides the
 * backup (the canary's sample keys, reject spools), opened after the health
 * check has measured its disk (engine/scratch/scratch.ts says where and why).
 *   start     makes the folder, removing those stopped runs left
 *   complete  removes it: the phases that write there have started, and
 *             start is where they read and write
 *   undo      removes it
 */
import { openScratch, Scratch } from "../../scratch/scratch";
import { Phase } from "./phase";

export function scratchPhase(): Phase {
  let scratch: Scratch | null = null;
  const remove = async () => scratch?.remove();
  return {
    name: "scratch",
    async start(run) {
      const { options } = run;
      scratch = openScratch(options.backupDirectory, options.schemaPrefix);
      run.scratchDirectory = scratch.directory;
      if (scratch.collected.length > 0)
        options.onProgress?.({
          phase: "inspect",
          message: `removed ${scratch.collected.length} scratch folder(s) stopped runs left: ${scratch.collected.join(", ")}`,
        });
    },
    complete: remove,
    undo: remove,
  };
}
