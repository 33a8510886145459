/**
 * A run's verdict before it runs, as a preview shows it: every value of the
 * export converted as the load would (the measures cached by digest), the
 * plan as measured (a column the full read had to widen shows its wider
 * type), and the gate, with the backup's pg_dump checked as a run checks it
 * when the mode backs up and the server answers. The export is only read;
 * no database is written.
 */
import { Client } from "pg";
import { backupServerOf } from "../backup/pg-tools";
import { describeError } from "../errors";
import { backsUp, MigrationMode, modeBehaviour } from "../modes";
import { PlanOptions, TablePlan } from "../plan";
import { ProgressListener } from "../progress";
import { backupToolFindings, evaluateGate, Finding, parseAcceptances, QualityReport, Thresholds } from "../quality";
import { measureWithCache } from "../quality/measure-cache";
import { connect } from "../sql/connect";
import { refusedViewsOf, ViewRefusal } from "../views";
import { inspectSource } from "./inspect";

export interface PreviewOptions extends PlanOptions {
  readonly sourcePath: string;
  readonly mode: MigrationMode;
  readonly minQuality: number;
  readonly thresholds?: Thresholds;
  readonly acceptFindings?: readonly string[];
  readonly backup: "pg_dump" | "none";
  readonly backupCompression: string;
  readonly pgBinDir?: string;
  /** The server, when known yet (a preview may run before the database exists): its pg_dump is checked. */
  readonly databaseUrl: string | null;
  /** Rows per table of the version readers are on, when known: a table that shrank is found as a run finds it. */
  readonly previousRows?: Readonly<Record<string, number>>;
  readonly onProgress?: ProgressListener;
}

export interface Preview {
  readonly digest: string;
  /** sha256 of the options that shape the data: with the digest, what tells a retained version holding this export. */
  readonly fingerprint: string;
  /** The plan's tables as measured. */
  readonly tables: readonly TablePlan[];
  /** Rows of each table (by its PostgreSQL name) in the export, and those a load would keep. */
  readonly rows: Readonly<Record<string, { readonly source: number; readonly loaded: number }>>;
  /** The export's views refused for what they read or call. */
  readonly viewsRefused: readonly ViewRefusal[];
  readonly quality: QualityReport;
  /** Whether a run of this mode would refuse the export: the gate blocks, and the mode's gate refuses loads. */
  readonly refused: boolean;
}

/** How long a preview waits for the server to tell its version. */
const PREVIEW_CONNECT_TIMEOUT_MS = 5000;

export async function previewRun(options: PreviewOptions): Promise<Preview> {
  const inspection = await inspectSource(options.sourcePath, options);
  const measured = await measureWithCache({ ...inspection, sourcePath: options.sourcePath }, options.onProgress);
  if (measured.cached)
    options.onProgress?.({
      phase: "gate",
      message: `measures of this export (sha256 ${inspection.digest.slice(0, 12)}) taken from the cache`,
    });
  const viewsRefused = refusedViewsOf(inspection);
  const quality = evaluateGate({
    tables: measured.tables,
    health: await backupCheck(options),
    minQuality: options.minQuality,
    thresholds: options.thresholds,
    previousRows: options.previousRows,
    acceptances: parseAcceptances(options.acceptFindings ?? []),
    viewRefusals: viewsRefused,
    basis: "full",
  });
  return {
    digest: inspection.digest,
    fingerprint: inspection.plan.fingerprint,
    tables: measured.tables.map((t) => t.plan),
    rows: Object.fromEntries(measured.tables.map((t) => [t.plan.name, { source: t.evidence.rows, loaded: t.stats.rowsEmitted }])),
    viewsRefused,
    quality,
    refused: quality.blocked && modeBehaviour(options.mode).gateRefusesLoad,
  };
}

/** The backup tool's findings; a server not known yet, or one that does not answer, is said and left to the run. */
async function backupCheck(options: PreviewOptions): Promise<Finding[]> {
  if (!backsUp(options.mode) || options.backup !== "pg_dump" || options.databaseUrl === null) return [];
  let client: Client;
  try {
    client = await connect(options.databaseUrl, { timeoutMs: PREVIEW_CONNECT_TIMEOUT_MS });
  } catch (error) {
    options.onProgress?.({ phase: "health", message: `the backup's pg_dump is checked by the run: ${describeError(error)}` });
    return [];
  }
  try {
    const backupServer = await backupServerOf(client, options.pgBinDir);
    return await backupToolFindings({ backupServer, backupCompression: options.backupCompression });
  } finally {
    await client.end().catch(() => undefined);
  }
}
