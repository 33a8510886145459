/**
 * Rows are written frozen (COPY FREEZE into the table the load just
 * created): every page of every loaded table is all-visible and
 * all-frozen in the visibility map right after the load, so neither the
 * key builds and validation nor the first readers rewrite pages to set
 * hint bits, and no later VACUUM has to freeze them. Checked in the
 * resource's default mode, complete.
 */
import * as path from "node:path";
import { migrate } from "../../engine";
import { generateServicedeskDatabase } from "../../engine/generate";
import { queryRows, useTestDatabase } from "../support/database";
import { useTempDir } from "./engine-fixtures";

const database = useTestDatabase("freeze");
const tmp = useTempDir("freeze");

/** Pages of a table, and how many of them the visibility map marks all-visible and all-frozen. */
async function visibility(schema: string, table: string): Promise<{ pages: number; visible: number; frozen: number }> {
  const [row] = await queryRows<{ pages: string; visible: string; frozen: string }>(
    database.url,
    `SELECT count(*) AS pages, count(*) FILTER (WHERE all_visible) AS visible, count(*) FILTER (WHERE all_frozen) AS frozen
       FROM pg_visibility_map(format('%I.%I', $1::text, $2::text)::regclass)`,
    [schema, table],
  );
  return { pages: Number(row.pages), visible: Number(row.visible), frozen: Number(row.frozen) };
}

beforeAll(async () => {
  await queryRows(database.url, "CREATE EXTENSION IF NOT EXISTS pg_visibility");
});

test("complete mode writes every page of every table frozen", async () => {
  const source = generateServicedeskDatabase({ tickets: 3000, seed: 4, out: path.join(tmp.dir, "export.sqlite") });
  const report = await migrate({
    sourcePath: source.path,
    databaseUrl: database.url,
    schemaPrefix: "frozen",
    backupDirectory: path.join(tmp.dir, "backups"),
  });
  expect(report.outcome).toBe("loaded");
  expect(report.mode).toBe("complete");
  for (const table of ["tickets", "comments", "timesheets"]) {
    const seen = await visibility(report.schema!, table);
    expect(seen.pages).toBeGreaterThan(0);
    expect({ table, ...seen }).toEqual({ table, pages: seen.pages, visible: seen.pages, frozen: seen.pages });
  }
});
