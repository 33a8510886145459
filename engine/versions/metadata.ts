/**
 * Metadata of versioned schemas and of the stable schema, kept as JSON in
 * COMMENT ON SCHEMA: it is transactional (a version is "ready" exactly when
 * its data is committed), it travels with pg_dump, and it needs no table of
 * its own that could drift from the schemas it describes.
 *
 * A schema whose comment is not this JSON, or names another tool, prefix or
 * schema, is not ours: nothing in this module reads it as a version.
 */
import type { ClientBase } from "pg";
import { MigrationError, OptionError } from "../errors";
import { quoteIdent, quoteLiteral } from "../sql/identifiers";
import { isVersionSchemaName, stableSchemaName } from "./naming";

export const TOOL_NAME = "servicedesk-migration";
export const FORMAT_VERSION = 1;

/** A version exists only committed, so only ready: a load is one transaction. */
export type VersionStatus = "ready";

export interface VersionMetadata {
  tool: typeof TOOL_NAME;
  formatVersion: typeof FORMAT_VERSION;
  prefix: string;
  schema: string;
  status: VersionStatus;
  /** sha256 of the SQLite export. */
  sourceDigest: string;
  /** sha256 of the options that shape the data. */
  optionsFingerprint: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  tables: Record<string, { rows: number; rejects: number }>;
  /** The export's views this version holds and those PostgreSQL refused, with its error. Absent in versions of older releases. */
  views?: { readonly created: readonly string[]; readonly failed: readonly { readonly name: string; readonly error: string }[] };
  /** Free text, e.g. "pulumi:stack-dev". */
  loadedBy?: string;
  /**
   * The version that was active when this one was loaded, and the backup of
   * it taken before this one committed (null outside complete mode). Null
   * when none was active. Absent in versions of older releases.
   */
  replaced?: { schema: string; backupFile: string | null } | null;
  /** Each table's columns and their types as a reviewer reads them (shownType). Absent in versions of older releases. */
  columns?: Record<string, Record<string, string>>;
  /** The gate's verdict on the load: what a review of the next export compares with. Absent in versions of older releases. */
  quality?: VersionQuality;
  /** When `restore` brought this version back from a backup (ISO 8601, UTC). */
  restoredAt?: string;
}

/** The quality gate's score and findings, as a version records them. */
export interface VersionQuality {
  score: number;
  findings: { check: string; severity: string; table?: string; column?: string; count: number; accepted?: string }[];
}

/** The comment of the stable schema: which version its views point at. */
export interface StableMetadata {
  tool: typeof TOOL_NAME;
  formatVersion: typeof FORMAT_VERSION;
  prefix: string;
  active: string | null;
  previous: string | null;
  switchedAt: string | null;
}

export type StableState = Pick<StableMetadata, "active" | "previous" | "switchedAt">;

/** The comment of any schema, or undefined when the schema does not exist. */
const SCHEMA_COMMENT_SQL = `
  SELECT "pg_catalog"."obj_description"("oid", 'pg_namespace') AS "comment"
  FROM "pg_catalog"."pg_namespace" WHERE "nspname" = $1`;

type JsonObject = Record<string, unknown>;

function parseJsonObject(comment: string | null | undefined): JsonObject | null {
  if (!comment) return null;
  try {
    const value: unknown = JSON.parse(comment);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : null;
  } catch {
    return null;
  }
}

function isOurs(value: JsonObject | null): value is JsonObject {
  return value !== null && value.tool === TOOL_NAME && value.formatVersion === FORMAT_VERSION;
}

function isTableCounts(value: unknown): value is VersionMetadata["tables"] {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  return Object.values(value).every((t) => t !== null && typeof t === "object" && Number.isInteger(t.rows) && Number.isInteger(t.rejects));
}

