/**
 * The bench end to end on a small export, so that `npm run bench` cannot rot:
 * every contender runs on the real server, the table and the last line are
 * printed, the results file holds each contender's outcome, and the engine's
 * runs loaded every row of the export. Times are printed, never asserted.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { resolveServerUrl } from "../support/database";

const ROOT = path.resolve(__dirname, "../..");
const TICKETS = 2000;

interface ContenderDetail {
  ok: boolean;
  error: string | null;
  report?: { outcome: string; streams: number | null; tables: { table: string; rowsLoaded: number; rejected: number }[] };
}

interface BenchResults {
  source: { rows: Record<string, number>; totalRows: number };
  contenders: { id: string; status: string; wallSeconds: number | null }[];
  details: Record<string, ContenderDetail & { plain?: ContenderDetail; cast?: ContenderDetail }>;
  lastLine: string;
}

function pgloaderInstalled(): boolean {
  const probe = spawnSync("pgloader", ["--version"], { stdio: "ignore" });
  return probe.error === undefined && probe.status === 0;
}

describe("npm run bench on a small export", () => {
  let dataDirectory: string;
  let stdout: string;
  let stderr: string;
  let status: number | null;
  let results: BenchResults;

  beforeAll(async () => {
    dataDirectory = mkdtempSync(path.join(tmpdir(), "sdm-bench-"));
    // As the README runs it (npm run bench -> scripts/bench.sh, which installs a missing
    // pgloader), without rebuilding dist/ under the other test files' feet.
    const run = spawnSync(
      "npm",
      [
        "run",
        "--silent",
        "bench",
        "--",
        "--tickets",
        String(TICKETS),
        "--data-dir",
        dataDirectory,
        "--database-url",
        await resolveServerUrl(),
        "--quiet-wait",
        "0",
        "--timeout",
        "300",
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 600_000, env: { ...process.env, SDM_SKIP_BUILD: "1" } },
    );
    ({ stdout, stderr, status } = run);
    results = JSON.parse(readFileSync(path.join(dataDirectory, `results-${TICKETS}.json`), "utf8")) as BenchResults;
  }, 660_000);

  afterAll(() => {
    if (dataDirectory) rmSync(dataDirectory, { recursive: true, force: true });
  });

  test("exits 0 and ends with the ratios line", () => {
    expect({ status, stderrTail: status === 0 ? "" : stderr.slice(-2000) }).toEqual({ status: 0, stderrTail: "" });
    const lines = stdout.trimEnd().split("\n");
    const last = lines[lines.length - 1];
    expect(last).toMatch(
      /^ratio_vs_copy=\d+\.\d\d ratio_vs_pgloader=\d+\.\d\d pgloader_run=cast complete_vs_simple=\d+\.\d\d complete_vs_pgloader=\d+\.\d\d streams_2_vs_1=\d+\.\d\d peak_rss_mb=\d+ complete_peak_rss_mb=\d+$/,
    );
    expect(results.lastLine).toBe(last);
    console.log(`bench at ${TICKETS} tickets: ${last}`);
  });

  test("the floor and every engine run succeed, and the engine loads every row of the export", () => {
    const status = Object.fromEntries(results.contenders.map((c) => [c.id, c.status]));
    expect(status).toMatchObject({ floorData: "ok", floorKeys: "ok", simple: "ok", simpleStreams: "ok", complete: "ok" });
    expect(results.source.totalRows).toBe(Object.values(results.source.rows).reduce((a, b) => a + b, 0));
    // The ratio of streams compares one with two.
    expect({ simple: results.details.simple.report!.streams, streams: results.details.streams.report!.streams }).toEqual({
      simple: 1,
      streams: 2,
    });
    for (const mode of ["simple", "streams", "complete"]) {
      const report = results.details[mode].report!;
      expect({ mode, outcome: report.outcome }).toEqual({ mode, outcome: "loaded" });
      const loaded = Object.fromEntries(report.tables.map((t) => [t.table, t.rowsLoaded + t.rejected]));
      expect({ mode, loaded }).toEqual({ mode, loaded: results.source.rows });
    }
    // Each contender's row is in the printed table.
    for (const label of [
      "raw COPY floor, data",
      "raw COPY floor, data + keys",
      "this engine, simple",
      "this engine, simple, 2 streams",
      "this engine, complete (steady state)",
    ]) {
      expect(stdout).toMatch(new RegExp(`^\\| ${label.replace(/[()+]/g, "\\$&")} \\| ok \\|`, "m"));
    }
  });

  test("pgloader is judged by row counts: its defaults lose the epoch column's table, its CAST run is compared", () => {
    const byId = Object.fromEntries(results.contenders.map((c) => [c.id, c]));
    const detail = results.details.pgloader;
    const plain = detail.plain ?? detail;
    // npm run bench installs pgloader from Debian's packages when it is missing: without it nothing here is tested.
    expect({ pgloaderInstalled: pgloaderInstalled() }).toEqual({ pgloaderInstalled: true });
    expect(byId.pgloader.status).toBe("FAILED");
    expect(plain.error).toBe(`timesheets: 0 rows in PostgreSQL, ${results.source.rows.timesheets} in SQLite`);
    expect({ status: byId.pgloaderCast?.status, ok: detail.cast?.ok }).toEqual({ status: "ok", ok: true });
    // Each engine phase the floor also has is set against the floor's.
    // Columns: the floor, then simple, simple with two streams and complete.
    expect(stdout).toMatch(/^\| load rows \(COPY\) \| \d+\.\d(?: \| \d+\.\d \(\d+\.\d\dx\)){3} \|$/m);
    expect(stdout).toMatch(/^\| wall \| \d+\.\d(?: \| \d+\.\d \(\d+\.\d\dx\)){3} \|$/m);
    // The last line's ratio is the CAST run's, and says so.
    const simple = byId.simple.wallSeconds!;
    expect(results.lastLine).toContain(`ratio_vs_pgloader=${(simple / byId.pgloaderCast.wallSeconds!).toFixed(2)} pgloader_run=cast`);
    expect(results.lastLine).toContain(`streams_2_vs_1=${(byId.simpleStreams.wallSeconds! / simple).toFixed(2)} `);
  });
});
