/**
 * Holders of a prefix's versions (Pulumi stacks sharing a prefix): the
 * claims are read, retention decides and the claim is written under the
 * prefix lock inside one run, so three holders loading at once with
 * retainVersions 0 never drop a version another one holds, and each
 * holder's claim names its own version afterwards.
 */
import * as path from "node:path";
import { Client } from "pg";
import { migrate } from "../../engine";
import { readClaims } from "../../engine/versions";
import { queryRows, useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { useTempDir } from "./engine-fixtures";

const PREFIX = "hold";
const database = useTestDatabase("holders");
const tmp = useTempDir("holders");
let sources: SourceFolder;

beforeAll(() => {
  sources = sourceFolder();
});
afterAll(() => sources?.cleanup());

const load = (owner: string, seed: number) =>
  migrate({
    sourcePath: sources.make(`${owner}-${seed}.sqlite`, { tickets: 150 + seed, seed }).path,
    databaseUrl: database.url,
    schemaPrefix: PREFIX,
    mode: "simple",
    retainVersions: 0,
    backupDirectory: path.join(tmp.dir, "b"),
    holder: { owner, instance: `${owner}-${seed}` },
  });

async function claims(): Promise<Record<string, string>> {
  const client = new Client({ connectionString: database.url });
  await client.connect();
  try {
    return Object.fromEntries([...(await readClaims(client, PREFIX))].map(([owner, c]) => [owner, c.schema]));
  } finally {
    await client.end();
  }
}

const versions = async () =>
  (await queryRows<{ nspname: string }>(database.url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'hold\\_v%' ORDER BY 1")).map(
    (r) => r.nspname,
  );

it("three holders loading at once with retainVersions 0 keep each other's versions", async () => {
  for (let round = 1; round <= 3; round++) {
    const reports = await Promise.all(["alpha", "beta", "gamma"].map((owner, i) => load(owner, round * 10 + i)));
    const held = await claims();
    expect(held).toEqual(Object.fromEntries(reports.map((r, i) => [["alpha", "beta", "gamma"][i], r.schema])));
    // Retention 0 keeps only the active one, plus what holders hold: exactly the three claimed versions.
    expect(await versions()).toEqual(reports.map((r) => r.schema!).sort());
  }
});
