/**
 * A deterministic sample of the export that keeps referential integrity,
 * kept as a row subset (source/row-subset.ts): the export is opened
 * read-only, the sample's row identities are worked out in temporary
 * tables of that connection, and only those identities are written to a key
 * database of our own. The canary then reads the export through it.
 *
 * Tables whose foreign keys reach no other migrated table outside their
 * own cycle (roots, including tables in a cycle of references and
 * self-referencing ones) are sampled by a seeded hash of the rowid; a
 * sampled row brings the rows that reference it (a ticket its comments and
 * timesheets); then every row a sampled row references is added (a track
 * its genre, an employee their manager), until nothing is missing.
 */
import { closeSync, mkdtempSync, openSync, rmSync } from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { DEFAULTS } from "../defaults";
import { OptionError } from "../errors";
import { MigrationPlan } from "../plan/model";
import {
  identityColumns,
  identitySql,
  openSource,
  RowSubset,
  SourceDatabase,
  SourceSchema,
  SourceTable,
  sourceFailure,
  useSinglePassCache,
} from "../source";
import { quoteIdent } from "../sql/identifiers";
import { referenceComponents } from "./components";

/**
 * The rowid hash: rows are kept when (rowid * MULTIPLIER + shift) mod a
 * prime is below rate * MODULUS. The seed moves the shift by a large
 * stride, so another seed selects another window of the hash, not the
 * same rows give or take one.
 */
const MODULUS = 1_000_003;
const MULTIPLIER = 2_654_435_761;
const SEED_STRIDE = 7_368_787n;
const MAX_CLOSURE_ROUNDS = 50;

export interface SampleOptions {
  /** Share of root rows sampled, in (0, 1]. Defaults to 0.1. */
  readonly rate?: number;
  /** Seed of the rowid hash. Defaults to 1. */
  readonly seed?: number;
}

export interface Sample {
  readonly subset: RowSubset;
  /** Removes the key database. */
  remove(): void;
}

