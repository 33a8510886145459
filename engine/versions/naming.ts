/**
 * Names of the schema family of one prefix:
 *
 *   servicedesk                      stable access schema (views only)
 *   servicedesk_control              the switch_to() function
 *   servicedesk_canary               the canary load
 *   servicedesk_staging              tables loaded by parallel streams, before the version takes them
 *   servicedesk_v20250301_141503     one versioned schema per load (UTC)
 *
 * The version suffix sorts as text in time order, so "newest" never needs a
 * catalog of its own. PostgreSQL truncates names beyond 63 bytes silently,
 * so the prefix is checked up front against the longest suffix.
 */
import type { ClientBase } from "pg";
import { OptionError } from "../errors";
import { MAX_IDENTIFIER_BYTES } from "../sql/identifiers";

export const DEFAULT_SCHEMA_PREFIX = "servicedesk";

/** Lowercase only: an unquoted reference in a dashboard query folds to lowercase. */
const PREFIX_PATTERN = /^[a-z_][a-z0-9_]*$/;
const VERSION_SUFFIX_EXAMPLE = "_v20250301_141503";
const CONTROL_SUFFIX = "_control";
const CANARY_SUFFIX = "_canary";
const STAGING_SUFFIX = "_staging";
/** The longest suffix any schema of the family gets. */
const LONGEST_SUFFIX_BYTES = Math.max(VERSION_SUFFIX_EXAMPLE.length, CONTROL_SUFFIX.length, CANARY_SUFFIX.length, STAGING_SUFFIX.length);
export const MAX_PREFIX_BYTES = MAX_IDENTIFIER_BYTES - LONGEST_SUFFIX_BYTES;

/** Two loads in one second take the next free second; a day of seconds is far beyond any real collision. */
const MAX_ALLOCATION_ATTEMPTS = 86_400;

/** Existing schema names shaped like versions of the prefix (foreign ones included: they are taken). */
const VERSION_NAMES_SQL = `SELECT "nspname" FROM "pg_catalog"."pg_namespace" WHERE "nspname" ~ $1`;

/** Throws OptionError("schemaPrefix") unless the prefix is usable for every schema of the family. */
export function validatePrefix(prefix: string): void {
  if (typeof prefix !== "string" || !PREFIX_PATTERN.test(prefix)) {
    throw new OptionError(
      "schemaPrefix",
      `"${prefix}" must start with a lowercase letter or underscore and hold only lowercase letters, digits and underscores`,
    );
  }
  // PostgreSQL reserves schema names starting with pg_ for itself: CREATE SCHEMA would refuse the versions.
  if (prefix.startsWith("pg_"))
    throw new OptionError("schemaPrefix", `"${prefix}" starts with pg_, which PostgreSQL reserves for its own schemas`);
  if (prefix.length > MAX_PREFIX_BYTES) {
    throw new OptionError(
      "schemaPrefix",
      `"${prefix}" is ${prefix.length} bytes; at most ${MAX_PREFIX_BYTES} leave room for the suffix ` +
        `"${VERSION_SUFFIX_EXAMPLE}" within PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte limit`,
    );
  }
}

/** The stable access schema readers query: the prefix itself. */
export function stableSchemaName(prefix: string): string {
  validatePrefix(prefix);
  return prefix;
}

/** The schema holding switch_to(). */
export function controlSchemaName(prefix: string): string {
  validatePrefix(prefix);
  return prefix + CONTROL_SUFFIX;
}

/** The schema of the canary load. */
export function canarySchemaName(prefix: string): string {
  validatePrefix(prefix);
  return prefix + CANARY_SUFFIX;
}

/** The schema parallel load streams fill before the version's transaction moves their tables into it (load/staging.ts). */
export function stagingSchemaName(prefix: string): string {
  validatePrefix(prefix);
  return prefix + STAGING_SUFFIX;
}

/** `<prefix>_vYYYYMMDD_HHMMSS` for the UTC second of `at`. */
export function versionSchemaName(prefix: string, at: Date): string {
  validatePrefix(prefix);
  if (Number.isNaN(at.getTime())) throw new OptionError("now", "is not a valid date");
  const iso = at.toISOString(); // always UTC: 2025-03-01T14:15:03.123Z
  const day = iso.slice(0, 10).replace(/-/g, "");
  const time = iso.slice(11, 19).replace(/:/g, "");
  return `${prefix}_v${day}_${time}`;
}

/** A regular expression (for PostgreSQL's `~` and for JavaScript) matching version names of the prefix. */
export function versionNamePattern(prefix: string): string {
  validatePrefix(prefix); // the prefix holds no regular-expression metacharacters
  return `^${prefix}_v[0-9]{8}_[0-9]{6}$`;
}

/** Whether `schema` is shaped like a version of `prefix` (its metadata decides whether it is ours). */
export function isVersionSchemaName(prefix: string, schema: string): boolean {
  return new RegExp(versionNamePattern(prefix)).test(schema);
}

/** The UTC second encoded in a version name, or null if it is not one of the prefix. */
export function versionTimestamp(prefix: string, schema: string): Date | null {
  if (!isVersionSchemaName(prefix, schema)) return null;
  const digits = schema.slice(prefix.length + 2);
  const iso =
    `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T` +
    `${digits.slice(9, 11)}:${digits.slice(11, 13)}:${digits.slice(13, 15)}Z`;
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * The name of a new version loaded at `now`: the first free second from
 * `now` on. It reserves nothing: call it while holding the prefix lock and
 * create the schema before releasing it (the load phase does, in its transaction).
 */
export async function allocateVersionName(client: ClientBase, prefix: string, now: Date = new Date()): Promise<string> {
  const taken = new Set(
    (await client.query<{ nspname: string }>(VERSION_NAMES_SQL, [versionNamePattern(prefix)])).rows.map((r) => r.nspname),
  );
  const start = Math.floor(now.getTime() / 1000) * 1000;
  for (let attempt = 0; attempt < MAX_ALLOCATION_ATTEMPTS; attempt++) {
    const name = versionSchemaName(prefix, new Date(start + attempt * 1000));
    if (!taken.has(name)) return name;
  }
  throw new OptionError("schemaPrefix", `no free version name for "${prefix}" within a day of ${now.toISOString()}`);
}
