/**
 * What each mode does, in one table: the phases a run takes, in order
 * (engine/migrate/phases: each has start, complete and undo), and the few
 * choices that differ by mode. Nothing else in the engine asks which mode
 * it is in; a new mode is a row, a new phase a name here and an entry in
 * phases/index.ts.
 */

/** The phases of a run, as their files name them. */
export type PhaseName = "health" | "scratch" | "backup" | "canary" | "load" | "serve";

export interface ModeBehaviour {
  /** The phases, in order. */
  readonly phases: readonly PhaseName[];
  /** The full gate on every value refuses the load; otherwise it reports. */
  readonly gateRefusesLoad: boolean;
  /** A retained version of the same export and options is adopted instead of reloaded. */
  readonly adopts: boolean;
  /** When the stable schema switches if the run does not say: blue-green waits for the cutover command. */
  readonly cutover: "auto" | "manual";
}

export const MODE_BEHAVIOUR = {
  simple: { phases: ["scratch", "load", "serve"], gateRefusesLoad: false, adopts: true, cutover: "auto" },
  canary: { phases: ["health", "scratch", "canary"], gateRefusesLoad: false, adopts: false, cutover: "auto" },
  "blue-green": { phases: ["scratch", "load", "serve"], gateRefusesLoad: false, adopts: true, cutover: "manual" },
  complete: {
    phases: ["health", "scratch", "backup", "canary", "load", "serve"],
    gateRefusesLoad: true,
    adopts: true,
    cutover: "auto",
  },
} as const satisfies Record<string, ModeBehaviour>;

export type MigrationMode = keyof typeof MODE_BEHAVIOUR;
export const MODES = Object.keys(MODE_BEHAVIOUR) as readonly MigrationMode[];

export function modeBehaviour(mode: MigrationMode): ModeBehaviour {
  return MODE_BEHAVIOUR[mode];
}

/** Whether a run of `mode` backs up the active version before a new one commits (with the `backup` option's tool). */
export function backsUp(mode: MigrationMode): boolean {
  return modeBehaviour(mode).phases.includes("backup");
}

/** The cutover when none is set. */
export function defaultCutover(mode: MigrationMode): "auto" | "manual" {
  return modeBehaviour(mode).cutover;
}
