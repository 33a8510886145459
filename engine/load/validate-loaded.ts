/**
 * The validation of a loaded schema, table by table: rows, types and the
 * content checksum (again for a table a foreign-key repair changed, with
 * its changed rows taken out of the source's hash too), and the meaning
 * check; a mismatch fails the load naming the table.
 */
import { createHash } from "node:crypto";
import { ValidationError } from "../errors";
import { checkMeaning } from "../validate/meaning";
import { validateTable, validationMismatches } from "../validate/validate";
import { RepairedRows } from "./constraints";
import { ReaderJob } from "./protocol";
import { readTable } from "./read-table";
import type { LoadedTable, LoadSchemaInput, TableLoadSummary } from "./load-model";

/** Rows changed in PostgreSQL after loading are taken out of the source hash too. */
async function sourceDigestAfterRepairs(
  item: LoadedTable,
  repaired: RepairedRows,
): Promise<{ rows: number; digest: string; keyOrder: boolean }> {
  const changes = repaired.get(item.table.source) ?? [];
  if (changes.length === 0) return { rows: item.result.rowsLoaded, digest: item.result.digest, keyOrder: false };
  // One worker, in key order: the read-back of a changed table is in key order too.
  const job: ReaderJob = {
    ...item.job,
    // A table that went on from a first slice holds every row of it: its job read only the rest.
    subset: item.continuesSlice ? undefined : item.job.subset,
    rowidRange: null,
    policy: changes.some((c) => c.nulled) ? "null" : item.job.policy,
    exclusions: [
      ...item.job.exclusions,
      ...changes.map((c) => ({
        rowKey: c.rowKey,
        column: c.nulled?.[0] ?? null,
        reason: c.reason,
        nullable: (c.nulled ?? []).map((name) => item.job.columns.findIndex((col) => col.source === name)),
      })),
    ],
  };
  const hasher = createHash("sha256");
  const read = await readTable(job, { chunk: (data) => void hasher.update(data), rejects: () => undefined });
  return { rows: read.stats.rowsEmitted, digest: job.hashRows ? read.rowHash! : hasher.digest("hex"), keyOrder: true };
}

export async function validateAll(
  input: LoadSchemaInput,
  loaded: readonly LoadedTable[],
  repaired: RepairedRows,
): Promise<TableLoadSummary[]> {
  const summaries: TableLoadSummary[] = [];
  for (const item of loaded) {
    input.onProgress?.({ phase: "validation", table: item.table.name, message: `validating ${item.table.name} (rows, types, checksum)` });
    const changes = repaired.get(item.table.source) ?? [];
    const validation =
      item.validation && changes.length === 0
        ? item.validation
        : await validateTable(input.client, input.schema, item.table, await sourceDigestAfterRepairs(item, repaired));
    const meaning = await checkMeaning({
      client: input.client,
      schema: input.schema,
      sourcePath: input.sourcePath,
      subset: input.subset,
      source: item.source,
      table: item.table,
    });
    summaries.push({
      table: item.table.name,
      source: item.table.source,
      plan: item.table,
      columns: item.table.columns.map((c) => c.name),
      sourceRows: item.result.read.stats.rowsRead,
      rowsLoaded: validation.actualRows,
      rejected: item.result.rejected + changes.filter((c) => !c.nulled).length,
      nulled: item.result.nulled + changes.filter((c) => c.nulled).length,
      refusedByServer: item.result.refusedByServer,
      duplicates: item.duplicates,
      stats: item.result.read.stats,
      validation: meaning.length > 0 ? { ...validation, ok: false, meaningMismatches: meaning } : validation,
      seconds: item.result.seconds,
    });
  }
  const mismatches = validationMismatches(summaries.map((s) => s.validation));
  if (mismatches.length > 0) throw new ValidationError(input.schema, mismatches, summaries.find((s) => !s.validation.ok)?.source);
  return summaries;
}
