/** Gathers the sample and structure evidence of every table. */
import { SourceDatabase, sourceFailure, SourceSchema } from "../source";
import { SourceEvidence, TableEvidence } from "./model";
import { columnEvidence, sampleRows } from "./sample";
import { countRows, nullKeysOf, orphansOf } from "./structure";

export function gatherEvidence(db: SourceDatabase, schema: SourceSchema, sourcePath: string): SourceEvidence {
  const started = performance.now();
  const tables = schema.tables.map((table): TableEvidence => {
    try {
      const rows = sampleRows(db, table);
      return {
        name: table.name,
        rows: countRows(db, table),
        columns: table.columns.map((column, i) => columnEvidence(column.name, rows.map((r) => r[i]))),
        orphans: orphansOf(db, table, schema),
        nullKeys: nullKeysOf(db, table),
      };
    } catch (error) {
      throw sourceFailure(sourcePath, error, table.name);
    }
  });
  return { tables, seconds: (performance.now() - started) / 1000 };
}
