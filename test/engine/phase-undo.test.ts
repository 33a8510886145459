/**
 * The phase runner against the real PostgreSQL, with complete mode's real
 * phases over an active version (so its backup runs). A failure after
 * each phase's start, and in each complete before the load commits, is
 * undone: the database facts are the ones from before the run (the same
 * schemas, the stable views on the same version, no transaction left
 * open, no new file in the backup folder, no scratch folder). A failure
 * after the load commits keeps the version and the backup of the one it
 * replaces, unserved. An undo that fails too is reported beside the
 * failure, and the other phases are still undone.
 */
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { inspectSource, migrate, MigrationError, resolveOptions, RollbackError } from "../../engine";
import { generateServicedeskDatabase } from "../../engine/generate";
import { newRun, Phase, PHASES, Run, runPhases } from "../../engine/migrate/phases";
import { MODE_BEHAVIOUR, PhaseName } from "../../engine/modes";
import { queryRows, useTestDatabase, withConnection } from "../support/database";
import { schemasOf, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("phase_undo");
const tmp = useTempDir("phase-undo");
const PREFIX = "pu";
const PHASE_NAMES = MODE_BEHAVIOUR.complete.phases;
const LOAD = PHASE_NAMES.indexOf("load");

let first: string;
let second: string;
const backupDirectory = () => path.join(tmp.dir, "backups");

beforeAll(async () => {
  first = generateServicedeskDatabase({ tickets: 400, seed: 1, out: path.join(tmp.dir, "first.sqlite") }).path;
  // Another export: a run of it loads a new version instead of adopting the active one.
  second = generateServicedeskDatabase({ tickets: 500, seed: 2, out: path.join(tmp.dir, "second.sqlite") }).path;
  await migrate({ sourcePath: first, databaseUrl: database.url, schemaPrefix: PREFIX, backupDirectory: backupDirectory() });
});

/** Every file under the backup folder (backups, reports, scratch folders), relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() || (e.isDirectory() && e.name.startsWith("run-")))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** The version the stable views read from. */
async function stableTargets(): Promise<string[]> {
  const rows = await queryRows<{ target: string }>(
    database.url,
    `SELECT DISTINCT tn.nspname AS target FROM pg_depend d
       JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
       JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
     WHERE vn.nspname = $1 AND d.classid = 'pg_rewrite'::regclass AND t.oid <> v.oid AND tn.nspname <> $1`,
    [PREFIX],
  );
  return rows.map((r) => r.target).sort();
}

interface Facts {
  schemas: string[];
  stable: string[];
  files: string[];
  /** Whether the run's session had no transaction open once the runner returned. */
  noOpenTransaction: boolean;
}

async function databaseFacts(client: Client): Promise<Facts> {
  const [session] = (
    await client.query<{ idle: boolean }>(`SELECT xact_start = query_start AS idle FROM pg_stat_activity WHERE pid = pg_backend_pid()`)
  ).rows;
  return {
    schemas: await schemasOf(database.url, PREFIX),
    stable: await stableTargets(),
    files: filesUnder(backupDirectory()),
    noOpenTransaction: session.idle,
  };
}

/** A phase that fails at `step`, placed after the phase named `after`. */
function failing(step: "start" | "complete", after: PhaseName): Phase {
  const fail = async () => {
    throw new Error(`injected failure at ${step}, after ${after}`);
  };
  const nothing = async () => undefined;
  return { name: after, start: step === "start" ? fail : nothing, complete: step === "complete" ? fail : nothing, undo: nothing };
}

/** Complete mode's phases for the second export over the active first one, with `extra` inserted after phase `at`. */
async function runWith(
  client: Client,
  at: number,
  extra: Phase[],
  overrides: { streams?: number } = {},
): Promise<{ error: unknown; run: Run }> {
  const options = resolveOptions({
    sourcePath: second,
    databaseUrl: database.url,
    schemaPrefix: PREFIX,
    backupDirectory: backupDirectory(),
    ...overrides,
  });
  const inspection = await inspectSource(second, options);
  const active = (await schemasOf(database.url, PREFIX)).find((s) => s.startsWith(`${PREFIX}_v`))!;
  const run = newRun(client, { options, inspection, startedAt: new Date(), timings: {} }, active, undefined, (_, fn) => fn());
  const phases = PHASE_NAMES.map((name) => PHASES[name]());
  phases.splice(at + 1, 0, ...extra);
  const error = await runPhases(run, phases).then(
    () => null,
    (thrown: unknown) => thrown,
  );
  return { error, run };
}

describe("a failure before the load commits leaves the database as it was", () => {
  let before: Facts;
  beforeAll(async () => {
    before = await withConnection(database.url, databaseFacts);
    expect(before.schemas).toEqual([PREFIX, expect.stringMatching(/^pu_control$/), expect.stringMatching(/^pu_v\d{8}_\d{6}$/)]);
    expect(before.stable).toEqual([before.schemas[2]]);
  });

  const cases = [
    ...PHASE_NAMES.map((name, i) => ["start", name, i] as const),
    ...PHASE_NAMES.slice(0, LOAD).map((name, i) => ["complete", name, i] as const),
  ];
  it.each(cases)("at %s, after %s", async (step, name, at) => {
    await withConnection(database.url, async (client) => {
      const { error, run } = await runWith(client, at, [failing(step, name)]);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toBe(`injected failure at ${step}, after ${name}`);
      // What the phases did before the failure really happened: the undo had something to take back.
      if (at >= PHASE_NAMES.indexOf("backup") && step === "complete") expect(run.backup?.file).toEqual(expect.stringContaining(PREFIX));
      if (at >= LOAD) expect(run.load?.schema).toMatch(/^pu_v\d{8}_\d{6}$/);
      expect(await databaseFacts(client)).toEqual(before);
    });
  });

  it("undoes a streamed load's staging schema too", async () => {
    await withConnection(database.url, async (client) => {
      const { error, run } = await runWith(client, LOAD, [failing("start", "load")], { streams: 2 });
      expect((error as Error).message).toBe("injected failure at start, after load");
      expect(run.load?.streams).toBe(2);
      expect(await databaseFacts(client)).toEqual(before);
    });
  });

  it("reports an undo that fails beside the failure, and still undoes the other phases", async () => {
    await withConnection(database.url, async (client) => {
      const breaking: Phase = {
        name: "canary",
        start: async () => undefined,
        complete: async () => undefined,
        undo: async () => {
          throw new Error("the undo failed too");
        },
      };
      const { error } = await runWith(client, LOAD, [breaking, failing("start", "load")]);
      expect(error).toBeInstanceOf(RollbackError);
      expect((error as MigrationError).code).toBe("ROLLBACK_FAILED");
      expect((error as Error).message).toBe("injected failure at start, after load; and undoing it failed too: the undo failed too");
      expect(await databaseFacts(client)).toEqual(before);
    });
  });
});

it("keeps what the load committed when a later step fails: the version and the backup of the one it replaces, unserved", async () => {
  await withConnection(database.url, async (client) => {
    const before = await databaseFacts(client);
    const { error, run } = await runWith(client, LOAD, [failing("complete", "load")]);
    expect((error as Error).message).toBe("injected failure at complete, after load");
    const after = await databaseFacts(client);
    expect(after.schemas).toEqual([...before.schemas, run.load!.schema].sort());
    expect(after.stable).toEqual(before.stable);
    expect(after.noOpenTransaction).toBe(true);
    expect(after.files).toEqual([...before.files, path.relative(backupDirectory(), run.backup!.file)].sort());
  });
});
