/**
 * Every command the README, the runbook and the pipeline guide show is run
 * here, as written, in a scratch copy of the project (`npm test` itself is
 * what .ci/run runs). A command that rots fails this test.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { scratchClone, ScratchClone } from "../support/clone";
import { dropTestDatabase, queryRows, useTestDatabase, withDatabase } from "../support/database";
import { PROJECT_ROOT, pulumiBinDir } from "../support/pulumi";

/**
 * Lines run elsewhere: this suite is `npm test`; carrying the CLI to another
 * machine would replace the cache every test shares, so
 * test/toolchain/build-pulumi-cli.test.ts runs those two in a cache of its own.
 */
const RUN_ELSEWHERE = new Set([
  "npm test       # the test suite, on the real PostgreSQL and the real Pulumi CLI",
  "bash scripts/build-pulumi-cli.sh --export /tmp/pulumi-cli.tar.gz   # where it is built",
  "bash scripts/build-pulumi-cli.sh --from /tmp/pulumi-cli.tar.gz     # on the new machine (or a folder)",
]);

/** The ```sh blocks of a Markdown file, in order. */
export function shellBlocks(file: string): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), "utf8");
  return [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

function runScript(clone: ScratchClone, script: string, env: Record<string, string>): string {
  const result = spawnSync("bash", ["-euo", "pipefail", "-c", script], {
    cwd: clone.dir,
    env: { ...process.env, PULUMI_BIN_DIR: pulumiBinDir(), ...env },
    encoding: "utf8",
    timeout: 900_000,
  });
  if (result.status !== 0)
    throw new Error(
      `documented commands failed (exit ${result.status}):\n${script}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  return result.stdout;
}

function scriptOf(file: string): string {
  return shellBlocks(file)
    .join("\n")
    .split("\n")
    .filter((line) => !RUN_ELSEWHERE.has(line))
    .join("\n");
}

describe("documented commands", () => {
  const database = useTestDatabase("docs");
  let clone: ScratchClone;
  let role: string;

  beforeAll(() => {
    clone = scratchClone();
    role = `sdm_docs_${Math.random().toString(36).slice(2, 8)}`;
  });

  afterAll(async () => {
    clone?.cleanup();
    await dropTestDatabase(database.db);
    await queryRows(database.db.serverUrl, `DROP ROLE IF EXISTS ${role}`);
  });

  test("every shell block has at least one command", () => {
    for (const file of ["README.md", "docs/RUNBOOK.md", "docs/pipeline/README.md"]) {
      const blocks = shellBlocks(file);
      expect(blocks.length).toBeGreaterThan(0);
      for (const block of blocks) expect(block.trim()).not.toBe("");
    }
  });

  test("the README's configuration reference lists every key Pulumi.yaml declares", () => {
    const yaml = readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8");
    const keys = [...yaml.slice(yaml.indexOf("\nconfig:")).matchAll(/^ {2}(\w+):$/gm)].map((m) => m[1]);
    expect(keys.length).toBeGreaterThan(15);
    const readme = readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    for (const key of keys) expect(readme).toContain(`| \`${key}\` |`);
  });

  test("the README's commands: the demo, the CLI, the toolchain", () => {
    const url = withDatabase(database.url, database.db.name);
    const out = runScript(clone, scriptOf("README.md"), { DATABASE_URL: url });
    expect(out).toContain("Summary of the dev stack:");
    expect(out).toMatch(/^v3\.\d+\.\d+$/m);
    const report = JSON.parse(readFileSync(path.join(clone.dir, "report.json"), "utf8"));
    expect(report.outcome).toBe("loaded");
    expect(report.schema).toMatch(/^sandbox_v\d{8}_\d{6}$/);
    const again = JSON.parse(readFileSync(path.join(clone.dir, "again.json"), "utf8"));
    expect(again.previousSchema).toBe(report.schema);
    const events = readFileSync(path.join(clone.dir, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.pop()).toMatchObject({ event: "finish", outcome: "loaded", schema: again.schema, reportFiles: again.reportFiles });
  });

  test("the pipeline guide's commands", () => {
    const url = withDatabase(database.url, database.db.name);
    const out = runScript(clone, scriptOf("docs/pipeline/README.md"), { DATABASE_URL: url, SERVICEDESK_DATABASE_URL: url });
    expect(out).toMatch(/Resources:\s+3 unchanged/);
  });

  test("the runbook, top to bottom, on a stack with a previous version and a backup", async () => {
    const url = withDatabase(database.url, database.db.name);
    await queryRows(url, `CREATE ROLE ${role} LOGIN PASSWORD 'first-password'`);
    await queryRows(url, `GRANT CREATE, CONNECT ON DATABASE ${database.db.name} TO ${role}`);
    const server = new URL(url);
    const roleUrl = new URL(url);
    roleUrl.username = role;
    roleUrl.password = "first-password";
    const env = {
      STACK: "runbook",
      PREFIX: "rbk",
      DATABASE_URL: url,
      PULUMI_CONFIG_PASSPHRASE: "runbook-passphrase",
      SOURCE: path.join(clone.dir, ".data/runbook-b.sqlite"),
      MIGRATION_ROLE: role,
      PGHOST: server.hostname,
      PGPORT: server.port || "5432",
      PGDATABASE: database.db.name,
    };
    const setup = [
      "npx servicedesk-migrate generate --tickets 1200 --seed 21 --out .data/runbook-a.sqlite --quiet",
      "npx servicedesk-migrate generate --tickets 1300 --seed 22 --out .data/runbook-b.sqlite --quiet",
      'npm run --silent pulumi -- stack init "$STACK" --non-interactive',
      'npm run --silent pulumi -- config set source .data/runbook-a.sqlite --stack "$STACK"',
      `npm run --silent pulumi -- config set --secret connection '${roleUrl.toString()}' --stack "$STACK"`,
      'npm run --silent pulumi -- config set schemaPrefix "$PREFIX" --stack "$STACK"',
      'npm run --silent pulumi -- up --yes --stack "$STACK" > /dev/null',
      'npm run --silent pulumi -- config set source .data/runbook-b.sqlite --stack "$STACK"',
      'npm run --silent pulumi -- up --yes --stack "$STACK" > /dev/null',
    ].join("\n");
    runScript(clone, setup, env);
    const out = runScript(clone, scriptOf("docs/RUNBOOK.md"), env);
    expect(out).toMatch(/^\* rbk_v\d{8}_\d{6} {2}ready/m);
    expect(out).toMatch(/rbk now points at rbk_v\d{8}_\d{6}/);
    expect(out).toContain("# Migration report: rbk_v");
    const state = JSON.parse(
      execFileSync("bash", ["-c", 'npm run --silent pulumi -- stack output --json --stack "$STACK"'], {
        cwd: clone.dir,
        env: { ...process.env, PULUMI_BIN_DIR: pulumiBinDir(), ...env },
        encoding: "utf8",
      }),
    );
    expect(state.rowCounts.tickets).toBe(1300);
    const [{ n }] = await queryRows<{ n: string }>(url, "SELECT count(*) AS n FROM rbk.tickets");
    expect(Number(n)).toBe(1300);
    await queryRows(url, "DROP SCHEMA IF EXISTS rbk, rbk_control CASCADE");
    await queryRows(url, "SELECT 1");
  });
});
