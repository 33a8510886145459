/** What a load is given and what it gives back, for the single-session load and the streamed one alike. */
import { Client } from "pg";
import { MigrationPlan, TablePlan } from "../plan/model";
import { SourceEvidence } from "../profile";
import { ProgressListener } from "../progress";
import { RowSubset, SourceSchema } from "../source";
import { TableValidation } from "../validate/validate";
import { TableRunContext } from "./table-jobs";
import { TableLoadResult } from "./load-table";
import { TableReadStats } from "./protocol";
import { ReadResult } from "./read-table";

export interface LoadSchemaInput {
  readonly client: Client;
  readonly sourcePath: string;
  readonly source: SourceSchema;
  readonly evidence: SourceEvidence;
  readonly plan: MigrationPlan;
  /** Only these rows of the export (the canary's sample). */
  readonly subset?: RowSubset;
  /** The schema to create; it must not exist. */
  readonly schema: string;
  /** The run's scratch folder, for reject spools (scratch/scratch.ts). */
  readonly scratchDirectory: string;
  readonly onProgress?: ProgressListener;
  /** Last steps inside the transaction, after validation (metadata, test queries). */
  readonly beforeCommit?: (result: SchemaLoadResult) => Promise<void>;
  /** false: roll back at the end instead of committing (a canary that leaves nothing). */
  readonly commit: boolean;
  /** Tables loaded at once, each in a session of its own; absent or 1: every table in the load's session. */
  readonly streams?: LoadStreams;
  /** Rows already loaded in the open transaction (openFirstSlice): the load reads the rest and goes on from them. */
  readonly firstSlice?: FirstSlice;
}

/**
 * The canary's sample as the first slice of the load that follows, in the
 * transaction that load goes on in (load-schema.ts openFirstSlice).
 */
export interface FirstSlice {
  /** The schema holding the slice's tables and rejects (the canary's), dropped once the load has taken them. */
  readonly schema: string;
  readonly subset: RowSubset;
  readonly tables: readonly LoadedTable[];
  /** The run's scratch folder the slice kept each table's CSV in, to send again ahead of the rest. */
  readonly directory: string;
}

export interface LoadStreams {
  readonly count: number;
  /** The prefix whose staging schema the streams fill. */
  readonly prefix: string;
  /** Opens one more session to the target. */
  readonly connect: () => Promise<Client>;
}

export interface TableLoadSummary {
  readonly table: string;
  readonly source: string;
  /** The table as loaded: the plan, with any column widened for values outside the sample. */
  readonly plan: TablePlan;
  /** Column names in PostgreSQL, in the order of stats.columns. */
  readonly columns: readonly string[];
  readonly sourceRows: number;
  readonly rowsLoaded: number;
  readonly rejected: number;
  readonly nulled: number;
  readonly refusedByServer: number;
  /** Rows set aside before loading because their key repeats once converted. */
  readonly duplicates: number;
  readonly stats: TableReadStats;
  readonly validation: TableValidation;
  readonly seconds: number;
}

export interface SchemaLoadResult {
  readonly schema: string;
  readonly tables: readonly TableLoadSummary[];
  readonly timings: { readonly load: number; readonly keys: number; readonly validation: number; readonly total: number };
}

export type LoadedTable = TableRunContext & {
  result: TableLoadResult;
  read: ReadResult;
  /** The table validated in its stream, before the foreign keys (parallel loads only). */
  validation?: TableValidation;
};

/**
 * A load done and validated inside its open transaction: nothing of it is
 * visible until complete() commits it; undo() rolls it back. The caller
 * decides between them (a version commits only once the backup of the
 * version it replaces is safe on disk).
 */
export interface OpenLoad {
  readonly result: SchemaLoadResult;
  complete(): Promise<void>;
  /** Rolls the load back (and drops the staging schema of a streamed one); throws only when that fails. */
  undo(): Promise<void>;
}

/** A first slice in its open transaction: the load that follows goes on in it, or undo() rolls it back. */
export interface OpenFirstSlice {
  /** The slice keyed and validated (in a savepoint since rolled back). */
  readonly result: SchemaLoadResult;
  readonly slice: FirstSlice;
  undo(): Promise<void>;
}
