/**
 * A version is adopted only when this engine would store the same thing:
 * the plan's fingerprint carries the engine's storage revision, so a
 * version an older engine loaded (an older converter, an older cast table)
 * is reloaded, never adopted as if identical; and the gate's measure cache
 * is keyed by the same fingerprint.
 */
import * as path from "node:path";
import { Client } from "pg";
import { inspectSource, migrate } from "../../engine";
import { fingerprintOf } from "../../engine/plan/plan";
import { STORAGE_REVISION } from "../../engine/revision";
import { readVersionMetadata, writeVersionMetadata } from "../../engine/versions";
import { useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { useTempDir } from "./engine-fixtures";

const database = useTestDatabase("storage_revision");
const tmp = useTempDir("storage-revision");
let sources: SourceFolder;

beforeAll(() => {
  sources = sourceFolder();
});
afterAll(() => sources?.cleanup());

it("reloads a version an older engine loaded, and adopts one this engine loaded", async () => {
  const source = sources.make("a.sqlite", { tickets: 200, seed: 1 }).path;
  const run = () =>
    migrate({
      sourcePath: source,
      databaseUrl: database.url,
      schemaPrefix: "rev",
      mode: "simple",
      backupDirectory: path.join(tmp.dir, "b"),
    });
  const first = await run();
  expect((await run()).outcome).toBe("adopted");

  // What the previous revision of the engine would have recorded for the same export and options.
  const { plan } = await inspectSource(source);
  const older = fingerprintOf(plan.tables, plan.badValuePolicy, STORAGE_REVISION - 1);
  expect(older).not.toBe(plan.fingerprint);
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    const meta = (await readVersionMetadata(client, first.schema!))!;
    await writeVersionMetadata(client, { ...meta, optionsFingerprint: older });
  } finally {
    await client.end();
  }
  const again = await run();
  expect(again.outcome).toBe("loaded");
  expect(again.schema).not.toBe(first.schema);
});
