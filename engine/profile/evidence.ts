/** Gathers the sample and structure evidence of every table. */
import { RowSubset, SourceDatabase, sourceFailure, SourceSchema } from "../source";
import { SourceEvidence, TableEvidence } from "./model";
import { columnEvidence, sampleRows } from "./sample";
import { countRows, nullKeysOf, orphansOf } from "./structure";

function perTable(
  schema: SourceSchema,
  sourcePath: string,
  gather: (table: SourceSchema["tables"][number]) => TableEvidence,
): SourceEvidence {
  const started = performance.now();
  const tables = schema.tables.map((table) => {
    try {
      return gather(table);
    } catch (error) {
      throw sourceFailure(sourcePath, error, table.name);
    }
  });
  return { tables, seconds: (performance.now() - started) / 1000 };
}

/** Everything planning needs: the column sample and the structure checks. */
export function gatherEvidence(db: SourceDatabase, schema: SourceSchema, sourcePath: string): SourceEvidence {
  return perTable(schema, sourcePath, (table) => {
    const rows = sampleRows(db, table);
    return {
      name: table.name,
      rows: countRows(db, table),
      columns: table.columns.map((column, i) =>
        columnEvidence(
          column.name,
          rows.map((r) => r[i]),
        ),
      ),
      orphans: orphansOf(db, table, schema),
      nullKeys: nullKeysOf(db, table),
    };
  });
}

/**
 * The structure checks alone, on a subset of the rows (the canary's sample,
 * loaded with a plan already made): no column sample is taken.
 */
export function gatherSubsetStructure(db: SourceDatabase, schema: SourceSchema, sourcePath: string, subset: RowSubset): SourceEvidence {
  return perTable(schema, sourcePath, (table) => ({
    name: table.name,
    rows: countRows(db, table, subset),
    columns: [],
    orphans: orphansOf(db, table, schema, subset),
    nullKeys: nullKeysOf(db, table, subset),
  }));
}
