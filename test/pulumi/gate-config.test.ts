/**
 * The gate's settings, a stated reading of numbers and the circuit breaker
 * as stack config, through `pulumi preview` and `pulumi up` of the real CLI:
 *   - complete mode (the default): a ticket tracker's export fails the
 *     preview, whose message lists the ways forward; acceptFindings lets the
 *     preview and the up through, the preview showing the finding as
 *     accepted; a typeOverrides reading shows in the preview's schema plan;
 *   - simple mode: an export losing most of a table's rows fails the up
 *     with TABLE_LOSS and the stable schema stays; allowTableLoss serves it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { queryRows, useTestDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { writeSqlite } from "../support/sqlite";

const database = useTestDatabase("gate_config");
let sandbox: PulumiSandbox;
let project: ScratchProject;
let dir: string;

beforeAll(async () => {
  sandbox = await createPulumiSandbox();
  project = scratchProject();
  dir = mkdtempSync(path.join(tmpdir(), "sdm-gate-config-"));
});

afterAll(() => {
  sandbox?.cleanup();
  project?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function stackFor(name: string, file: string, prefix: string, mode: string): Promise<Stack> {
  const stack = await stackOf(sandbox, project.dir, name);
  await stack.setAllConfig({
    source: { value: file },
    connection: { value: database.url, secret: true },
    schemaPrefix: { value: prefix },
    mode: { value: mode },
    backupDirectory: { value: path.join(dir, `${name}-backups`) },
  });
  return stack;
}

const diagnostics = (events: EngineEvent[]) => events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent.message.trim()] : []));

test("complete mode: the preview names the ways forward; an accepted finding passes, shown as accepted; a stated reading shows", async () => {
  const file = writeSqlite(
    path.join(dir, "tracker.sqlite"),
    `CREATE TABLE ticket (id INTEGER PRIMARY KEY, time INTEGER, changed INTEGER);
     INSERT INTO ticket VALUES (1, '2019-03-01 10:00:00', 1551434400000),
       ${Array.from({ length: 10 }, (_, i) => `(${i + 2}, ${1551434400000000 + i}, ${1551434400000 + i})`).join(", ")};
     CREATE TABLE wiki (id INTEGER PRIMARY KEY, text TEXT);
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO wiki SELECT i, 'page ' || i FROM n;`,
  );
  const stack = await stackFor("tracker", file, "gc_tracker", "complete");
  await stack.setConfig("typeOverrides.ticket.changed", { value: "timestamptz:unix-ms" }, true);
  const blocked = await stack.preview().then(
    () => "",
    (error: Error) => error.message,
  );
  expect(blocked).toContain('type_conformity failed: 1 of 11 values of "ticket"."time" (bigint): not an integer. Ways forward:');
  expect(blocked).toContain("accept this finding as it stands: --accept 'ticket.time:type_conformity<=1'");

  await stack.setConfig("acceptFindings[0]", { value: "ticket.time:type_conformity<=1" }, true);
  const events: EngineEvent[] = [];
  const preview = await stack.preview({ diff: true, onEvent: (e) => events.push(e) });
  expect(diagnostics(events)).toContain(
    'servicedesk-migration [gate]: accepted (ticket.time:type_conformity<=1) type_conformity: 1 of 11 values of "ticket"."time" (bigint): not an integer',
  );
  expect(preview.stdout).toMatch(/changed\s*:\s*"timestamp with time zone \(numbers read as epoch milliseconds\)"/);
  const up = await stack.up();
  expect(up.summary.result).toBe("succeeded");
  const [row] = await queryRows<{ changed: string }>(database.url, "SELECT changed::text AS changed FROM gc_tracker.ticket WHERE id = 2");
  expect(row.changed).toBe("2019-03-01 10:00:00+00");
  await stack.destroy();
  await stack.workspace.removeStack(stack.name);
});

test("simple mode: a lossy export fails the up with TABLE_LOSS and the stable schema stays; allowTableLoss serves it", async () => {
  const clean = writeSqlite(
    path.join(dir, "clean.sqlite"),
    "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 1), (2, 2);",
  );
  const lossy = writeSqlite(
    path.join(dir, "lossy.sqlite"),
    "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO t VALUES (1, 1), (2, 'two'), (3, 'three');",
  );
  const stack = await stackFor("lossy", clean, "gc_lossy", "simple");
  expect((await stack.up()).summary.result).toBe("succeeded");
  const active = (await stack.outputs()).schemaName.value as string;
  await stack.setConfig("source", { value: lossy });
  const failed = await stack.up().then(
    () => "",
    (error: Error) => error.message,
  );
  expect(failed).toMatch(/\[TABLE_LOSS\]|table "t" of gc_lossy_v\d{8}_\d{6} kept 1 of the export's 3 rows/);
  const [stable] = await queryRows<{ active: string }>(
    database.url,
    "SELECT obj_description('gc_lossy'::regnamespace, 'pg_namespace')::jsonb->>'active' AS active",
  );
  expect(stable.active).toBe(active);

  await stack.setConfig("allowTableLoss", { value: "true" });
  expect((await stack.up()).summary.result).toBe("succeeded");
  const [served] = await queryRows<{ n: string }>(database.url, "SELECT count(*) AS n FROM gc_lossy.t");
  expect(served.n).toBe("1");
  await stack.destroy();
  await stack.workspace.removeStack(stack.name);
});
