/** Every phase by name: a mode's row in engine/modes.ts lists the ones its runs take. */
import type { PhaseName } from "../../modes";
import { backupPhase } from "./backup";
import { canaryPhase } from "./canary";
import { healthPhase } from "./health";
import { loadPhase } from "./load";
import type { Phase } from "./phase";
import { scratchPhase } from "./scratch";
import { servePhase } from "./serve";

/** A fresh phase per run: a phase keeps what its start made for its complete and undo. */
export const PHASES: Readonly<Record<PhaseName, () => Phase>> = {
  health: healthPhase,
  scratch: scratchPhase,
  backup: backupPhase,
  canary: canaryPhase,
  load: loadPhase,
  serve: servePhase,
};

export { adoptableVersion, adoptVersion } from "./adopt";
export { newRun, runPhases } from "./phase";
export type { Phase, Run } from "./phase";
