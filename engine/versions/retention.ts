/**
 * Which versions exist, which one can be adopted instead of reloading, and
 * which ones to drop. Only schemas carrying our metadata are ever listed or
 * dropped; the active version is never dropped.
 */
import type { ClientBase } from "pg";
import { MigrationError, OptionError } from "../errors";
import { quoteIdent } from "../sql/identifiers";
import { activeVersion, parseVersionMetadata, readVersionMetadata, VersionMetadata } from "./metadata";
import { prefixLockKeyLiteral, PrefixLockOptions, withPrefixLock } from "./lock";
import { versionNamePattern } from "./naming";
import { inTransaction } from "../sql/transaction";

/** The active version and the one before it: an instant rollback stays possible. */
export const DEFAULT_RETAIN = 2;

/**
 * How long a drop waits for the tables of a version: a reader still on an
 * old version holds a lock on it, and the drop is then skipped, not queued
 * ahead of every later reader of those tables.
 */
const DROP_LOCK_TIMEOUT = "5s";

const VERSION_COMMENTS_SQL = `
  SELECT "nspname", "pg_catalog"."obj_description"("oid", 'pg_namespace') AS "comment"
  FROM "pg_catalog"."pg_namespace" WHERE "nspname" ~ $1`;

/** Views and foreign keys elsewhere that DROP SCHEMA ... CASCADE would silently take along. */
const OUTSIDE_DEPENDENTS_SQL = `
  WITH "ns" AS (SELECT "oid" FROM "pg_catalog"."pg_namespace" WHERE "nspname" = $1)
  SELECT "pg_catalog"."format"('view %I.%I', "vn"."nspname", "v"."relname") AS "object"
  FROM "pg_catalog"."pg_depend" "d"
  JOIN "pg_catalog"."pg_rewrite" "r" ON "d"."classid" = '"pg_catalog"."pg_rewrite"'::"regclass" AND "r"."oid" = "d"."objid"
  JOIN "pg_catalog"."pg_class" "v" ON "v"."oid" = "r"."ev_class"
  JOIN "pg_catalog"."pg_namespace" "vn" ON "vn"."oid" = "v"."relnamespace"
  JOIN "pg_catalog"."pg_class" "t" ON "d"."refclassid" = '"pg_catalog"."pg_class"'::"regclass" AND "t"."oid" = "d"."refobjid"
  WHERE "t"."relnamespace" IN (SELECT "oid" FROM "ns") AND "v"."relnamespace" NOT IN (SELECT "oid" FROM "ns")
  UNION
  SELECT "pg_catalog"."format"('foreign key %I of %I.%I', "c"."conname", "cn"."nspname", "ct"."relname")
  FROM "pg_catalog"."pg_constraint" "c"
  JOIN "pg_catalog"."pg_class" "ct" ON "ct"."oid" = "c"."conrelid"
  JOIN "pg_catalog"."pg_namespace" "cn" ON "cn"."oid" = "ct"."relnamespace"
  JOIN "pg_catalog"."pg_class" "rt" ON "rt"."oid" = "c"."confrelid"
  WHERE "c"."contype" = 'f' AND "rt"."relnamespace" IN (SELECT "oid" FROM "ns")
    AND "ct"."relnamespace" NOT IN (SELECT "oid" FROM "ns")
  ORDER BY 1 LIMIT 5`;

/** Our versions of the prefix, oldest first (createdAt, then name). */
export async function listVersions(client: ClientBase, prefix: string): Promise<VersionMetadata[]> {
  const { rows } = await client.query<{ nspname: string; comment: string | null }>(VERSION_COMMENTS_SQL, [versionNamePattern(prefix)]);
  return rows
    .map((row) => parseVersionMetadata(row.nspname, row.comment))
    .filter((meta): meta is VersionMetadata => meta !== null && meta.prefix === prefix)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.schema.localeCompare(b.schema));
}

/**
 * The newest ready version loaded from the same export with the same
 * data-shaping options, or null: adopting it replaces a reload, so
 * re-applying old inputs (a git revert) is an instant rollback.
 */
export async function findReusableVersion(
  client: ClientBase,
  prefix: string,
  sourceDigest: string,
  optionsFingerprint: string,
): Promise<VersionMetadata | null> {
  const matches = (await listVersions(client, prefix)).filter(
    (v) => v.sourceDigest === sourceDigest && v.optionsFingerprint === optionsFingerprint,
  );
  return matches.length > 0 ? matches[matches.length - 1] : null;
}

