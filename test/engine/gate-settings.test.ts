/**
 * A gate an operator can reason with, and the circuit breaker that guards
 * readers in every mode. The export is a ticket tracker's: its INTEGER
 * `time` column holds microseconds, and one text date among eleven rows.
 *   - complete mode blocks, and the message lists every way forward;
 *   - the finding accepted as it stands no longer blocks; grown past what
 *     was accepted, or beside a new one, it blocks again;
 *   - a check's levels are settings, validated, with their defaults kept;
 *   - no mode serves a version in which a table lost over half its rows to
 *     rejects (or all of them): the version stays for inspection, the run
 *     fails with TABLE_LOSS naming the table, unless allowTableLoss.
 */
import * as path from "node:path";
import { GateBlockedError, MigrateOptions, MigrationError } from "../../engine";
import { Finding } from "../../engine/quality";
import { acceptanceText, CHECKS, HEALTH_CHECKS, parseAcceptances, parseThreshold } from "../../engine/quality/settings";
import { queryRows, useTestDatabase } from "../support/database";
import { migrateInto, pgCount, schemasOf, sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("gate_settings");
const tmp = useTempDir("gate_settings");

/**
 * Eleven tickets whose time is Unix microseconds, `texts` of them a text
 * date instead, beside 2,000 wiki pages: a finding of one value among
 * eleven, in an export whose score stays high (99).
 */
function tracker(name: string, texts: number, extra = ""): string {
  const rows = Array.from({ length: 11 }, (_, i) =>
    i < texts ? `(${i + 1}, '2019-03-0${i + 1} 10:00:00', 'new')` : `(${i + 1}, ${1551434400000000 + i * 1000000}, 'new')`,
  );
  return sqliteFile(
    tmp.dir,
    name,
    `CREATE TABLE ticket (id INTEGER PRIMARY KEY, time INTEGER, status TEXT); INSERT INTO ticket VALUES ${rows.join(", ")};
     CREATE TABLE wiki (id INTEGER PRIMARY KEY, text TEXT);
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO wiki SELECT i, 'page ' || i FROM n;
     ${extra}`,
  );
}

const run = migrateInto(database, tmp);

async function failureOf(promise: Promise<unknown>): Promise<MigrationError> {
  try {
    await promise;
  } catch (error) {
    return error as MigrationError;
  }
  throw new Error("the run did not fail");
}

const FINDING = '1 of 11 values of "ticket"."time" (bigint): not an integer';

describe("a blocked gate and its ways forward", () => {
  it("blocks the tracker's export in complete mode, listing each way forward", async () => {
    const error = await failureOf(run(tracker("one-text", 1), "gs_blocked"));
    expect(error).toBeInstanceOf(GateBlockedError);
    expect(error.message).toBe(
      `quality gate blocked the migration of ${path.join(tmp.dir, "one-text.sqlite")}: type_conformity failed: ${FINDING}. Ways forward: ` +
        `(1) ${FINDING}: state the column's type: --type 'ticket.time=text' (typeOverrides {"ticket":{"time":"text"}}), or a type its values hold; ` +
        `or raise type_conformity's fail level: --threshold type_conformity=:10 (thresholds {"type_conformity":{"fail":10}}); ` +
        `or accept this finding as it stands: --accept 'ticket.time:type_conformity<=1' (acceptFindings ["ticket.time:type_conformity<=1"])`,
    );
    expect(await schemasOf(database.url, "gs_blocked")).toEqual([]);
  });

  it("loads once the finding is accepted as it stands, and shows it as accepted", async () => {
    const report = await run(tracker("accepted", 1), "gs_accepted", { acceptFindings: ["ticket.time:type_conformity<=1"] });
    expect(report.outcome).toBe("loaded");
    expect(report.quality!.findings.find((f) => f.check === "type_conformity")).toMatchObject({
      severity: "fail",
      accepted: "ticket.time:type_conformity<=1",
      count: 1,
    });
    expect(await pgCount(database.url, "gs_accepted", "ticket")).toBe(10);
  });

  it("blocks again when the accepted finding grows, or a new one comes", async () => {
    const grown = await failureOf(run(tracker("grown", 2), "gs_grown", { acceptFindings: ["ticket.time:type_conformity<=1"] }));
    expect(grown.message).toContain('type_conformity failed: 2 of 11 values of "ticket"."time" (bigint): not an integer');
    const other = tracker(
      "other",
      1,
      "CREATE TABLE tag (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO tag VALUES (1, 1), (2, 2), (3, 'x'), (4, 4), (5, 5), (6, 6);",
    );
    const fresh = await failureOf(run(other, "gs_other", { acceptFindings: ["ticket.time:type_conformity<=1"] }));
    expect(fresh.message).toContain('type_conformity failed: 1 of 6 values of "tag"."n" (bigint): not an integer');
    expect(fresh.message).not.toContain('"ticket"."time"');
  });

  it("takes a check's levels as a setting, and keeps the defaults of those not set", async () => {
    const report = await run(tracker("levels", 1), "gs_levels", { thresholds: { type_conformity: { fail: 10 } } });
    expect(report.quality!.findings.find((f) => f.check === "type_conformity")).toMatchObject({ severity: "warn" });
    expect(report.quality!.blocked).toBe(false);
  });

  it.each([
    [{ thresholds: { type_confirmity: { fail: 10 } } }, 'thresholds: unknown check "type_confirmity"'],
    [{ thresholds: { type_conformity: { warn: 20, fail: 10 } } }, "thresholds.type_conformity: warn (20) must not be above fail (10)"],
    [{ thresholds: { type_conformity: { fail: 120 } } }, "thresholds.type_conformity.fail: must be a percentage from 0 to 100, got 120"],
    [{ acceptFindings: ["ticket.time:type_conformity"] }, "acceptFindings: expected table.column:check<=count"],
    [
      { acceptFindings: ["disk_space<=1"] },
      'acceptFindings: "disk_space<=1": disk_space is a check of the machine, not of the export, and cannot be accepted',
    ],
  ])("refuses an invalid setting before anything runs: %j", async (options, message) => {
    const error = await failureOf(run(tracker("invalid", 1), "gs_invalid", options as Partial<MigrateOptions>));
    expect(error.code).toBe("INVALID_OPTION");
    expect(error.message).toContain(message);
  });
});

describe("every check by its name", () => {
  it.each(CHECKS.filter((check) => !HEALTH_CHECKS.has(check)))(
    "%s can be accepted and given levels as the ways forward spell it",
    (check) => {
      const finding = { check, table: "tickets", column: "body", count: 3 } as Finding;
      expect(parseAcceptances([acceptanceText(finding), `${check}<=0`])).toEqual([
        { key: `tickets.body:${check}`, check, max: 3 },
        { key: check, check, max: 0 },
      ]);
      expect(parseThreshold(`${check}=0.5:7`)).toEqual({ [check]: { warn: 0.5, fail: 7 } });
    },
  );
});

describe("the circuit breaker guards readers in every mode", () => {
  /** A table of four rows, three of whose values are words in an INTEGER column: rejected. */
  const lossy = () =>
    sqliteFile(
      tmp.dir,
      "lossy",
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 1), (2, 'two'), (3, 'three'), (4, 'four');",
    );
  const clean = () =>
    sqliteFile(tmp.dir, "clean", "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 1), (2, 2);");

  it.each(["simple", "blue-green", "complete"] as const)(
    "%s: keeps the version, serves the previous one, fails naming the table",
    async (mode) => {
      const prefix = `gs_loss_${mode.replace("-", "")}`;
      const before = await run(clean(), prefix, { mode: "simple" });
      // Complete mode's gate stops a column failing this much first: accepted (and the score let pass) to reach the breaker behind it.
      const accept = mode === "complete" ? { acceptFindings: ["t.n:type_conformity<=3"], minQuality: 0 } : {};
      const error = await failureOf(run(lossy(), prefix, { mode, ...accept }));
      expect(error.code).toBe("TABLE_LOSS");
      expect(error.table).toBe("t");
      const kept = (await schemasOf(database.url, prefix)).filter((s) => s.startsWith(`${prefix}_v`) && s !== before.schema);
      expect(kept).toHaveLength(1);
      expect(error.message).toBe(
        `table "t" of ${kept[0]} kept 1 of the export's 4 rows (3 rejected: see ${kept[0]}._rejects); the stable schema was not switched to it, ` +
          `and ${kept[0]} is kept for inspection. Ways forward: state the type of the column whose values were rejected (--type, typeOverrides); ` +
          "keep the rows with their bad values set to NULL (--on-bad-value null, badValuePolicy null); or serve it as it is (--allow-table-loss, allowTableLoss true)",
      );
      const [stable] = await queryRows<{ active: string }>(
        database.url,
        "SELECT obj_description($1::regnamespace, 'pg_namespace')::jsonb->>'active' AS active",
        [prefix],
      );
      expect(stable.active).toBe(before.schema);
      expect(await pgCount(database.url, prefix, "t")).toBe(2);

      const served = await run(lossy(), prefix, { mode, ...accept, allowTableLoss: true, cutover: "auto" });
      expect(served.cutOver).toBe(true);
      expect(await pgCount(database.url, prefix, "t")).toBe(1);
    },
  );

  it("trips on a table that loads no row of a non-empty one", async () => {
    const file = sqliteFile(
      tmp.dir,
      "emptied",
      "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 'one'), (2, 'two');",
    );
    const error = await failureOf(run(file, "gs_emptied", { mode: "simple" }));
    expect(error.code).toBe("TABLE_LOSS");
    expect(error.message).toMatch(/^table "t" of gs_emptied_v\d{8}_\d{6} kept 0 of the export's 2 rows/);
  });
});
