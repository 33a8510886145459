/**
 * What must hold after every step of a walk, read from PostgreSQL:
 *   - every served prefix's stable schema answers (each view), and points
 *     at the version the model says: the one the outputs name after an
 *     automatic cutover, the command's target after a psql switch;
 *   - every version a deployed stack's outputs name exists, holding the
 *     rows the outputs say;
 *   - every claim names a version that exists;
 *   - a prefix no deployed stack uses has nothing left behind;
 *   - the reader, querying every served stable schema throughout the step,
 *     met no failure (nothing readers use went missing, not even for a
 *     moment).
 */
import { queryRows } from "../support/database";
import type { Prefix, WalkModel } from "./walk-commands";
import { prefixFacts, WalkSystem } from "./walk-system";

const PREFIXES: readonly Prefix[] = ["wa", "wb"];

/** Prefixes whose stable schema points at a version: readers use them. */
export function servedPrefixes(model: Readonly<WalkModel>): Prefix[] {
  return PREFIXES.filter((p) => model.active[p] !== undefined);
}

export async function checkInvariants(model: Readonly<WalkModel>, system: WalkSystem): Promise<void> {
  const url = system.database.url;
  expect({ readerFailures: system.reader.watch(servedPrefixes(model)) }).toEqual({ readerFailures: [] });
  for (const prefix of PREFIXES) {
    const facts = await prefixFacts(url, prefix);
    const deployed = Object.entries(model.stacks).filter(([, s]) => s?.applied?.schemaPrefix === prefix);
    if (deployed.length === 0) {
      expect({ prefix, leftBehind: facts.schemas }).toEqual({ prefix, leftBehind: [] });
      continue;
    }
    expect({ prefix, active: facts.active }).toEqual({ prefix, active: model.active[prefix] ?? null });
    if (facts.active !== null) {
      const views = await queryRows<{ v: string }>(
        url,
        "SELECT c.relname AS v FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'v'",
        [prefix],
      );
      expect({ prefix, views: views.length > 0 }).toEqual({ prefix, views: true });
      for (const { v } of views) {
        const [stable] = await queryRows<{ n: string }>(url, `SELECT count(*) AS n FROM "${prefix}"."${v}"`);
        // The rejects view answers too; its rows are not among the version's table counts.
        if (v !== "_rejects")
          expect({ prefix, view: v, rows: Number(stable.n) }).toEqual({ prefix, view: v, rows: facts.versions[facts.active]?.[v] });
      }
    }
    for (const [name, stack] of deployed) {
      const version = stack!.outputs!.schemaName;
      expect({ stack: name, version, rows: facts.versions[version] }).toEqual({ stack: name, version, rows: stack!.outputs!.rowCounts });
    }
    for (const [owner, version] of Object.entries(facts.claims)) {
      expect({ prefix, owner, claimed: version, exists: facts.versions[version] !== undefined }).toEqual({
        prefix,
        owner,
        claimed: version,
        exists: true,
      });
    }
  }
}
