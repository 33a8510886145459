/**
 * The four modes, judged by the schemas and views in PostgreSQL after each
 * run: simple switches the stable views, blue-green leaves them for the
 * cutover command, canary leaves nothing, complete loads a clean export,
 * refuses a defective one without writing anything, and adopts the version
 * it already loaded. Two loads in one second get distinct names.
 */
import * as path from "node:path";
import { GateBlockedError, migrate, MigrateOptions, MigrationReport } from "../../engine";
import { GenerateResult, generateServicedeskDatabase } from "../../engine/generate";
import { queryRows, useTestDatabase } from "../support/database";
import { pgCount, quoteIdent, schemasOf, sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("modes");
const tmp = useTempDir("modes");
const TABLES = ["tickets", "comments", "timesheets"] as const;

let clean: GenerateResult;
let other: GenerateResult;
let defective: GenerateResult;

beforeAll(() => {
  clean = generateServicedeskDatabase({ tickets: 1200, seed: 1, out: path.join(tmp.dir, "clean.sqlite") });
  other = generateServicedeskDatabase({ tickets: 1500, seed: 2, out: path.join(tmp.dir, "other.sqlite") });
  defective = generateServicedeskDatabase({ tickets: 1200, seed: 3, defectRate: 0.05, out: path.join(tmp.dir, "defective.sqlite") });
});

function run(source: GenerateResult | string, prefix: string, options: Partial<MigrateOptions> = {}): Promise<MigrationReport> {
  return migrate({
    mode: "simple",
    ...options,
    sourcePath: typeof source === "string" ? source : source.path,
    databaseUrl: database.url,
    schemaPrefix: prefix,
    backupDirectory: path.join(tmp.dir, "backups"),
  });
}

/** Rows per table as the stable views show them. */
async function stableRows(prefix: string): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(TABLES.map(async (t) => [t, await pgCount(database.url, prefix, t)] as const)));
}

/** The version the stable view of each table reads from. */
async function viewTargets(prefix: string): Promise<string[]> {
  const rows = await queryRows<{ target: string }>(
    database.url,
    `SELECT DISTINCT tn.nspname AS target FROM pg_depend d
       JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
       JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
     WHERE vn.nspname = $1 AND d.classid = 'pg_rewrite'::regclass AND t.oid <> v.oid`,
    [prefix],
  );
  return rows.map((r) => r.target);
}

/** Every schema, relation and function in the database: "nothing new" is this, unchanged. */
async function databaseObjects(): Promise<string[]> {
  const rows = await queryRows<{ o: string }>(
    database.url,
    `SELECT 'schema ' || nspname AS o FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
     UNION ALL SELECT c.relkind::text || ' ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
     UNION ALL SELECT 'function ' || n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
     ORDER BY 1`,
  );
  return rows.map((r) => r.o);
}

const rowsOf = (g: GenerateResult) => ({ tickets: g.rows.tickets, comments: g.rows.comments, timesheets: g.rows.timesheets });

describe("simple", () => {
  it("switches the stable views to each new version and keeps the previous one for rollback", async () => {
    const first = await run(clean, "m_simple");
    expect(first).toMatchObject({ outcome: "loaded", cutOver: true, previousSchema: null });
    expect(await stableRows("m_simple")).toEqual(rowsOf(clean));
    expect(await viewTargets("m_simple")).toEqual([first.schema]);

    const second = await run(other, "m_simple");
    expect(second).toMatchObject({ outcome: "loaded", cutOver: true, previousSchema: first.schema });
    expect(await stableRows("m_simple")).toEqual(rowsOf(other));
    expect(await viewTargets("m_simple")).toEqual([second.schema]);
    expect(await schemasOf(database.url, "m_simple")).toEqual(["m_simple", "m_simple_control", first.schema, second.schema].sort());

    // The rollback command the report carries puts the first version back.
    expect(second.commands.rollbackSql).toBe(`SELECT "m_simple_control".switch_to('${first.schema}');`);
    await queryRows(database.url, second.commands.rollbackSql!);
    expect(await stableRows("m_simple")).toEqual(rowsOf(clean));
  });
});

describe("blue-green", () => {
  it("loads a new version beside the active one and leaves the stable views until the cutover command", async () => {
    const blue = await run(clean, "m_bg");
    const green = await run(other, "m_bg", { mode: "blue-green" });
    expect(green).toMatchObject({ outcome: "loaded", cutOver: false, previousSchema: blue.schema });
    for (const table of TABLES) expect(await pgCount(database.url, green.schema!, table)).toBe(other.rows[table]);
    expect(await stableRows("m_bg")).toEqual(rowsOf(clean));
    expect(await viewTargets("m_bg")).toEqual([blue.schema]);

    await queryRows(database.url, green.commands.cutoverSql!);
    expect(await stableRows("m_bg")).toEqual(rowsOf(other));
    expect(await viewTargets("m_bg")).toEqual([green.schema]);
  });
});

describe("canary", () => {
  it("loads a sample, validates and queries it, and leaves no schema behind", async () => {
    const report = await run(clean, "m_canary", { mode: "canary" });
    expect(report).toMatchObject({ outcome: "canary-passed", schema: null, cutOver: false });
    expect(report.canary!.schema).toBe("m_canary_canary");
    expect(report.canary!.sampleRows.tickets).toBeGreaterThan(0);
    expect(report.canary!.sampleRows.tickets).toBeLessThan(clean.rows.tickets / 5);
    expect(report.canary!.queries.length).toBeGreaterThan(0);
    expect(await schemasOf(database.url, "m_canary")).toEqual([]);
  });

  it("leaves an active prefix exactly as it was", async () => {
    const active = await run(clean, "m_canary_active");
    const before = await databaseObjects();
    const report = await run(other, "m_canary_active", { mode: "canary" });
    expect(report.outcome).toBe("canary-passed");
    expect(await databaseObjects()).toEqual(before);
    expect(await viewTargets("m_canary_active")).toEqual([active.schema]);
  });
});