export function validateSampleOptions(options: SampleOptions): { rate: number; seed: number } {
  const rate = options.rate ?? DEFAULTS.sampleRate;
  const seed = options.seed ?? DEFAULTS.sampleSeed;
  if (!(rate > 0 && rate <= 1)) throw new OptionError("sampleRate", `must be above 0 and at most 1, got ${rate}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new OptionError("sampleSeed", `must be a non-negative integer, got ${seed}`);
  return { rate, seed };
}

/** One table's sampled identities, in a temporary table of the read-only connection. */
interface SampledTable {
  readonly table: SourceTable;
  readonly temp: string;
  /** `alias.identity IN (sampled)` */
  readonly member: (alias: string) => string;
}

function sampledTable(table: SourceTable, index: number): SampledTable {
  const temp = `temp.${quoteIdent(`sdm_sample_${index}`)}`;
  const identity = identityColumns(table);
  const keys = identity.map((_, i) => `k${i}`).join(", ");
  return {
    table,
    temp,
    member: (alias) => {
      const columns = identitySql(table, alias);
      return `${columns.length === 1 ? columns[0] : `(${columns.join(", ")})`} IN (SELECT ${keys} FROM ${temp})`;
    },
  };
}

function keyTableSql(name: string, table: SourceTable): string {
  const identity = identityColumns(table);
  if (identity.length === 1 && identity[0] === "rowid") return `CREATE TABLE ${name} (k0 INTEGER PRIMARY KEY)`;
  const columns = identity.map((_, i) => `k${i}`).join(", ");
  return `CREATE TABLE ${name} (${columns}, PRIMARY KEY (${columns})) WITHOUT ROWID`;
}

/** `scratchDirectory`: the run's scratch folder (scratch/scratch.ts), where the key database goes. */
export function buildSample(
  sourcePath: string,
  source: SourceSchema,
  plan: MigrationPlan,
  scratchDirectory: string,
  options: SampleOptions = {},
): Sample {
  const { rate, seed } = validateSampleOptions(options);
  const tables = plan.tables.map((t) => source.tables.find((s) => s.name === t.source)!);
  const dir = mkdtempSync(path.join(scratchDirectory, "canary-"));
  const file = path.join(dir, "sample-keys.sqlite");
  const db = openSource(sourcePath);
  try {
    useSinglePassCache(db);
    const sampled = tables.map(sampledTable);
    let current = "";
    try {
      for (const s of sampled) {
        current = s.table.name;
        db.exec(keyTableSql(s.temp, s.table));
      }
      db.transaction(() => fillSample(db, sampled, rate, seed, (name) => (current = name)))();
    } catch (error) {
      throw sourceFailure(sourcePath, error, current);
    }
    const keyTables = Object.fromEntries(sampled.map((s, i) => [s.table.name, `k_${i}`]));
    writeKeyDatabase(db, file, sampled, keyTables);
    return { subset: { file, keyTables }, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    db.close();
  }
}

function fillSample(db: SourceDatabase, sampled: readonly SampledTable[], rate: number, seed: number, at: (table: string) => void): void {
  const byName = new Map(sampled.map((s) => [s.table.name, s]));
  const from = (s: SampledTable, alias: string) => `main.${quoteIdent(s.table.name)} AS ${alias}`;
  const components = referenceComponents(sampled.map((s) => s.table));
  // Roots: sampled by hash, and never left empty when they hold rows, so every
  // table below them gets rows too. WITHOUT ROWID roots (lookup tables: no
  // rowid to hash) are kept whole, and bring no rows down: every row would.
  const whole = new Set<string>();
  for (const s of sampled.filter((x) => components.isRoot(x.table.name))) {
    at(s.table.name);
    if (s.table.withoutRowid) {
      whole.add(s.table.name);
      db.exec(`INSERT INTO ${s.temp} SELECT ${identitySql(s.table, "t").join(", ")} FROM ${from(s, "t")}`);
      continue;
    }
    const shift = (BigInt(seed) * SEED_STRIDE) % BigInt(MODULUS);
    const hash = `((t.rowid * ${MULTIPLIER} + ${shift}) % ${MODULUS})`;
    const added = db
      .prepare(`INSERT INTO ${s.temp} SELECT t.rowid FROM ${from(s, "t")} WHERE ${hash} < ${Math.ceil(rate * MODULUS)}`)
      .run().changes;
    if (added === 0) db.exec(`INSERT INTO ${s.temp} SELECT t.rowid FROM ${from(s, "t")} ORDER BY t.rowid LIMIT 1`);
  }
  // Down, parents first: rows referencing a sampled row of a table outside their own cycle.
  for (const s of components.order.map((name) => byName.get(name)!).filter((x) => !components.isRoot(x.table.name))) {
    at(s.table.name);
    const refs = s.table.foreignKeys
      .filter((fk) => byName.has(fk.parentTable) && !whole.has(fk.parentTable) && !components.sameComponent(fk.parentTable, s.table.name))
      .map(
        (fk) =>
          `${tuple("c", fk.columns)} IN (SELECT ${fk.parentColumns.map((c) => `p.${quoteIdent(c)}`).join(", ")} FROM ${from(byName.get(fk.parentTable)!, "p")} WHERE ${byName.get(fk.parentTable)!.member("p")})`,
      );
    if (refs.length > 0)
      db.exec(
        `INSERT OR IGNORE INTO ${s.temp} SELECT ${identitySql(s.table, "c").join(", ")} FROM ${from(s, "c")} WHERE ${refs.join(" OR ")}`,
      );
  }
  // Up: every row a sampled row references, until the sample is closed.
  for (let round = 0; round < MAX_CLOSURE_ROUNDS; round++) {
    let added = 0;
    for (const child of sampled) {
      for (const fk of child.table.foreignKeys.filter((f) => byName.has(f.parentTable))) {
        const parent = byName.get(fk.parentTable)!;
        at(parent.table.name);
        const sql = `INSERT OR IGNORE INTO ${parent.temp} SELECT ${identitySql(parent.table, "p").join(", ")} FROM ${from(parent, "p")}
          WHERE ${tuple("p", fk.parentColumns)} IN (SELECT ${fk.columns.map((c) => `c.${quoteIdent(c)}`).join(", ")} FROM ${from(child, "c")} WHERE ${child.member("c")})`;
        added += db.prepare(sql).run().changes;
      }
    }
    if (added === 0) return;
  }
}

function tuple(alias: string, columns: readonly string[]): string {
  const list = columns.map((c) => `${alias}.${quoteIdent(c)}`);
  return list.length === 1 ? list[0] : `(${list.join(", ")})`;
}

/**
 * Copies the sampled identities into the key database. Only identities
 * cross: rowids exactly (as one JSON array), keys of WITHOUT ROWID tables
 * with their storage class (integers as BigInt, text bytes cast back to
 * text, not decoded).
 */
function writeKeyDatabase(db: SourceDatabase, file: string, sampled: readonly SampledTable[], keyTables: Record<string, string>): void {
  // Created empty with mode 0600 first (SQLite takes an empty file as a new database): it may hold text keys of the export.
  closeSync(openSync(file, "wx", 0o600));
  const out = new Database(file);
  try {
    useSinglePassCache(out);
    out.pragma("journal_mode = OFF");
    out.pragma("synchronous = OFF");
    for (const s of sampled) {
      const name = quoteIdent(keyTables[s.table.name]);
      out.exec(keyTableSql(name, s.table));
      if (identityColumns(s.table)[0] === "rowid") {
        // Rowids are integers, which JSON carries exactly: one array crosses instead of a statement per row.
        const rowids = db.prepare(`SELECT json_group_array(k0) FROM ${s.temp}`).pluck().get() as string;
        out.prepare(`INSERT INTO ${name} SELECT value FROM json_each(?)`).run(rowids);
        continue;
      }
      const width = identityColumns(s.table).length;
      const columns = Array.from(
        { length: width },
        (_, i) => `typeof(k${i}) = 'text', CASE WHEN typeof(k${i}) = 'text' THEN CAST(k${i} AS BLOB) ELSE k${i} END`,
      ).join(", ");
      const read = db.prepare(`SELECT ${columns} FROM ${s.temp}`).raw(true).safeIntegers(true);
      const values = Array.from({ length: width }, () => "CASE WHEN ? THEN CAST(? AS TEXT) ELSE ? END").join(", ");
      const write = out.prepare(`INSERT INTO ${name} VALUES (${values})`);
      out.transaction(() => {
        for (const row of read.iterate() as IterableIterator<unknown[]>) {
          const args: unknown[] = [];
          for (let i = 0; i < row.length; i += 2) args.push(row[i], row[i + 1], row[i + 1]);
          write.run(args);
        }
      })();
    }
  } finally {
    out.close();
  }
}
