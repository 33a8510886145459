/**
 * Corpus databases through `pulumi preview` and `pulumi up` of the real
 * CLI, in the resource's default (complete) mode: Chinook, and the
 * database whose odd values sit outside the type sample. The preview's
 * schema plan already shows the columns the full read widened; the up
 * loads every value exactly (the independent oracle checks each), and the
 * export's files are left as they were. An export with a view over
 * pg_authid: the preview names the refused view, the up leaves it out.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { CORPUS, exportDigests } from "../support/corpus";
import { queryRows, useTestDatabase } from "../support/database";
import { compareValueByValue } from "../support/oracle";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { ADVERSARIAL_CASES } from "../security/adversarial-exports";

const database = useTestDatabase("corpus_pulumi");
let sandbox: PulumiSandbox;
let project: ScratchProject;
let dir: string;

beforeAll(async () => {
  sandbox = await createPulumiSandbox();
  project = scratchProject();
  dir = mkdtempSync(path.join(tmpdir(), "sdm-corpus-pulumi-"));
});

afterAll(() => {
  sandbox?.cleanup();
  project?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function stackFor(name: string, file: string, prefix: string): Promise<Stack> {
  const stack = await stackOf(sandbox, project.dir, name);
  await stack.setAllConfig({
    source: { value: file },
    connection: { value: database.url, secret: true },
    schemaPrefix: { value: prefix },
    backupDirectory: { value: path.join(dir, `${name}-backups`) },
  });
  return stack;
}

const outputsOf = async (stack: Stack) => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));

test.each([
  {
    name: "chinook",
    prefix: "pc_chinook",
    rows: { Invoice: 412, InvoiceLine: 2240, Track: 3503 },
    preview: /InvoiceDate\s*:\s*"timestamp without time zone"/,
  },
  {
    name: "values past the sample",
    prefix: "pc_values",
    rows: { events: 29998 },
    // The plan from the sample says timestamp without time zone; the gate's full read widened it, and the preview says so.
    preview: /happened_at\s*:\s*"timestamp with time zone"/,
  },
])(
  "$name: preview shows the measured plan, up loads every value exactly, the export is untouched",
  async ({ name, prefix, rows, preview }) => {
    const entry = CORPUS.find((db) => db.name === name)!;
    const file = entry.build(mkdtempSync(path.join(dir, "export-")));
    const before = exportDigests(file);
    const stack = await stackFor(name.replace(/\W+/g, "-"), file, prefix);
    const shown = await stack.preview({ diff: true });
    expect(shown.stdout).toMatch(preview);
    expect(await queryRows(database.url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", [`${prefix}%`])).toEqual([]);

    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    const outputs = await outputsOf(stack);
    expect(outputs.rowCounts).toMatchObject(rows);
    expect(outputs.canary).toMatchObject({ sampleRate: 0.1 });
    const schema = outputs.schemaName as string;
    expect(schema).toMatch(new RegExp(`^${prefix}_v\\d{8}_\\d{6}$`));
    const [stable] = await queryRows<{ n: string }>(database.url, `SELECT count(*) AS n FROM "${prefix}"."${Object.keys(rows)[0]}"`);
    expect(Number(stable.n)).toBe(Object.values(rows)[0]);
    const oracle = await compareValueByValue({ sqlitePath: file, databaseUrl: database.url, schema });
    expect(oracle.differences).toEqual([]);
    expect(exportDigests(file)).toEqual(before);

    await stack.destroy();
    await stack.workspace.removeStack(stack.name);
  },
);

test("an export with a view over pg_authid: preview names the refusal, up serves the other views and not that one", async () => {
  const catalog = ADVERSARIAL_CASES.find((c) => c.name.startsWith("views over the catalogs"))!;
  const file = path.join(mkdtempSync(path.join(dir, "export-")), "catalog.sqlite");
  catalog.build(file, { prefix: "pc_catalog", otherVersion: "", privateSchema: "" });
  const stack = await stackFor("catalog", file, "pc_catalog");
  const events: EngineEvent[] = [];
  await stack.preview({ onEvent: (e) => events.push(e) });
  expect(events.flatMap((e) => (e.diagnosticEvent ? [e.diagnosticEvent.message.trim()] : []))).toContain(
    'servicedesk-migration [gate]: warn view_refused: view "v_catalog" is not recreated: it reads "pg_authid", which is not a table or view of the export',
  );

  const up = await stack.up();
  expect(up.summary.result).toBe("succeeded");
  const views = await queryRows<{ relname: string }>(
    database.url,
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'pc_catalog' AND c.relname NOT IN ('tickets', '_rejects') ORDER BY 1`,
  );
  expect(views.map((v) => v.relname)).toEqual(["open_tickets"]);
  const quality = (await outputsOf(stack)).quality as { findings: { check: string; message: string }[] };
  expect(
    quality.findings
      .filter((f) => f.check === "view_refused")
      .map((f) => /^view "([^"]+)"/.exec(f.message)?.[1])
      .sort(),
  ).toEqual(["v_catalog", "v_main", "v_shadow", "v_statistic", "v_stats"]);
  await stack.destroy();
  await stack.workspace.removeStack(stack.name);
});
