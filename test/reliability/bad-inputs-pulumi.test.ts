/**
 * Bad inputs through the real Pulumi CLI: a missing export, a corrupted
 * export, wrong credentials and a schema prefix built to inject SQL. Each
 * fails `pulumi preview` (or, for credentials, which preview never uses,
 * `pulumi up`) with a message naming the stack property and the reason,
 * never the password; the database and the stack's outputs are exactly as
 * the first `up` left them, and the next `up` with good inputs is a no-op.
 */
import { copyFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Stack } from "@pulumi/pulumi/automation";
import { useTestDatabase, withDatabase } from "../support/database";
import { scratchProject, ScratchProject } from "../support/project";
import { createPulumiSandbox, PulumiSandbox, stackOf } from "../support/pulumi";
import { sourceFolder, SourceFolder } from "../support/sources";
import { Baseline, databaseFingerprint, expectBaselineIntact, overwriteMiddleOfPage, scratchDir } from "./support";

const PREFIX = "sdpulumibad";
const PASSWORD = `pw-${randomBytes(9).toString("hex")}`;

describe("bad inputs through pulumi preview and up", () => {
  const database = useTestDatabase("bad_inputs_pulumi");
  let sandbox: PulumiSandbox;
  let project: ScratchProject;
  let sources: SourceFolder;
  let scratch: ReturnType<typeof scratchDir>;
  let stack: Stack;
  let good: { path: string; rows: Record<string, number> };
  let baseline: Baseline;
  let outputsBefore: Record<string, unknown>;

  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));

  /** Runs `attempt` with `config` set, asserts it failed with `expected` and changed nothing, then puts the good config back. */
  async function expectFailure(
    config: Record<string, { value: string; secret?: boolean }>,
    attempt: () => Promise<unknown>,
    expected: RegExp[],
  ): Promise<string> {
    const before = await databaseFingerprint(database.url);
    await stack.setAllConfig(config);
    let message = "";
    try {
      await attempt();
    } catch (error) {
      message = (error as Error).message;
    } finally {
      await stack.setAllConfig(goodConfig());
    }
    expect(message).not.toBe("");
    for (const pattern of expected) expect(message).toMatch(pattern);
    expect(message).not.toContain(PASSWORD);
    expect(await databaseFingerprint(database.url)).toEqual(before);
    await expectBaselineIntact(baseline);
    expect(await outputs()).toEqual(outputsBefore);
    return message;
  }

  const goodConfig = () => ({
    source: { value: good.path },
    connection: { value: withDatabase(database.url, database.db.name), secret: true },
    schemaPrefix: { value: PREFIX },
    backupDirectory: { value: scratch.path("backups") },
  });

  beforeAll(async () => {
    sandbox = await createPulumiSandbox();
    project = scratchProject();
    sources = sourceFolder();
    scratch = scratchDir("bad-inputs-pulumi");
    good = sources.make("good.sqlite", { tickets: 300, seed: 1 });
    stack = await stackOf(sandbox, project.dir, "badinputs");
    await stack.setAllConfig(goodConfig());
    await stack.up();
    outputsBefore = await outputs();
    const schema = outputsBefore.schemaName as string;
    baseline = { url: database.url, prefix: PREFIX, schema, schemas: [PREFIX, `${PREFIX}_control`, schema].sort(), rows: good.rows };
    await expectBaselineIntact(baseline);
  });

  afterAll(async () => {
    await stack?.workspace.removeStack("badinputs", { force: true }).catch(() => undefined);
    sandbox?.cleanup();
    project?.cleanup();
    sources?.cleanup();
    scratch?.cleanup();
  });

  afterEach(async () => {
    // Good inputs again: nothing to do, nothing pending.
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 3 });
  });

  test("a missing export fails preview and up, naming the source property and the file", async () => {
    const missing = scratch.path("exports/missing.sqlite");
    const reason = literal(`property source value {${missing}} has a problem: source ${missing} does not exist`);
    await expectFailure({ source: { value: missing } }, () => stack.preview(), [reason]);
    await expectFailure({ source: { value: missing } }, () => stack.up(), [reason]);
  });

  test("a corrupted export fails preview and up, naming the source property and the corruption", async () => {
    const corrupted = scratch.path("corrupted.sqlite");
    copyFileSync(good.path, corrupted);
    overwriteMiddleOfPage(corrupted, "comments");
    const reason = literal(`property source value {${corrupted}} has a problem: source ${corrupted} is corrupt or truncated`);
    await expectFailure({ source: { value: corrupted } }, () => stack.preview(), [reason, /database disk image is malformed/]);
    await expectFailure({ source: { value: corrupted } }, () => stack.up(), [reason]);
  });

  test("wrong credentials fail up (preview never connects), naming the connection property and user@host:port/db, never the password", async () => {
    const url = new URL(withDatabase(database.url, database.db.name));
    url.username = "sdm_no_such_role";
    url.password = PASSWORD;
    const connection = { value: url.toString(), secret: true };
    const reason = literal(
      `property connection has a problem: cannot connect to sdm_no_such_role@127.0.0.1:5432/${database.db.name}: role "sdm_no_such_role" does not exist`,
    );
    // A new export: the replacement's create connects.
    await expectFailure({ source: { value: sources.make("other.sqlite", { tickets: 300, seed: 2 }).path }, connection }, () => stack.up(), [
      reason,
    ]);
    // The same export: a password rotation updates in place, and the update connects.
    await expectFailure({ connection }, () => stack.up(), [reason]);
  });

  test("a schema prefix built to inject SQL fails preview and up, naming schemaPrefix and the rule", async () => {
    const reason = literal(
      'property schemaPrefix value {x"; drop table y; --} has a problem: must match [a-z_][a-z0-9_]* and be at most 46 bytes',
    );
    await expectFailure({ schemaPrefix: { value: 'x"; drop table y; --' } }, () => stack.preview(), [reason]);
    await expectFailure({ schemaPrefix: { value: 'x"; drop table y; --' } }, () => stack.up(), [reason]);
  });
});

/** A pattern matching `text` literally. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}
