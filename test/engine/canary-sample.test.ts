/**
 * The canary's sample on any schema: a cycle of foreign keys, a
 * self-reference, text and composite keys, WITHOUT ROWID, STRICT and
 * generated columns (the "schema shapes" corpus database). The sample must
 * be referentially closed (every reference a sampled row makes resolves in
 * the sample, orphans aside), leave no table of a cycle empty, and be
 * built without writing a byte of the export.
 */
import Database from "better-sqlite3";
import { buildSample } from "../../engine/canary/sample";
import { inspectSource } from "../../engine/migrate/inspect";
import { quoteIdent } from "../../engine/sql/identifiers";
import { CORPUS, exportDigests } from "../support/corpus";
import { useTempDir } from "./engine-fixtures";

const tmp = useTempDir("canary-sample");
const shapes = CORPUS.find((db) => db.name === "schema shapes")!;

interface Reference {
  child: string;
  parent: string;
  from: string[];
  to: string[];
}

function referencesOf(db: Database.Database, tables: readonly string[]): Reference[] {
  const out: Reference[] = [];
  for (const child of tables) {
    const rows = db
      .prepare('SELECT id, "table" AS parent, "from" AS f, "to" AS t FROM pragma_foreign_key_list(?) ORDER BY id, seq')
      .all(child) as { id: number; parent: string; f: string; t: string }[];
    for (const id of new Set(rows.map((r) => r.id))) {
      const parts = rows.filter((r) => r.id === id);
      out.push({ child, parent: parts[0].parent, from: parts.map((p) => p.f), to: parts.map((p) => p.t) });
    }
  }
  return out;
}

it("closes the sample over every reference, cycles and self-references included, reading the export only", async () => {
  const file = shapes.build(tmp.dir);
  const before = exportDigests(file);
  const inspection = await inspectSource(file);
  const sample = buildSample(file, inspection.source, inspection.plan, tmp.dir, { rate: 0.1, seed: 1 });
  try {
    const db = new Database(file, { readonly: true });
    db.prepare("ATTACH DATABASE ? AS s").run(sample.subset.file);
    const inSample = (table: string, alias: string) => {
      const source = inspection.source.tables.find((t) => t.name === table)!;
      const keys = source.withoutRowid ? source.primaryKey.map((k) => `${alias}.${quoteIdent(k)}`) : [`${alias}.rowid`];
      return `(${keys.join(", ")}) IN (SELECT * FROM s.${quoteIdent(sample.subset.keyTables[table])})`;
    };
    const counts = Object.fromEntries(
      inspection.plan.tables.map((t) => [
        t.source,
        Number(
          db
            .prepare(`SELECT count(*) FROM ${quoteIdent(t.source)} AS x WHERE ${inSample(t.source, "x")}`)
            .pluck()
            .get(),
        ),
      ]),
    );
    // The cycle (departments <-> employees), the self-reference and the tables below them all sampled.
    for (const table of ["departments", "employees", "employee_tags", "projects", "tasks", "tags", "lines", "readings", "audit_log"])
      expect({ table, sampled: counts[table] > 0 }).toEqual({ table, sampled: true });
    expect(counts.employees).toBeLessThan(400);
    expect(counts.tags).toBe(4); // a WITHOUT ROWID root is kept whole
    const unresolved: string[] = [];
    for (const ref of referencesOf(db, Object.keys(counts))) {
      const join = ref.from.map((c, i) => `p.${quoteIdent(ref.to[i])} = c.${quoteIdent(c)}`).join(" AND ");
      const sql = `SELECT count(*) FROM ${quoteIdent(ref.child)} AS c WHERE ${inSample(ref.child, "c")}
        AND ${ref.from.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(" AND ")}
        AND EXISTS (SELECT 1 FROM ${quoteIdent(ref.parent)} AS p WHERE ${join})
        AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(ref.parent)} AS p WHERE ${join} AND ${inSample(ref.parent, "p")})`;
      const missing = Number(db.prepare(sql).pluck().get());
      if (missing > 0) unresolved.push(`${ref.child} -> ${ref.parent}: ${missing}`);
    }
    expect(unresolved).toEqual([]);
    db.close();
  } finally {
    sample.remove();
  }
  expect(exportDigests(file)).toEqual(before);
});

it("samples the same rows for the same seed, and other rows for another", async () => {
  const file = shapes.build(tmp.dir);
  const inspection = await inspectSource(file);
  const keysOf = (seed: number) => {
    const sample = buildSample(file, inspection.source, inspection.plan, tmp.dir, { rate: 0.2, seed });
    try {
      const db = new Database(sample.subset.file, { readonly: true });
      const keys = db
        .prepare(`SELECT k0 FROM ${quoteIdent(sample.subset.keyTables.employees)} ORDER BY k0`)
        .pluck()
        .all();
      db.close();
      return keys;
    } finally {
      sample.remove();
    }
  };
  expect(keysOf(1)).toEqual(keysOf(1));
  expect(keysOf(2)).not.toEqual(keysOf(1));
});
