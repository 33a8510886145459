/**
 * The machine-readable report of one run: what was loaded where, rows and
 * rejects per table, the gate's verdict, the canary, the backup, timings,
 * and the commands to cut over, roll back and restore. The CLI prints it
 * with --json; the Pulumi resource's outputs and the run report files come
 * from it.
 */
import { CanaryQueryResult } from "../canary/canary";
import { PlanNote } from "../plan/model";
import { QualityReport } from "../quality";
import { ViewsReport } from "../views";

declare module "../errors" {
  interface MigrationError {
    /**
     * The run report up to the failure (migrate() attaches it), so a caller
     * prints what was done and why it stopped (the CLI's --json does).
     */
    report?: MigrationReport;
  }
  interface GateBlockedError {
    /** Always there: the gate's verdict, its findings and ways forward. */
    report: MigrationReport;
  }
}

export type { MigrationMode } from "../defaults";
import type { MigrationMode } from "../defaults";
export type Outcome = "loaded" | "adopted" | "canary-passed" | "blocked" | "failed";

export interface TableReport {
  readonly table: string;
  readonly source: string;
  readonly sourceRows: number;
  readonly rowsLoaded: number;
  readonly rejected: number;
  readonly nulled: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** Content checksum, equal on both sides when validation passed. */
  readonly checksum: string;
  /** Timestamp formats found, per column: label -> values. */
  readonly formats: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface CommandSet {
  readonly cutoverSql: string | null;
  readonly cutoverCommand: string | null;
  readonly rollbackSql: string | null;
  readonly rollbackCommand: string | null;
  readonly restoreCommand: string | null;
}

export interface MigrationReport {
  readonly tool: "servicedesk-migration";
  readonly reportVersion: 1;
  readonly mode: MigrationMode;
  readonly outcome: Outcome;
  readonly prefix: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** bytes and digest are null when the run failed before the export was read. */
  readonly source: { readonly path: string; readonly bytes: number | null; readonly digest: string | null };
  readonly optionsFingerprint: string | null;
  /** The versioned schema this run loaded or adopted (null when none). */
  readonly schema: string | null;
  /** The version that was active before this run. */
  readonly previousSchema: string | null;
  readonly stableSchema: string;
  /** Whether the stable schema now points at `schema`. */
  readonly cutOver: boolean;
  readonly tables: readonly TableReport[];
  /** Tables the load ran at once, each in a session of its own (null when no version was loaded). */
  readonly streams: number | null;
  readonly quality: QualityReport | null;
  readonly canary: {
    readonly schema: string;
    readonly sampleRate: number;
    readonly sampleSeed: number;
    readonly sampleRows: Readonly<Record<string, number>>;
    readonly queries: readonly CanaryQueryResult[];
    readonly seconds: number;
    /** Its rows stayed as the first slice of the version loaded after it (its keys and checks were rolled back). */
    readonly kept: boolean;
  } | null;
  /** The pg_dump backup of the version this one replaced: the file, and the pg_dump that wrote it ("pg_dump 15.20 (on PATH)"). */
  readonly backup: { readonly file: string; readonly bytes: number; readonly seconds: number; readonly tool: string } | null;
  readonly droppedVersions: readonly string[];
  /**
   * The export's views: created in the version (each has a stable view once
   * it is active) and refused by PostgreSQL, with its error. Null when no
   * version was loaded or adopted, or the adopted one predates views.
   */
  readonly views: ViewsReport | null;
  readonly commands: CommandSet;
  readonly timings: Readonly<Record<string, number>>;
  readonly notes: readonly PlanNote[];
  /** Why the run failed or was blocked: the error's code and message, and the table, column and row it names. */
  readonly error: ReportedError | null;
}

export interface ReportedError {
  readonly code: string;
  readonly message: string;
  readonly table?: string;
  readonly column?: string;
  readonly rowKey?: string;
}

export const EMPTY_COMMANDS: CommandSet = {
  cutoverSql: null,
  cutoverCommand: null,
  rollbackSql: null,
  rollbackCommand: null,
  restoreCommand: null,
};
