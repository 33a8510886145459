/**
 * The serve phase, last of every run that leaves a version: the circuit
 * breaker, then the stable schema is switched to it (cutover auto),
 * retention drops what no one needs, and the holder's claim is written.
 * All under the prefix lock the run holds, so no other run reads the
 * claims between the decision and the drop.
 *   start     nothing: the version is not committed yet
 *   complete  all of the above, once the load has committed; a table that
 *             lost too many rows keeps the version unserved (TABLE_LOSS)
 *   undo      nothing: each step is its own transaction, after the commit
 */
import { Client } from "pg";
import { pruneBackupsWithClient } from "../../backup";
import { describeError, MigrationError } from "../../errors";
import { collectGarbage, heldByOthers, holdVersion, switchTo } from "../../versions";
import { ResolvedOptions } from "../options";
import { nothing, Phase } from "./phase";

/** Rows of one table of a version: those the export holds, and those rejected. */
export interface TableRows {
  readonly table: string;
  readonly sourceRows: number;
  readonly rejected: number;
}

export const servePhase = (): Phase => ({
  name: "serve",
  start: nothing,
  async complete(run) {
    const load = run.load!;
    const rows = load.result.tables.map((t) => ({ table: t.table, sourceRows: t.sourceRows, rejected: t.rejected }));
    run.served = await serveVersion(run.client, run.options, load.schema, rows, run.active, run.timed);
  },
  undo: nothing,
});

/** Over this share of a table's rows rejected, its version is not served unless allowTableLoss is set. */
export const TABLE_LOSS_PERCENT = 50;

/**
 * The circuit breaker that guards readers, in every mode: a version in
 * which a table lost over half its source rows to rejects, or every row of
 * a table that is not empty in the export, is not served. It stays, for
 * inspection, and the run fails naming the table.
 */
export function guardReaders(options: ResolvedOptions, schema: string, tables: readonly TableRows[]): void {
  if (options.allowTableLoss) return;
  const lost = tables.find(
    (t) => t.sourceRows > 0 && (t.rejected * 100 > t.sourceRows * TABLE_LOSS_PERCENT || t.rejected === t.sourceRows),
  );
  if (!lost) return;
  throw new MigrationError(
    "TABLE_LOSS",
    `table "${lost.table}" of ${schema} kept ${lost.sourceRows - lost.rejected} of the export's ${lost.sourceRows} rows ` +
      `(${lost.rejected} rejected: see ${schema}._rejects); the stable schema was not switched to it, and ${schema} is kept for inspection. ` +
      `Ways forward: state the type of the column whose values were rejected (--type, typeOverrides); keep the rows with their bad values set to NULL ` +
      `(--on-bad-value null, badValuePolicy null); or serve it as it is (--allow-table-loss, allowTableLoss true)`,
    { table: lost.table },
  );
}

export interface Served {
  readonly cutOver: boolean;
  readonly droppedVersions: string[];
}

/** Versions retention must keep besides `schema`: those other holders hold, and the caller's. */
export async function versionsToKeep(client: Client, options: ResolvedOptions, schema: string): Promise<string[]> {
  return [schema, ...(await heldByOthers(client, options.schemaPrefix, options.holder?.owner ?? null)), ...(options.keepVersions ?? [])];
}

export async function serveVersion(
  client: Client,
  options: ResolvedOptions,
  schema: string,
  tables: readonly TableRows[],
  active: string | null,
  timed: <T>(name: string, fn: () => Promise<T>) => Promise<T>,
): Promise<Served> {
  guardReaders(options, schema, tables);
  const cutOver = options.cutover === "auto" && active !== schema;
  if (cutOver) {
    options.onProgress?.({ phase: "cutover", message: `switching ${options.schemaPrefix} to ${schema}` });
    await timed("cutover", () => switchTo(client, options.schemaPrefix, schema));
  }
  const keep = await versionsToKeep(client, options, schema);
  const droppedVersions = await collectGarbage(client, options.schemaPrefix, { retain: options.retainVersions + 1, keep });
  await pruneAfterRetention(client, options);
  if (options.holder) await holdVersion(client, options.schemaPrefix, options.holder, schema);
  return { cutOver: cutOver || (active === schema && options.cutover === "auto"), droppedVersions };
}

/**
 * Backups go with the versions that need them. The run has committed and
 * switched by now, so a file that cannot be removed is reported, not a
 * failure of the run; the next pruning tries again.
 */
async function pruneAfterRetention(client: Client, options: ResolvedOptions): Promise<void> {
  try {
    const { removed } = await pruneBackupsWithClient(client, {
      backupDirectory: options.backupDirectory,
      prefix: options.schemaPrefix,
      keepDays: options.backupKeepDays,
    });
    if (removed.length > 0)
      options.onProgress?.({
        phase: "backup",
        message: `pruned ${removed.length} backup(s) no retained version needs: ${removed.map((b) => b.path).join(", ")}`,
      });
  } catch (error) {
    options.onProgress?.({ phase: "backup", message: `warning: pruning backups failed: ${describeError(error)}` });
  }
}