export interface GarbageCollectionOptions extends PrefixLockOptions {
  /** Versions to keep, the newest ones, active included. Defaults to 2. */
  retain?: number;
  /** Schemas never dropped, e.g. the version this run is loading. */
  keep?: readonly string[];
  /** Told about each candidate left in place (in use by a reader, or referenced from elsewhere). */
  onSkip?: (schema: string, reason: string) => void;
}

/**
 * The versions garbage collection drops, from `versions` oldest first:
 * those beyond the newest `retain`, never `active` nor those in `keep`.
 */
export function garbageVersions(
  versions: readonly VersionMetadata[],
  active: string | null,
  retain: number,
  keep: readonly string[] = [],
): string[] {
  const protectedSchemas = new Set([...keep, ...(active === null ? [] : [active])]);
  const newest = versions.slice(-retain).map((v) => v.schema);
  return versions.map((v) => v.schema).filter((schema) => !newest.includes(schema) && !protectedSchemas.has(schema));
}

/**
 * Drops the versions beyond `retain` (see garbageVersions),
 * each in its own transaction, under the prefix lock (re-entrant: call it
 * from the session that holds the run's lock, outside a transaction).
 * Returns the dropped schemas.
 */
export async function collectGarbage(client: ClientBase, prefix: string, options: GarbageCollectionOptions = {}): Promise<string[]> {
  const retain = options.retain ?? DEFAULT_RETAIN;
  if (!Number.isInteger(retain) || retain < 1) {
    throw new OptionError("retain", `must be a whole number of at least 1 (the active version), not ${retain}`);
  }
  return withPrefixLock(client, prefix, options, async () => {
    const versions = await listVersions(client, prefix);
    const doomed = garbageVersions(versions, await activeVersion(client, prefix), retain, options.keep);
    const dropped: string[] = [];
    for (const schema of doomed) {
      try {
        await dropInTransaction(client, prefix, schema);
        dropped.push(schema);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        options.onSkip?.(schema, error.message);
      }
    }
    return dropped;
  });
}

/** A refusal to drop one schema, as opposed to a failure of the connection or the server. */
function isRefusal(error: unknown): error is MigrationError {
  return error instanceof MigrationError && (error.code === "SCHEMA_CONFLICT" || error.code === "VERSION_NOT_FOUND");
}

/**
 * Drops one version of ours (DROP SCHEMA ... CASCADE) under the prefix
 * lock. Refuses with SCHEMA_CONFLICT the active version, a version still
 * referenced from another schema, or one in use past a short lock wait;
 * with VERSION_NOT_FOUND a schema that is not a version of ours.
 */
export async function dropVersion(client: ClientBase, prefix: string, schema: string, options: PrefixLockOptions = {}): Promise<void> {
  await withPrefixLock(client, prefix, options, () => dropInTransaction(client, prefix, schema));
}

/** The checks and the drop, in one transaction that also holds the lock switch_to() takes. */
async function dropInTransaction(client: ClientBase, prefix: string, schema: string): Promise<void> {
  try {
    await inTransaction(client, async () => {
      await client.query(`SET LOCAL "lock_timeout" = '${DROP_LOCK_TIMEOUT}'`);
      await client.query(`SELECT "pg_catalog"."pg_advisory_xact_lock"(${prefixLockKeyLiteral(prefix)})`);
      await assertDroppable(client, prefix, schema);
      await client.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    });
  } catch (error) {
    if ((error as { code?: unknown }).code !== "55P03") throw error;
    throw new MigrationError("SCHEMA_CONFLICT", `schema "${schema}" is in use (a lock wait exceeded ${DROP_LOCK_TIMEOUT}); not dropped`, {
      cause: error,
    });
  }
}

async function assertDroppable(client: ClientBase, prefix: string, schema: string): Promise<void> {
  const meta = await readVersionMetadata(client, schema);
  if (!meta || meta.prefix !== prefix) {
    throw new MigrationError("VERSION_NOT_FOUND", `schema "${schema}" is not a versioned schema of prefix "${prefix}"`);
  }
  if ((await activeVersion(client, prefix)) === schema) {
    throw new MigrationError("SCHEMA_CONFLICT", `schema "${schema}" is the active version of "${prefix}"; switch to another version first`);
  }
  const { rows } = await client.query<{ object: string }>(OUTSIDE_DEPENDENTS_SQL, [schema]);
  if (rows.length > 0) {
    throw new MigrationError(
      "SCHEMA_CONFLICT",
      `schema "${schema}" is still referenced by ${rows.map((r) => r.object).join(", ")}; not dropped`,
    );
  }
}
