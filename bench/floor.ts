/**
 * The raw COPY floor: for each table, serially as the engine does,
 * `sqlite3 -csv db "SELECT ..." | psql -c "\copy t FROM STDIN (FORMAT csv)"`
 * into tables created beforehand (untimed); then, timed apart, the same
 * primary keys, foreign keys and indexes the engine builds, with the
 * engine's maintenance settings. No conversion, no validation, no
 * transaction around it all: what PostgreSQL's intake costs by itself.
 */
import { pgConnectionEnv } from "../engine/backup";
import { createTableSql, foreignKeySql, indexSql, primaryKeySql } from "../engine/load/ddl";
import { MigrationPlan } from "../engine/plan/model";
import { qualified, quoteIdent } from "../engine/sql/identifiers";
import { withClient } from "./databases";
import { floorSelectSql, floorTablePlan, floorTypeChanges } from "./floor-plan";
import { measuredRun } from "./measured-run";
import { RssPeak } from "./process-tree-rss";

const SCHEMA = "public";

/** The engine's session settings for key and index builds (engine/load/ddl.ts), as plain SETs. */
const KEY_BUILD_SETTINGS = ["SET maintenance_work_mem = '256MB'", "SET max_parallel_maintenance_workers = 2"];

/** Each table's pipeline; positional parameters keep every value out of the shell's parsing. */
const PIPELINE = 'set -o pipefail; sqlite3 -readonly -csv "$1" "$2" | psql -X -v ON_ERROR_STOP=1 -c "$3"';

export interface FloorTableRun {
  readonly table: string;
  readonly rows: number | null;
  readonly seconds: number;
  readonly peakRssBytes: number;
}

export interface TimedStatement {
  readonly sql: string;
  readonly seconds: number;
}

export interface FloorResult {
  readonly ok: boolean;
  readonly error: string | null;
  readonly dataSeconds: number;
  readonly keysSeconds: number;
  /** ANALYZE of every table, which the engine's keys phase includes and the floor does not. */
  readonly analyzeSeconds: number;
  readonly rss: RssPeak;
  readonly tables: readonly FloorTableRun[];
  readonly keyStatements: readonly TimedStatement[];
  readonly typeChanges: ReturnType<typeof floorTypeChanges>;
}

interface FloorInput {
  readonly sourcePath: string;
  readonly databaseUrl: string;
  readonly plan: MigrationPlan;
  readonly sourceRows: Readonly<Record<string, number>>;
  readonly timeoutSeconds: number;
}

function mergePeaks(a: RssPeak, b: RssPeak): RssPeak {
  const peakByCommand: Record<string, number> = { ...a.peakByCommand };
  for (const [command, bytes] of Object.entries(b.peakByCommand)) peakByCommand[command] = Math.max(peakByCommand[command] ?? 0, bytes);
  return { peakBytes: Math.max(a.peakBytes, b.peakBytes), peakByCommand, samples: a.samples + b.samples };
}

async function copyTables(input: FloorInput): Promise<{ tables: FloorTableRun[]; rss: RssPeak; error: string | null }> {
  const env = { ...pgConnectionEnv(input.databaseUrl), PGDATESTYLE: "ISO, DMY", PGTZ: "UTC", PGCLIENTENCODING: "UTF8" };
  const tables: FloorTableRun[] = [];
  let rss: RssPeak = { peakBytes: 0, peakByCommand: {}, samples: 0 };
  for (const table of input.plan.tables) {
    const columns = table.columns.map((c) => quoteIdent(c.name)).join(", ");
    const copy = `\\copy ${qualified(SCHEMA, table.name)} (${columns}) FROM STDIN (FORMAT csv)`;
    const run = await measuredRun({
      command: "bash",
      args: ["-c", PIPELINE, "floor", input.sourcePath, floorSelectSql(table), copy],
      env,
      timeoutSeconds: input.timeoutSeconds,
    });
    rss = mergePeaks(rss, run.rss);
    const copied = /^COPY (\d+)$/m.exec(run.stdout);
    const rows = copied ? Number(copied[1]) : null;
    tables.push({ table: table.name, rows, seconds: run.wallSeconds, peakRssBytes: run.rss.peakBytes });
    if (run.exitCode !== 0) {
      const why = run.timedOut ? `timed out after ${input.timeoutSeconds} s` : `exited with ${run.exitCode ?? run.signal}`;
      return { tables, rss, error: `the pipeline of ${table.name} ${why}: ${run.stderr.trim().slice(-2000)}` };
    }
    if (rows !== input.sourceRows[table.source]) {
      return { tables, rss, error: `${table.name}: COPY took ${rows ?? "?"} rows, SQLite holds ${input.sourceRows[table.source]}` };
    }
  }
  return { tables, rss, error: null };
}

/** Primary keys, then foreign keys, then indexes: the engine's order (engine/load/load-schema.ts). */
function keyStatements(plan: MigrationPlan): string[] {
  const tables = plan.tables.map(floorTablePlan);
  return [
    ...tables.map((t) => primaryKeySql(SCHEMA, t)).filter((s): s is string => s !== null),
    ...tables.flatMap((t) => t.foreignKeys.map((fk) => foreignKeySql(SCHEMA, t, fk))),
    ...tables.flatMap((t) => t.indexes.map((i) => indexSql(SCHEMA, t, i))),
  ];
}

async function timedStatements(databaseUrl: string, statements: readonly string[]): Promise<TimedStatement[]> {
  return withClient(databaseUrl, async (client) => {
    for (const setting of KEY_BUILD_SETTINGS) await client.query(setting);
    const timed: TimedStatement[] = [];
    for (const sql of statements) {
      const started = performance.now();
      await client.query(sql);
      timed.push({ sql, seconds: (performance.now() - started) / 1000 });
    }
    return timed;
  });
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

export async function runFloor(input: FloorInput): Promise<FloorResult> {
  const plans = input.plan.tables.map(floorTablePlan);
  await withClient(input.databaseUrl, async (client) => {
    for (const table of plans) await client.query(createTableSql(SCHEMA, table));
  });
  const started = performance.now();
  const copied = await copyTables(input);
  const dataSeconds = (performance.now() - started) / 1000;
  const base = { dataSeconds, rss: copied.rss, tables: copied.tables, typeChanges: floorTypeChanges(input.plan.tables) };
  if (copied.error) return { ...base, ok: false, error: copied.error, keysSeconds: 0, analyzeSeconds: 0, keyStatements: [] };
  const keys = await timedStatements(input.databaseUrl, keyStatements(input.plan));
  const analyze = await timedStatements(
    input.databaseUrl,
    plans.map((t) => `ANALYZE ${qualified(SCHEMA, t.name)}`),
  );
  return {
    ...base,
    ok: true,
    error: null,
    keysSeconds: sum(keys.map((k) => k.seconds)),
    analyzeSeconds: sum(analyze.map((a) => a.seconds)),
    keyStatements: keys,
  };
}
