/**
 * Versions made by hand for tests of the versions layer: a schema with our
 * metadata (ready, as every committed version is) and whatever tables the
 * test creates in it, without a load.
 */
import type { ClientBase } from "pg";
import { allocateVersionName, FORMAT_VERSION, TOOL_NAME, VersionMetadata, writeVersionMetadata } from "../../engine/versions";
import { quoteIdent } from "../../engine/sql/identifiers";

export interface TestVersion {
  prefix: string;
  sourceDigest?: string;
  optionsFingerprint?: string;
  /** Names the schema (its UTC second); defaults to now. */
  now?: Date;
  loadedBy?: string;
  tables?: VersionMetadata["tables"];
}

export async function createTestVersion(client: ClientBase, version: TestVersion): Promise<VersionMetadata> {
  const now = version.now ?? new Date();
  const schema = await allocateVersionName(client, version.prefix, now);
  const meta: VersionMetadata = {
    tool: TOOL_NAME,
    formatVersion: FORMAT_VERSION,
    prefix: version.prefix,
    schema,
    status: "ready",
    sourceDigest: version.sourceDigest ?? "d",
    optionsFingerprint: version.optionsFingerprint ?? "o",
    createdAt: now.toISOString(),
    tables: version.tables ?? {},
    ...(version.loadedBy !== undefined ? { loadedBy: version.loadedBy } : {}),
  };
  await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await writeVersionMetadata(client, meta);
  return meta;
}

/** A schema shaped like a version, whose comment says another status: an older release's leftover, never ours to list or drop. */
export async function createForeignStatusSchema(client: ClientBase, prefix: string, now: Date, status: string): Promise<string> {
  const schema = await allocateVersionName(client, prefix, now);
  const comment = {
    tool: TOOL_NAME,
    formatVersion: FORMAT_VERSION,
    prefix,
    schema,
    status,
    sourceDigest: "d",
    optionsFingerprint: "o",
    createdAt: now.toISOString(),
    tables: {},
  };
  await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await client.query(`COMMENT ON SCHEMA ${quoteIdent(schema)} IS '${JSON.stringify(comment).replace(/'/g, "''")}'`);
  return schema;
}
