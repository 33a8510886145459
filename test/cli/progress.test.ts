/**
 * --progress: on a terminal a bar per table (cli-progress: cursor movement
 * and carriage returns, the table's rows, rows/s and ETA) and the phase;
 * plain lines when stderr is not a terminal; JSON lines with --progress
 * json, ending with the row counts of the run.
 */
import { existsSync } from "node:fs";
import { useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { countRows, scratchDir } from "../reliability/support";
import { CLI, cli, inTerminal } from "./support";

const TABLES = ["tickets", "comments", "timesheets"];
// Escape sequences cli-progress moves the cursor and clears lines with.
const ANSI = new RegExp(String.raw`\x1b\[\d*[A-Za-z]`);

describe("progress modes", () => {
  const database = useTestDatabase("cli_progress");
  let sources: SourceFolder;
  let scratch: ReturnType<typeof scratchDir>;
  let source: { path: string; rows: Record<string, number> };

  const migrate = (prefix: string, ...extra: string[]) => [
    "migrate",
    "--source",
    source.path,
    "--database-url",
    database.url,
    "--schema-prefix",
    prefix,
    "--mode",
    "simple",
    "--backup-dir",
    scratch.path("backups"),
    ...extra,
  ];

  beforeAll(() => {
    sources = sourceFolder();
    scratch = scratchDir("cli-progress");
    source = sources.make("export.sqlite", { tickets: 4000, seed: 3 });
  });

  afterAll(() => {
    sources?.cleanup();
    scratch?.cleanup();
  });

  test("auto on a terminal: a bar per table with rows, rows/s and ETA, and the phase", async () => {
    const args = migrate("sdbar").map((a) => `'${a}'`);
    const result = await inTerminal(`'${process.execPath}' '${CLI}' ${args.join(" ")}`);
    expect(result.status).toBe(0);
    const screen = result.stdout;
    expect(screen).toMatch(ANSI);
    expect(screen).toContain("\r");
    for (const table of TABLES) {
      // The finished bar: all rows, a rate and no time left.
      const total = source.rows[table].toLocaleString("en-US");
      expect(screen).toMatch(new RegExp(`${table} +\\S+ 100% \\| ${total}/${total} rows \\| [\\d,]+ rows/s \\| ETA 0s`));
    }
    expect(screen).toMatch(/\d[\d,]* rows\/s/);
    expect(screen).not.toMatch(/ 0 rows\/s \| ETA 0s/); // a rate was measured for every finished table
    for (const phase of ["inspect", "load", "keys", "validation", "cutover"]) expect(screen).toContain(`[${phase}]`);
    expect(screen).toMatch(/\[cutover\] done in \d+\.\d s/);
    // The summary follows the bars.
    expect(screen).toContain("simple migration of");
  });

  test("not a terminal: plain lines, one per phase start and end, and lines per table", async () => {
    const result = await cli(migrate("sdplain"));
    expect(result.status).toBe(0);
    const lines = result.stderr.trim().split("\n");
    expect(result.stderr).not.toMatch(ANSI);
    expect(result.stderr).not.toContain("\r");
    for (const phase of ["inspect", "load", "keys", "validation", "cutover"]) {
      expect(lines.filter((l) => l.startsWith(`[${phase}] started`))).toHaveLength(1);
      expect(lines.filter((l) => new RegExp(`^\\[${phase}\\] done in \\d+\\.\\d s$`).test(l))).toHaveLength(1);
    }
    for (const table of TABLES) {
      const total = source.rows[table].toLocaleString("en-US");
      expect(lines).toContainEqual(
        expect.stringMatching(new RegExp(`^\\[load\\] ${table} ${total}/${total} rows \\(100%\\), [\\d,]+ rows/s, ETA 0s$`)),
      );
    }
    // The order of the phases is the order they ran in.
    const starts = lines.filter((l) => / started/.test(l)).map((l) => /^\[(\w+)\]/.exec(l)![1]);
    expect(starts).toEqual(["inspect", "load", "keys", "indexes", "validation", "cutover"]);
  });

  test("--progress json: one JSON object per line per event, ending with the run's row counts", async () => {
    const result = await cli(migrate("sdjson", "--progress", "json", "--json"));
    expect(result.status).toBe(0);
    const events = result.stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(["phase-start", "phase-end", "rows", "message", "finish"]));
    for (const e of events) expect(Number.isNaN(Date.parse(e.time as string))).toBe(false);
    const rows = events.filter((e) => e.event === "rows" && e.phase === "load");
    for (const table of TABLES) {
      const last = rows.filter((e) => e.table === table).pop()!;
      expect(last).toMatchObject({ done: source.rows[table], total: source.rows[table], etaSeconds: 0 });
      expect(last.rowsPerSecond).toBeGreaterThan(0);
    }
    expect(events.filter((e) => e.event === "phase-start").map((e) => e.phase)).toEqual([
      "inspect",
      "load",
      "keys",
      "indexes",
      "validation",
      "cutover",
    ]);
    const finish = events[events.length - 1];
    expect(finish.event).toBe("finish");
    const report = JSON.parse(result.stdout);
    expect(finish).toMatchObject({ outcome: "loaded", schema: report.schema, error: null, reportFiles: report.reportFiles });
    expect(finish.tables).toEqual(
      TABLES.map((table) => ({ table, sourceRows: source.rows[table], rowsLoaded: source.rows[table], rejected: 0 })),
    );
    for (const table of TABLES) expect(await countRows(database.url, report.schema, table)).toBe(source.rows[table]);
    expect(existsSync((finish.reportFiles as { json: string }).json)).toBe(true);
  });

  test("--progress json of a failed run: the phase that failed ends as failed, finish carries the error", async () => {
    const args = migrate("sdjsonfail", "--progress", "json", "--test-query", "SELECT 1 / 0").map((a) => (a === "simple" ? "complete" : a));
    const result = await cli(args);
    expect(result.status).toBe(1);
    // The CLI's failure message (it quotes the query, over lines of its own) follows the events.
    const failure = result.stderr.indexOf("servicedesk-migrate: failed [CANARY_FAILED]: ");
    expect(failure).toBeGreaterThan(0);
    const events = result.stderr
      .slice(0, failure)
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const ends = events.filter((e) => e.event === "phase-end");
    expect(ends[ends.length - 1]).toMatchObject({ phase: "canary", failed: true });
    expect(events[events.length - 1]).toMatchObject({
      event: "finish",
      outcome: "failed",
      schema: null,
      error: { code: "CANARY_FAILED" },
      reportFiles: { json: expect.stringMatching(/\.json$/), markdown: expect.stringMatching(/\.md$/) },
    });
  });

  test("--progress none and --quiet print nothing on stderr", async () => {
    for (const flag of [["--progress", "none"], ["--quiet"]]) {
      const result = await cli(migrate("sdnone", ...flag));
      expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
    }
  });
});
