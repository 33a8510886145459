/**
 * Measures every value without loading: the reader converts the whole
 * export exactly as a load would (same rejects, same cascades) and its
 * statistics feed the gate. This is what `pulumi preview` and the CLI's
 * `profile` run; a load measures the same things as it goes.
 */
import { forEachTableJob, SourceInputs } from "../load/table-jobs";
import { widenedMessage } from "../plan/widen";
import { TableReadStats } from "../load/protocol";
import { readTable } from "../load/read-table";
import { TablePlan } from "../plan/model";
import { TableEvidence } from "../profile";
import { ProgressListener } from "../progress";

export interface MeasuredTable {
  readonly plan: TablePlan;
  readonly evidence: TableEvidence;
  readonly stats: TableReadStats;
  readonly duplicates: number;
}

export async function measureByReading(
  inputs: SourceInputs,
  onProgress?: ProgressListener,
): Promise<{ tables: MeasuredTable[]; seconds: number }> {
  const started = performance.now();
  const results = await forEachTableJob(
    inputs,
    async ({ table, evidence, job }) => {
      let done = 0;
      onProgress?.({ phase: "gate", table: table.name, done, total: evidence.rows, message: `measuring ${table.name}` });
      const read = await readTable(job, {
        chunk: (_data, rows) => {
          done += rows;
          onProgress?.({ phase: "gate", table: table.name, done, total: evidence.rows, message: `measuring ${table.name}` });
        },
        rejects: () => undefined,
      });
      return { read };
    },
    (table) => onProgress?.({ phase: "gate", table: table.name, message: widenedMessage(table) }),
  );
  return {
    tables: results.map((r) => ({ plan: r.table, evidence: r.evidence, stats: r.read.stats, duplicates: r.duplicates })),
    seconds: (performance.now() - started) / 1000,
  };
}