describe("complete", () => {
  let loaded: MigrationReport;

  it("loads a clean export through health checks, canary and gate, and cuts over", async () => {
    loaded = await run(clean, "m_complete", { mode: "complete" });
    expect(loaded).toMatchObject({ outcome: "loaded", cutOver: true, previousSchema: null, backup: null, error: null });
    expect(loaded.quality).toMatchObject({ blocked: false, basis: "full", score: 100 });
    expect(loaded.canary!.sampleRows.tickets).toBeGreaterThan(0);
    expect(await stableRows("m_complete")).toEqual(rowsOf(clean));
    expect(await schemasOf(database.url, "m_complete")).toEqual(["m_complete", "m_complete_control", loaded.schema].sort());
  });

  it("blocks an export with 5% defects: GateBlockedError, nothing new in the database", async () => {
    const before = await databaseObjects();
    const error = await run(defective, "m_complete", { mode: "complete" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GateBlockedError);
    const blocked = error as GateBlockedError;
    expect(blocked.code).toBe("GATE_BLOCKED");
    expect(blocked.report).toMatchObject({ outcome: "blocked", schema: null, cutOver: false, previousSchema: loaded.schema });
    expect(blocked.report.quality!.blocked).toBe(true);
    expect(blocked.report.quality!.score).toBeLessThan(80);
    expect(blocked.report.quality!.blockedBy).toContainEqual(expect.stringMatching(/^quality score \d+ is below minQuality 80$/));
    expect(blocked.message).toContain(`quality gate blocked the migration of ${defective.path}: quality score`);
    expect(await databaseObjects()).toEqual(before);
    expect(await viewTargets("m_complete")).toEqual([loaded.schema]);
  });

  it("blocks at the full gate when the canary's sample was clean: the load is rolled back, nothing new", async () => {
    const before = await databaseObjects();
    // A sample of 0.5% of the tickets that holds no defect, while the whole export does:
    // the first seed whose sample passes the canary's gate (the others block there, before any load).
    let report: GateBlockedError["report"] | undefined;
    for (let sampleSeed = 1; sampleSeed <= 40 && report?.quality?.basis !== "full"; sampleSeed++) {
      const error = await run(defective, "m_complete", { mode: "complete", sampleRate: 0.005, sampleSeed }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GateBlockedError);
      report = (error as GateBlockedError).report;
    }
    if (!report) throw new Error("no run was made");
    expect(report.canary!.sampleRows.tickets).toBeGreaterThan(0);
    expect(report.quality).toMatchObject({ blocked: true, basis: "full" });
    expect(report.quality!.affectedRows).toBeGreaterThan(0);
    expect(await databaseObjects()).toEqual(before);
    expect(await viewTargets("m_complete")).toEqual([loaded.schema]);
  }, 60_000);

  it("adopts the version it already loaded when run again on the same export", async () => {
    const before = await schemasOf(database.url, "m_complete");
    const again = await run(clean, "m_complete", { mode: "complete" });
    expect(again).toMatchObject({ outcome: "adopted", schema: loaded.schema, cutOver: true, canary: null, backup: null });
    expect(await schemasOf(database.url, "m_complete")).toEqual(before);
    expect(await viewTargets("m_complete")).toEqual([loaded.schema]);
  });

  it("adopts a retained version after another was loaded: a revert is an instant rollback", async () => {
    const newer = await run(other, "m_complete", { mode: "complete" });
    expect(newer).toMatchObject({ outcome: "loaded", previousSchema: loaded.schema });
    expect(newer.backup?.file).toBeTruthy(); // the version it replaced was backed up first
    const reverted = await run(clean, "m_complete", { mode: "complete" });
    expect(reverted).toMatchObject({ outcome: "adopted", schema: loaded.schema, previousSchema: newer.schema, cutOver: true });
    expect(await stableRows("m_complete")).toEqual(rowsOf(clean));
    expect(await schemasOf(database.url, "m_complete")).toEqual(["m_complete", "m_complete_control", loaded.schema, newer.schema].sort());
  }, 60_000);
});

describe("version names", () => {
  it("gives a load whose second is taken the next free second, never a shared name", async () => {
    const tiny = sqliteFile(tmp.dir, "tiny", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');");
    const nameAt = (seconds: number) =>
      `m_names_v${new Date(seconds * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, "")
        .replace(/[-:]/g, "")
        .replace("T", "_")}`;
    // Every name of the next minute is taken (as a second load in the same
    // second would find its own): the load must move past all of them.
    const start = Math.floor(Date.now() / 1000);
    const taken = Array.from({ length: 61 }, (_, k) => nameAt(start + k));
    for (const name of taken) await queryRows(database.url, `CREATE SCHEMA ${quoteIdent(name)}`);
    const loaded = await run(tiny, "m_names", { reuse: false });
    expect(loaded.schema).toBe(nameAt(start + 61));
    const again = await run(tiny, "m_names", { reuse: false, retainVersions: 5 });
    expect(again.schema! > loaded.schema!).toBe(true);
    expect(taken).not.toContain(again.schema);
    const existing = await schemasOf(database.url, "m_names");
    for (const name of [...taken, loaded.schema!, again.schema!]) expect(existing).toContain(name);
    expect(await queryRows(database.url, `SELECT count(*)::int AS n FROM ${quoteIdent(again.schema!)}.t`)).toEqual([{ n: 1 }]);
  }, 60_000);
});
