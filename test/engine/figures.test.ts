/**
 * Figures as a run hands them out: the report of real runs (complete mode,
 * the second with a backup) and the stack outputs the provider's create
 * makes of them hold no number with more than 3 decimals, however long
 * the timings' fractions were. The gate decides on the unrounded rates: a
 * rate just above the fail level fails though its reported figure is not
 * above it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { GateBlockedError, migrate, MigrationReport } from "../../engine";
import { generateServicedeskDatabase } from "../../engine/generate";
import { create } from "../../dynamic-providers/operations";
import { withDefaults } from "../../dynamic-providers/inputs";
import { useTestDatabase } from "../support/database";
import { sqliteFile, useTempDir } from "./engine-fixtures";

const database = useTestDatabase("figures");
const tmp = useTempDir("figures");

/** Every number in `value`, with the path it sits at. */
function numbersIn(value: unknown, at = "$"): { at: string; value: number }[] {
  if (typeof value === "number") return [{ at, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${at}[${i}]`));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${at}.${k}`));
  return [];
}

/** Numbers printed with more than 3 decimals (or in exponent form, as 1.3e-05 is). */
const overPrecise = (value: unknown) => numbersIn(value).filter((n) => /\.\d{4,}|e-/.test(String(n.value)));

it("the report and the stack outputs of real runs carry no figure with more than 3 decimals", async () => {
  const backups = path.join(tmp.dir, "backups");
  const first = generateServicedeskDatabase({ tickets: 2000, seed: 5, defectRate: 0.004, out: path.join(tmp.dir, "first.sqlite") });
  const second = generateServicedeskDatabase({ tickets: 2200, seed: 6, defectRate: 0.004, out: path.join(tmp.dir, "second.sqlite") });
  const inputs = (source: string) =>
    withDefaults({
      source,
      connection: database.url,
      schemaPrefix: "figures",
      mode: "complete",
      minQuality: 0,
      backupDirectory: backups,
      owner: "test:figures",
    });
  await create(inputs(first.path));
  const { outs } = await create(inputs(second.path));
  const report = JSON.parse(readFileSync(outs.reportFile, "utf8")) as MigrationReport;

  // The second run backed up the first's version, ran the canary, and found the defects: every kind of figure is there.
  expect(report.backup).not.toBeNull();
  expect(report.canary!.queries.length).toBeGreaterThan(0);
  const rates = report.quality!.findings.filter((f) => f.ratePercent > 0 && !Number.isInteger(f.ratePercent));
  expect(rates.length).toBeGreaterThan(0);
  expect(numbersIn(report.timings).filter((n) => !Number.isInteger(n.value)).length).toBeGreaterThan(0);

  expect(overPrecise(report)).toEqual([]);
  expect(overPrecise(outs)).toEqual([]);
  for (const f of rates) expect(Number(f.ratePercent.toPrecision(3))).toBe(f.ratePercent);
  expect(outs.timings).toEqual(report.timings);
}, 180_000);

describe("the gate decides on unrounded rates", () => {
  // 1 of 3 values of n is not an integer: 33.333...%, reported as 33.3.
  const source = () =>
    sqliteFile(
      tmp.dir,
      "third",
      `CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, label TEXT);
       INSERT INTO t VALUES (1, 10, 'a'), (2, 'N/A', 'b'), (3, 30, 'c');`,
    );
  const canary = (fail: number) =>
    migrate({
      sourcePath: source(),
      databaseUrl: database.url,
      schemaPrefix: "third",
      mode: "canary",
      sampleRate: 1,
      minQuality: 0,
      badValuePolicy: "null",
      thresholds: { type_conformity: { warn: 0.1, fail } },
      backupDirectory: path.join(tmp.dir, "backups"),
    });

  it("a rate of 33.333...% fails a fail level of 33.3333 though it is reported as 33.3", async () => {
    const error = await canary(33.3333).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GateBlockedError);
    const finding = (error as GateBlockedError).report.quality!.findings.find((f) => f.check === "type_conformity")!;
    expect(finding).toMatchObject({ column: "n", count: 1, total: 3, ratePercent: 33.3, severity: "fail" });
  });

  it("and passes a fail level of 33.334 with a warning", async () => {
    const report = await canary(33.334);
    expect(report.outcome).toBe("canary-passed");
    expect(report.quality!.findings.find((f) => f.check === "type_conformity")).toMatchObject({ ratePercent: 33.3, severity: "warn" });
  });
});
