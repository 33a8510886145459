/**
 * `npm run demo` as a newcomer runs it, in a scratch copy of the project:
 * with DATABASE_URL pointing nowhere (the embedded PostgreSQL path) and
 * with it pointing at the local server; twice in a row (the second run
 * changes nothing), then --destroy; and the commands its closing lines
 * suggest (preview a changed export, load it, roll back) run as printed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { Client } from "pg";
import { scratchClone, ScratchClone } from "../support/clone";
import { queryRows, useTestDatabase, withDatabase } from "../support/database";
import { PROJECT_ROOT, pulumiBinDir } from "../support/pulumi";
import { freePort } from "../support/ports";

const TICKETS = "1500";

function demo(clone: ScratchClone, env: Record<string, string>, ...args: string[]) {
  const result = spawnSync("npm", ["run", "--silent", "demo", "--", "--tickets", TICKETS, ...args], {
    cwd: clone.dir,
    env: { ...process.env, PULUMI_BIN_DIR: pulumiBinDir(), ...env },
    encoding: "utf8",
    timeout: 600_000,
  });
  if (result.status !== 0) throw new Error(`demo failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The rows the summary lists per table. */
function summaryRows(stdout: string): Record<string, number> {
  return Object.fromEntries([...stdout.matchAll(/^ {2}(tickets|comments|timesheets)\s+(\d+) rows/gm)].map((m) => [m[1], Number(m[2])]));
}

async function servicedeskSchemas(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'servicedesk%' ORDER BY 1",
    );
    return rows.map((r) => r.nspname);
  } finally {
    await client.end();
  }
}

describe("npm run demo", () => {
  const database = useTestDatabase("demo");

  test("with DATABASE_URL unreachable it runs on an embedded PostgreSQL, twice, then destroys", async () => {
    const clone = scratchClone();
    const port = await freePort();
    const env = { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/nowhere", DEMO_EMBEDDED_PORT: String(port) };
    const embeddedQuery = <T>(sql: string): T[] =>
      JSON.parse(
        execFileSync(
          "node",
          [
            path.join(PROJECT_ROOT, "test/fixtures/embedded-query.mjs"),
            path.join(clone.dir, ".data/embedded-postgres"),
            String(port),
            "servicedesk_dev",
            sql,
          ],
          { cwd: PROJECT_ROOT, encoding: "utf8" },
        ),
      );
    const schemasNow = () =>
      embeddedQuery<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'servicedesk%' ORDER BY 1").map(
        (r) => r.nspname,
      );
    try {
      const first = demo(clone, env);
      expect(first.stderr).toContain("does not answer: starting an embedded PostgreSQL 15");
      expect(first.stdout).toMatch(/versioned schema {2}servicedesk_v\d{8}_\d{6} \(loaded\); stable schema servicedesk points at it/);
      expect(first.stdout).toMatch(/quality score {5}\d+ \(minQuality 80\)/);
      expect(first.stdout).toMatch(/cutover {11}psql "\$DATABASE_URL" -v ON_ERROR_STOP=1 -c/);
      const rows = summaryRows(first.stdout);
      expect(rows.tickets).toBeGreaterThan(1400);

      // The demo stopped its server: start it again to look at what it left.
      const schemas = schemasNow();
      expect(schemas).toEqual(expect.arrayContaining(["servicedesk", "servicedesk_control"]));
      const [{ n }] = embeddedQuery<{ n: string }>("SELECT count(*) AS n FROM servicedesk.tickets");
      expect(Number(n)).toBe(rows.tickets);

      const second = demo(clone, env);
      expect(second.stdout).toMatch(/3 unchanged/);
      expect(summaryRows(second.stdout)).toEqual(rows);

      demo(clone, env, "--destroy");
      expect(schemasNow()).toEqual([]);
    } finally {
      clone.cleanup();
    }
  });

  test("with DATABASE_URL reachable it migrates there", async () => {
    const clone = scratchClone();
    const url = withDatabase(database.url, database.db.name);
    try {
      const run = demo(clone, { DATABASE_URL: url });
      expect(run.stderr).toContain("using DATABASE_URL");
      const rows = summaryRows(run.stdout);
      const schemas = await servicedeskSchemas(url);
      const version = schemas.find((s) => /^servicedesk_v/.test(s))!;
      for (const [table, expected] of Object.entries(rows)) {
        const [{ n }] = await queryRows<{ n: string }>(url, `SELECT count(*) AS n FROM servicedesk."${table}"`);
        expect(Number(n)).toBe(expected);
      }
      expect(version).toMatch(/^servicedesk_v\d{8}_\d{6}$/);

      // The closing lines name commands that work as printed.
      expect(run.stdout).toContain("What next:");
      expect(run.stdout).toMatch(/preview a changed export .*npm run demo -- --tickets 2500 --preview$/m);
      expect(run.stdout).toMatch(/after a second load, the summary prints the rollback command$/m);
      const preview = demo(clone, { DATABASE_URL: url }, "--tickets", "2500", "--preview");
      expect(preview.stdout).toMatch(/\d+ to (replace|update)/);
      expect(preview.stderr).toContain("previewed only: nothing was written");
      expect(await servicedeskSchemas(url)).toEqual(schemas);

      const second = demo(clone, { DATABASE_URL: url }, "--tickets", "2500");
      expect(summaryRows(second.stdout).tickets).toBeGreaterThan(rows.tickets);
      const rollback = second.stdout.match(/^ {2}roll back to the previous version\s+(psql .*)$/m);
      expect(rollback).not.toBeNull();
      const stableTarget = async () => {
        const [{ def }] = await queryRows<{ def: string }>(url, "SELECT pg_get_viewdef('servicedesk.tickets') AS def");
        return def.match(/servicedesk_v\d{8}_\d{6}/)![0];
      };
      expect(await stableTarget()).not.toBe(version);
      execFileSync("bash", ["-c", rollback![1]], { env: { ...process.env, DATABASE_URL: url }, stdio: "pipe" });
      expect(await stableTarget()).toBe(version);
      demo(clone, { DATABASE_URL: url }, "--destroy");
      expect(await servicedeskSchemas(url)).toEqual([]);
    } finally {
      clone.cleanup();
    }
  });
});
