/**
 * A deterministic sample of the export that keeps referential integrity,
 * written as a small SQLite database with the same table definitions:
 * root tables (those referencing no other migrated table) are sampled by a
 * seeded hash of their rowid; a sampled row brings the rows that reference
 * it (a ticket its comments and timesheets); then every row a sampled row
 * references is added (a track its genre), until nothing is missing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { OptionError } from "../errors";
import { MigrationPlan } from "../plan/model";
import { SourceSchema, SourceTable } from "../source";
import { quoteIdent } from "../sql/identifiers";

/** A prime modulus for the rowid hash: rows are kept when hash < rate * modulus. */
const MODULUS = 1_000_003;
const MULTIPLIER = 2_654_435_761;
const MAX_CLOSURE_ROUNDS = 50;

export interface SampleOptions {
  /** Share of root rows sampled, in (0, 1]. Defaults to 0.1. */
  readonly rate?: number;
  /** Seed of the rowid hash. Defaults to 1. */
  readonly seed?: number;
}

export interface SampleDatabase {
  readonly path: string;
  remove(): void;
}

export function validateSampleOptions(options: SampleOptions): { rate: number; seed: number } {
  const rate = options.rate ?? 0.1;
  const seed = options.seed ?? 1;
  if (!(rate > 0 && rate <= 1)) throw new OptionError("sampleRate", `must be above 0 and at most 1, got ${rate}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new OptionError("sampleSeed", `must be a non-negative integer, got ${seed}`);
  return { rate, seed };
}

function createSqlOf(db: Database.Database, table: string): string {
  return db.prepare("SELECT sql FROM src.sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(table) as string;
}

export function buildSampleDatabase(sourcePath: string, source: SourceSchema, plan: MigrationPlan, options: SampleOptions = {}): SampleDatabase {
  const { rate, seed } = validateSampleOptions(options);
  const dir = mkdtempSync(path.join(tmpdir(), "sdm-canary-"));
  const file = path.join(dir, "sample.sqlite");
  const db = new Database(file);
  try {
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    // Only read from: the statements below insert into main and select from src.
    db.prepare("ATTACH DATABASE ? AS src").run(path.resolve(sourcePath));
    const tables = plan.tables.map((t) => source.tables.find((s) => s.name === t.source)!);
    for (const table of tables) db.exec(createSqlOf(db, table.name));
    db.transaction(() => fillSample(db, tables, rate, seed))();
    db.prepare("DETACH DATABASE src").run();
    return { path: file, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    db.close();
  }
}

function fillSample(db: Database.Database, tables: readonly SourceTable[], rate: number, seed: number): void {
  const names = new Set(tables.map((t) => t.name));
  const parentsOf = (t: SourceTable) => t.foreignKeys.filter((fk) => fk.parentTable !== t.name && names.has(fk.parentTable));
  const t = (name: string, schema = "main") => `${schema}.${quoteIdent(name)}`;
  // Roots: sampled by hash (WITHOUT ROWID roots are small lookup tables: kept whole).
  for (const table of tables.filter((x) => parentsOf(x).length === 0)) {
    const where = table.withoutRowid ? "" : ` WHERE ((rowid * ${MULTIPLIER} + ${seed}) % ${MODULUS}) < ${Math.ceil(rate * MODULUS)}`;
    db.exec(`INSERT INTO ${t(table.name)} SELECT * FROM ${t(table.name, "src")}${where}`);
  }
  // Down: rows referencing a sampled row, in load order (parents come first).
  // A one-column key is matched with IN, so SQLite probes the child's index
  // on it (when the export has one) instead of scanning the whole child.
  for (const table of tables.filter((x) => parentsOf(x).length > 0)) {
    const refs = parentsOf(table).map((fk) =>
      fk.columns.length === 1
        ? `c.${quoteIdent(fk.columns[0])} IN (SELECT ${quoteIdent(fk.parentColumns[0])} FROM ${t(fk.parentTable)})`
        : `EXISTS (SELECT 1 FROM ${t(fk.parentTable)} p WHERE ${joinOn(fk)})`,
    );
    db.exec(`INSERT OR IGNORE INTO ${t(table.name)} SELECT * FROM ${t(table.name, "src")} c WHERE ${refs.join(" OR ")}`);
  }
  // Up: every row a sampled row references, until the sample is closed.
  for (let round = 0; round < MAX_CLOSURE_ROUNDS; round++) {
    let added = 0;
    for (const table of tables) {
      for (const fk of table.foreignKeys.filter((f) => names.has(f.parentTable))) {
        const sql = `INSERT OR IGNORE INTO ${t(fk.parentTable)} SELECT p.* FROM ${t(fk.parentTable, "src")} p
          WHERE EXISTS (SELECT 1 FROM ${t(table.name)} c WHERE ${joinOn(fk)})
            AND NOT EXISTS (SELECT 1 FROM ${t(fk.parentTable)} q WHERE ${fk.parentColumns.map((pc) => `q.${quoteIdent(pc)} IS p.${quoteIdent(pc)}`).join(" AND ")})`;
        added += db.prepare(sql).run().changes;
      }
    }
    if (added === 0) return;
  }
}

function joinOn(fk: SourceTable["foreignKeys"][number]): string {
  return fk.columns.map((c, i) => `p.${quoteIdent(fk.parentColumns[i])} = c.${quoteIdent(c)}`).join(" AND ");
}
