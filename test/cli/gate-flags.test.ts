/**
 * The gate's settings and the circuit breaker through the CLI, as an
 * operator meets them: a blocked export's output lists the ways forward,
 * each a flag to type; --accept and --threshold let the reviewed export
 * through, in profile and migrate alike, and the accepted finding is shown
 * as accepted; --allow-table-loss serves a version the breaker stopped;
 * a malformed value is refused naming its flag.
 */
import * as path from "node:path";
import { useTestDatabase } from "../support/database";
import { sqliteFile, useTempDir } from "../engine/engine-fixtures";
import { cli } from "./support";

const database = useTestDatabase("cli_gate");
const tmp = useTempDir("cli_gate");

/** A ticket tracker's export: one text date among eleven microsecond times, beside 2,000 wiki pages. */
const tracker = () =>
  sqliteFile(
    tmp.dir,
    "tracker",
    `CREATE TABLE ticket (id INTEGER PRIMARY KEY, time INTEGER);
     INSERT INTO ticket VALUES (1, '2019-03-01 10:00:00'), ${Array.from({ length: 10 }, (_, i) => `(${i + 2}, ${1551434400000000 + i})`).join(", ")};
     CREATE TABLE wiki (id INTEGER PRIMARY KEY, text TEXT);
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO wiki SELECT i, 'page ' || i FROM n;`,
  );

const migrate = (source: string, prefix: string, ...flags: string[]) =>
  cli([
    "migrate",
    "--source",
    source,
    "--database-url",
    database.url,
    "--schema-prefix",
    prefix,
    "--backup-dir",
    path.join(tmp.dir, "b"),
    "--progress",
    "none",
    ...flags,
  ]);

it("profile: a blocked export prints each way forward, and --accept lets it through as accepted", async () => {
  const blocked = await cli(["profile", "--source", tracker(), "--progress", "none"]);
  expect(blocked.status).toBe(2);
  expect(blocked.stdout).toContain(
    '  way forward: 1 of 11 values of "ticket"."time" (bigint): not an integer: state the column\'s type: --type \'ticket.time=text\'',
  );
  expect(blocked.stdout).toContain("--accept 'ticket.time:type_conformity<=1'");
  const accepted = await cli(["profile", "--source", tracker(), "--progress", "none", "--accept", "ticket.time:type_conformity<=1"]);
  expect(accepted.status).toBe(0);
  expect(accepted.stdout).toContain("passed");
  expect(accepted.stdout).toContain("(accepted: ticket.time:type_conformity<=1)");
});

it("migrate: --accept and --threshold each load the reviewed export", async () => {
  expect((await migrate(tracker(), "cg_blocked")).status).toBe(2);
  const accepted = await migrate(tracker(), "cg_accepted", "--accept", "ticket.time:type_conformity<=1", "--json");
  expect(accepted.status).toBe(0);
  expect(JSON.parse(accepted.stdout).quality.findings.find((f: { check: string }) => f.check === "type_conformity").accepted).toBe(
    "ticket.time:type_conformity<=1",
  );
  expect((await migrate(tracker(), "cg_levels", "--threshold", "type_conformity=0.1:10")).status).toBe(0);
});

it("migrate: the breaker stops a lossy version with TABLE_LOSS; --allow-table-loss serves it", async () => {
  const lossy = sqliteFile(
    tmp.dir,
    "lossy",
    "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 1), (2, 'two'), (3, 'three');",
  );
  const stopped = await migrate(lossy, "cg_loss", "--mode", "simple");
  expect(stopped.status).toBe(1);
  expect(stopped.stderr).toMatch(
    /servicedesk-migrate: failed \[TABLE_LOSS\]: table "t" of cg_loss_v\d{8}_\d{6} kept 1 of the export's 3 rows/,
  );
  const served = await migrate(lossy, "cg_loss", "--mode", "simple", "--allow-table-loss");
  expect(served.status).toBe(0);
});

it.each([
  [
    ["--threshold", "type_conformity"],
    '[INVALID_OPTION]: --threshold: expected check=warn:fail in percent (e.g. type_conformity=0.1:10), got "type_conformity"',
  ],
  [["--threshold", "nonsense=1:2"], '[INVALID_OPTION]: --threshold: unknown check "nonsense"'],
  [["--accept", "ticket.time"], "[INVALID_OPTION]: --accept: expected table.column:check<=count"],
  [
    ["--date-range", "2200-1900"],
    '[INVALID_OPTION]: --date-range: expected two years from-to, from before to (e.g. 1900-2200), got "2200-1900"',
  ],
])("refuses %j naming the flag", async (flags, message) => {
  const run = await migrate(tracker(), "cg_invalid", ...flags);
  expect(run.status).toBe(1);
  expect(run.stderr).toContain(message);
});
