/**
 * A load killed halfway leaves nothing behind. The engine runs in a child
 * process on a generated export of 100k tickets (~560k rows); when its
 * progress shows the comments table half loaded, it gets SIGKILL: no
 * cleanup code runs, only PostgreSQL's transaction semantics. Afterwards no
 * schema of the prefix exists, no session or advisory lock is left, and a
 * new run loads every row.
 *
 * The run's scratch folder (the canary's sample keys, reject spools) is
 * what a kill can leave: SIGKILL mid-canary leaves it and the next run
 * removes it; SIGTERM, SIGINT or SIGHUP mid-canary removes it and still
 * ends the process (the signal's default).
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { GenerateResult } from "../../engine/generate";
import { ProgressEvent } from "../../engine";
import { HOST_LABEL } from "../../engine/owner-process";
import { scratchRoot } from "../../engine/scratch/scratch";
import { queryRows, useTestDatabase } from "../support/database";
import { otherSessions, pgCount, schemasOf, useTempDir } from "./engine-fixtures";

const FIXTURE = path.resolve(__dirname, "../fixtures/engine-load.js");
const DIST_GENERATE = path.resolve(__dirname, "../../dist/engine/generate/index.js");
const PREFIX = "killed";
const TICKETS = 100_000;

let child: ChildProcess | undefined;
// Declared before useTestDatabase: after-all hooks run in declaration order, and a live child would hold the database open.
afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});
const database = useTestDatabase("kill");
const tmp = useTempDir("kill");
let generated: GenerateResult;

beforeAll(() => {
  // The compiled generator in a process of its own: four times faster than inside jest's module sandbox.
  const script = `const { generateServicedeskDatabase } = require(${JSON.stringify(DIST_GENERATE)});
    process.stdout.write(JSON.stringify(generateServicedeskDatabase({ tickets: ${TICKETS}, seed: 17, out: ${JSON.stringify(path.join(tmp.dir, "servicedesk.sqlite"))} })));`;
  generated = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8", maxBuffer: 64 << 20 })) as GenerateResult;
});

async function advisoryLocks(): Promise<unknown[]> {
  return queryRows(
    database.url,
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
}

/** Polls until `check` holds or `ms` pass; returns its last value. */
async function eventually<T>(ms: number, probe: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts the child and resolves with the progress event at which it was killed, and what the database showed then. */
function loadAndKillHalfway(): Promise<{ event: ProgressEvent; schemasDuringLoad: string[]; sessionsDuringLoad: number; exit: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [FIXTURE, generated.path, database.url, PREFIX, "simple", path.join(tmp.dir, "backups")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let killedAt: { event: ProgressEvent; schemasDuringLoad: string[]; sessionsDuringLoad: number } | null = null;
    const lines = createInterface({ input: proc.stderr! });
    lines.on("line", (line) => {
      if (killedAt) return;
      const event = JSON.parse(line) as ProgressEvent & { error?: string };
      if (event.error) return reject(new Error(`the load failed before it was killed: ${event.error}`));
      if (event.phase !== "load" || event.table !== "comments" || (event.done ?? 0) < generated.rows.comments / 2) return;
      killedAt = { event, schemasDuringLoad: [], sessionsDuringLoad: 0 };
      const snapshot = killedAt;
      // What another session sees while the load runs, then the kill.
      Promise.all([schemasOf(database.url, PREFIX), otherSessions(database.url)]).then(([schemas, sessions]) => {
        snapshot.schemasDuringLoad = schemas;
        snapshot.sessionsDuringLoad = sessions.length;
        proc.kill("SIGKILL");
      }, reject);
    });
    proc.on("exit", (code, signal) => {
      if (!killedAt) reject(new Error(`the load ended (code ${code}, signal ${signal}) before it was halfway`));
      else resolve({ ...killedAt, exit: String(signal ?? code) });
    });
  });
}