/** The metadata in a schema comment, or null when the comment is not ours or not about `schema`. */
export function parseVersionMetadata(schema: string, comment: string | null | undefined): VersionMetadata | null {
  const m = parseJsonObject(comment);
  if (!isOurs(m) || m.schema !== schema || typeof m.prefix !== "string") return null;
  if (!isVersionSchemaName(m.prefix, schema)) return null;
  const strings = [m.sourceDigest, m.optionsFingerprint, m.createdAt];
  if (!strings.every((s) => typeof s === "string")) return null;
  if (m.status !== "ready" || !isTableCounts(m.tables)) return null;
  if (m.loadedBy !== undefined && typeof m.loadedBy !== "string") return null;
  if (
    m.replaced !== undefined &&
    m.replaced !== null &&
    (typeof m.replaced !== "object" || typeof (m.replaced as JsonObject).schema !== "string")
  )
    return null;
  return m as unknown as VersionMetadata;
}

/** The stable schema's comment, or null when it is not ours or names another prefix. */
export function parseStableMetadata(prefix: string, comment: string | null | undefined): StableMetadata | null {
  const m = parseJsonObject(comment);
  if (!isOurs(m) || m.prefix !== prefix) return null;
  const nullableStrings = [m.active, m.previous, m.switchedAt];
  if (!nullableStrings.every((s) => s === null || typeof s === "string")) return null;
  return m as unknown as StableMetadata;
}

/** The comment that marks a prefix's staging schema as ours (load/staging.ts). */
export function stagingComment(prefix: string): string {
  return JSON.stringify({ tool: TOOL_NAME, formatVersion: FORMAT_VERSION, prefix, staging: true });
}

/** Whether a schema comment is the staging mark of `prefix`. */
export function isStagingComment(prefix: string, comment: string | null | undefined): boolean {
  const m = parseJsonObject(comment);
  return isOurs(m) && m.prefix === prefix && m.staging === true;
}

/** The comment of `schema`: undefined if the schema does not exist, null if it has none. */
export async function readSchemaComment(client: ClientBase, schema: string): Promise<string | null | undefined> {
  const { rows } = await client.query<{ comment: string | null }>(SCHEMA_COMMENT_SQL, [schema]);
  return rows.length === 0 ? undefined : rows[0].comment;
}

/** The metadata of a versioned schema, or null when it does not exist or is not ours. */
export async function readVersionMetadata(client: ClientBase, schema: string): Promise<VersionMetadata | null> {
  return parseVersionMetadata(schema, await readSchemaComment(client, schema));
}

/**
 * Writes `meta` as the comment of `meta.schema`. Refuses (SCHEMA_CONFLICT)
 * to overwrite a comment that is not ours: that schema belongs to someone
 * else. Runs inside the caller's transaction if there is one.
 */
export async function writeVersionMetadata(client: ClientBase, meta: VersionMetadata): Promise<void> {
  const candidate = { ...meta, tool: TOOL_NAME, formatVersion: FORMAT_VERSION };
  if (parseVersionMetadata(meta.schema, JSON.stringify(candidate)) === null) {
    throw new OptionError("metadata", `for schema "${meta.schema}" is malformed or names another schema`);
  }
  const existing = await readSchemaComment(client, meta.schema);
  if (existing === undefined) throw new MigrationError("VERSION_NOT_FOUND", `schema "${meta.schema}" does not exist`);
  if (existing !== null && parseVersionMetadata(meta.schema, existing) === null) {
    throw new MigrationError("SCHEMA_CONFLICT", `schema "${meta.schema}" carries a comment of another tool; it is not ours to label`);
  }
  await client.query(`COMMENT ON SCHEMA ${quoteIdent(meta.schema)} IS ${quoteLiteral(JSON.stringify(candidate))}`);
}

/** {active, previous, switchedAt} of the prefix, or null when there is no stable schema of ours. */
export async function stableState(client: ClientBase, prefix: string): Promise<StableState | null> {
  const meta = parseStableMetadata(prefix, await readSchemaComment(client, stableSchemaName(prefix)));
  return meta && { active: meta.active, previous: meta.previous, switchedAt: meta.switchedAt };
}

/** The versioned schema the stable views point at, or null. */
export async function activeVersion(client: ClientBase, prefix: string): Promise<string | null> {
  return (await stableState(client, prefix))?.active ?? null;
}
