/**
 * The one shape of a phase, and the runner. As pgroll models a migration's
 * operations, each phase has three steps:
 *   start     does its work where no reader sees it (a transaction left
 *             open, a dump running beside, a sample rolled back); every
 *             phase starts, in order, before any completes
 *   complete  makes it final, in the same order
 *   undo      takes back what start did, and must hold after a start that
 *             failed half way; the runner calls it on every phase that
 *             started and is not final, in reverse order
 * A phase that `commits` is the point of no return: once it completes, it
 * and the phases before it are final, and a later failure undoes only the
 * phases after it. Which phases a run takes is the mode's row in
 * engine/modes.ts.
 */
import type { Client } from "pg";
import type { BackupResult } from "../../backup";
import type { PgClientTool } from "../../backup/pg-tools";
import type { CanaryResult } from "../../canary/canary";
import type { OpenFirstSlice } from "../../load/load-schema";
import { undoAfter } from "../../errors";
import type { PhaseName } from "../../modes";
import type { Finding, QualityReport } from "../../quality";
import type { Inspection } from "../inspect";
import type { ResolvedOptions } from "../options";
import type { ReportContext } from "../report-builder";
import type { LoadedVersion } from "./load";
import type { Served } from "./serve";

export interface Phase {
  readonly name: PhaseName;
  readonly commits?: boolean;
  start(run: Run): Promise<void>;
  complete(run: Run): Promise<void>;
  undo(run: Run): Promise<void>;
}

/** What the phases of one run share: what the run was given, and what each phase found, filled in as it goes. */
export interface Run {
  readonly client: Client;
  readonly ctx: ReportContext & { readonly inspection: Inspection };
  readonly options: ResolvedOptions;
  readonly inspection: Inspection;
  /** The version serving readers when the run began, if any. */
  readonly active: string | null;
  /** Its rows per table, for the gate's table-shrink check. */
  readonly previousRows: Record<string, number> | undefined;
  readonly timed: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** health: the machine's findings, and the pg_dump that dumps the server. */
  health: readonly Finding[];
  pgDump: PgClientTool | null;
  /** scratch: the run's folder for files besides the backup. */
  scratchDirectory: string | null;
  /** The gate's last verdict (the sample's, then every value's). */
  quality: QualityReport | null;
  /** Tables the load runs at once (loadStreams), once asked. */
  streams: number | null;
  canary: CanaryResult | null;
  /** canary: the sample kept as the load's first slice, its transaction open; the load takes it over. */
  firstSlice: OpenFirstSlice | null;
  backup: BackupResult | null;
  load: LoadedVersion | null;
  served: Served | null;
}

/** A run before its first phase. */
export function newRun(
  client: Client,
  ctx: Run["ctx"],
  active: string | null,
  previousRows: Record<string, number> | undefined,
  timed: Run["timed"],
): Run {
  const { options, inspection } = ctx;
  return {
    client,
    ctx,
    options,
    inspection,
    active,
    previousRows,
    timed,
    health: [],
    pgDump: null,
    scratchDirectory: null,
    quality: null,
    streams: null,
    canary: null,
    firstSlice: null,
    backup: null,
    load: null,
    served: null,
  };
}

/** A step with nothing to do. */
export const nothing = async (): Promise<void> => undefined;

/** Starts, then completes, every phase; on a failure undoes the started ones not yet final, in reverse, and rethrows (with every undo that failed too). */
export async function runPhases(run: Run, phases: readonly Phase[]): Promise<void> {
  let undoable: Phase[] = [];
  try {
    for (const phase of phases) {
      undoable.push(phase);
      await phase.start(run);
    }
    for (const [i, phase] of phases.entries()) {
      await phase.complete(run);
      if (phase.commits) undoable = phases.slice(i + 1);
    }
  } catch (error) {
    let failure = error;
    for (const phase of undoable.reverse()) failure = await undoAfter(failure, () => phase.undo(run)).catch((thrown: unknown) => thrown);
    throw failure;
  }
}