it("leaves no schema, session or lock behind when killed halfway through the load, and a new run loads everything", async () => {
  const killed = await loadAndKillHalfway();
  expect(killed.exit).toBe("SIGKILL");
  expect(killed.event.done).toBeLessThan(generated.rows.comments);
  // The load runs in one uncommitted transaction: nobody else sees its schema.
  expect(killed.schemasDuringLoad).toEqual([]);
  expect(killed.sessionsDuringLoad).toBeGreaterThanOrEqual(1);

  // The server notices the dead client and rolls its transaction back.
  expect(
    await eventually(
      15_000,
      () => otherSessions(database.url),
      (s) => s.length === 0,
    ),
  ).toEqual([]);
  expect(await schemasOf(database.url, PREFIX)).toEqual([]);
  expect(await advisoryLocks()).toEqual([]);
  const leftovers = await queryRows(
    database.url,
    `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname LIKE 'killed%'`,
  );
  expect(leftovers).toEqual([]);

  // The same engine, run to completion this time.
  const rerun = JSON.parse(
    execFileSync(process.execPath, [FIXTURE, generated.path, database.url, PREFIX, "simple", path.join(tmp.dir, "backups")], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  ) as { outcome: string; schema: string };
  expect(rerun.outcome).toBe("loaded");
  expect(await schemasOf(database.url, PREFIX)).toEqual([PREFIX, `${PREFIX}_control`, rerun.schema]);
  for (const table of ["tickets", "comments", "timesheets"] as const) {
    expect({
      table,
      rows: await pgCount(database.url, rerun.schema, table),
      viaStableView: await pgCount(database.url, PREFIX, table),
    }).toEqual({ table, rows: generated.rows[table], viaStableView: generated.rows[table] });
  }
  expect(await queryRows(database.url, `SELECT 1 FROM ${rerun.schema}._rejects`)).toEqual([]);
}, 120_000);

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string) =>
  (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[]).filter((e) => e.isFile()).map((e) => e.name);

/**
 * Runs complete mode in a child and sends it `signal` once the canary is
 * loading comments; resolves with the run folders of the scratch root then
 * (and their files), and how the child ended.
 */
function signalDuringCanary(
  prefix: string,
  signal: NodeJS.Signals,
): Promise<{ folders: string[]; files: string[]; pid: number; exit: string }> {
  const backups = path.join(tmp.dir, "backups");
  const root = scratchRoot(backups, prefix);
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [FIXTURE, generated.path, database.url, prefix, "complete", backups], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let seen: { folders: string[]; files: string[] } | null = null;
    createInterface({ input: proc.stderr! }).on("line", (line) => {
      if (seen) return;
      const event = JSON.parse(line) as ProgressEvent & { error?: string };
      if (event.error) return reject(new Error(`the run failed before the signal: ${event.error}`));
      if (event.phase !== "canary" || event.table !== "comments" || !event.done) return;
      const folders = readdirSync(root);
      seen = { folders, files: folders.flatMap((f) => filesUnder(path.join(root, f))) };
      proc.kill(signal);
    });
    proc.on("exit", (code, exitSignal) => {
      if (!seen) reject(new Error(`the run ended (code ${code}, signal ${exitSignal}) before the canary loaded comments`));
      else resolve({ ...seen, pid: proc.pid!, exit: String(exitSignal ?? code) });
    });
  });
}

it("a run killed with SIGKILL mid-canary leaves its scratch folder, and the next run removes it", async () => {
  const prefix = "killed_canary";
  const root = scratchRoot(path.join(tmp.dir, "backups"), prefix);
  const killed = await signalDuringCanary(prefix, "SIGKILL");
  expect(killed.exit).toBe("SIGKILL");
  expect(killed.folders).toEqual([expect.stringMatching(new RegExp(`^run-${HOST_LABEL}-${killed.pid}-[A-Za-z0-9]{6}$`))]);
  expect(killed.files).toContain("sample-keys.sqlite");
  // Nothing ran to remove it.
  expect(readdirSync(root)).toEqual(killed.folders);

  const next = execFileSync(process.execPath, [FIXTURE, generated.path, database.url, prefix, "canary", path.join(tmp.dir, "backups")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  expect(JSON.parse(next)).toMatchObject({ outcome: "canary-passed" });
  // The killed run's folder collected, the next run's removed, and with them the emptied scratch root.
  expect(existsSync(root)).toBe(false);
}, 180_000);

it.each(["SIGTERM", "SIGINT", "SIGHUP"] as const)(
  "a run sent %s mid-canary removes its scratch folder and ends by the signal",
  async (signal) => {
    const prefix = `${signal.toLowerCase()}_canary`;
    const ended = await signalDuringCanary(prefix, signal);
    expect(ended.folders).toHaveLength(1);
    expect(ended.files).toContain("sample-keys.sqlite");
    expect(ended.exit).toBe(signal);
    expect(existsSync(scratchRoot(path.join(tmp.dir, "backups"), prefix))).toBe(false);
  },
  120_000,
);
