/**
 * What the program computes from the export before any resource runs, in
 * preview as in up: the content digest and the schema plan. Both become
 * inputs of the resource, so the preview diff itself shows a new export
 * (digest) and which tables and columns appear, vanish or change type.
 */
import * as path from "node:path";
import { inspectSource, PlanOptions, shownColumns, TablePlan } from "../engine";
import { SchemaPlan } from "./inputs";

export interface SourceDescription {
  readonly sourceDigest: string;
  readonly schemaPlan: SchemaPlan;
}

export async function describeSource(source: string, options: PlanOptions, baseDir = process.cwd()): Promise<SourceDescription> {
  const inspection = await inspectSource(path.resolve(baseDir, source), options);
  return { sourceDigest: inspection.digest, schemaPlan: schemaPlanOf(inspection.plan.tables) };
}

/** Tables, keys and column types as the preview diff shows them. */
export function schemaPlanOf(tables: readonly TablePlan[]): SchemaPlan {
  const schemaPlan: SchemaPlan = {};
  for (const table of tables) {
    schemaPlan[table.name] = {
      rows: table.rows,
      primaryKey: [...table.primaryKey],
      columns: shownColumns(table),
    };
  }
  return schemaPlan;
}
