/**
 * The stable access schema `<prefix>`: one view per table and per view of
 * the active version, so dashboards query `servicedesk.tickets` and never see a
 * half-written schema. The switch itself is switch_to() in
 * `<prefix>_control` (see switch-function.ts); this module installs it,
 * calls it, and writes the commands a person or a pipeline runs.
 */
import type { ClientBase } from "pg";
import { MigrationError, OptionError } from "../errors";
import { quoteIdent, quoteLiteral } from "../sql/identifiers";
import { shellQuote } from "../sql/shell";
import { FORMAT_VERSION, parseStableMetadata, readSchemaComment, StableMetadata, TOOL_NAME } from "./metadata";
import { prefixLockKeyLiteral } from "./lock";
import { controlSchemaName, isVersionSchemaName, stableSchemaName, validatePrefix } from "./naming";
import { SWITCH_ERROR_CODES, switchFunctionSql } from "./switch-function";
import { inTransaction } from "../sql/transaction";

/**
 * Every object in a schema that is not a view: relations, routines, and
 * types other than the row types of views and the array types PostgreSQL
 * creates alongside each type.
 */
const NON_VIEW_OBJECTS_SQL = `
  WITH "ns" AS (SELECT "oid" FROM "pg_catalog"."pg_namespace" WHERE "nspname" = $1)
  SELECT CASE "c"."relkind" WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'S' THEN 'sequence'
           WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table' WHEN 'c' THEN 'type'
           ELSE 'index' END AS "kind", "c"."relname" AS "name"
  FROM "pg_catalog"."pg_class" "c" WHERE "c"."relnamespace" IN (SELECT "oid" FROM "ns") AND "c"."relkind" <> 'v'
  UNION ALL
  SELECT CASE "p"."prokind" WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END, "p"."proname"
  FROM "pg_catalog"."pg_proc" "p" WHERE "p"."pronamespace" IN (SELECT "oid" FROM "ns")
  UNION ALL
  SELECT 'type', "t"."typname" FROM "pg_catalog"."pg_type" "t"
  WHERE "t"."typnamespace" IN (SELECT "oid" FROM "ns") AND "t"."typrelid" = 0
    AND NOT EXISTS (SELECT 1 FROM "pg_catalog"."pg_type" "e" WHERE "e"."typarray" = "t"."oid")
  ORDER BY 1, 2 LIMIT 1`;

/** The comment that marks `<prefix>_control` as ours. */
interface ControlMetadata {
  tool: typeof TOOL_NAME;
  formatVersion: typeof FORMAT_VERSION;
  prefix: string;
  role: "control";
}

function isControlComment(prefix: string, comment: string | null): boolean {
  try {
    const m = JSON.parse(comment ?? "null") as Partial<ControlMetadata> | null;
    return m?.tool === TOOL_NAME && m.prefix === prefix && m.role === "control";
  } catch {
    return false;
  }
}

/**
 * Creates `schema` labelled with `comment` if it is missing. Returns false
 * when it exists without a comment of ours (`isOurs`): someone else's.
 */
async function ensureSchemaOfOurs(
  client: ClientBase,
  schema: string,
  comment: string,
  isOurs: (comment: string | null) => boolean,
): Promise<boolean> {
  const existing = await readSchemaComment(client, schema);
  if (existing !== undefined) return isOurs(existing);
  await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
  await client.query(`COMMENT ON SCHEMA ${quoteIdent(schema)} IS ${quoteLiteral(comment)}`);
  return true;
}

/** `table "notes"`: the first object in `schema` that is not a view, or null. */
async function firstNonView(client: ClientBase, schema: string): Promise<string | null> {
  const { rows } = await client.query<{ kind: string; name: string }>(NON_VIEW_OBJECTS_SQL, [schema]);
  return rows.length > 0 ? `${rows[0].kind} "${rows[0].name}"` : null;
}

/** SCHEMA_CONFLICT for a schema of the family that is not ours, naming what it holds. */
async function foreignSchemaError(client: ClientBase, schema: string): Promise<MigrationError> {
  const holding = await firstNonView(client, schema);
  return new MigrationError(
    "SCHEMA_CONFLICT",
    `schema "${schema}" exists but was not created by ${TOOL_NAME} (its comment is not ours)` +
      (holding ? ` and holds ${holding}` : "") +
      "; drop or rename it, or choose another schemaPrefix",
  );
}

/** The body of ensureStableSchema, inside the caller's transaction. */
async function installStableSchema(client: ClientBase, prefix: string): Promise<void> {
  validatePrefix(prefix);
  // Serializes installers and switches of the prefix; re-entrant for a session holding the run's lock.
  await client.query(`SELECT "pg_catalog"."pg_advisory_xact_lock"(${prefixLockKeyLiteral(prefix)})`);
  const stable = stableSchemaName(prefix);
  const initial: StableMetadata = {
    tool: TOOL_NAME,
    formatVersion: FORMAT_VERSION,
    prefix,
    active: null,
    previous: null,
    switchedAt: null,
  };
  if (!(await ensureSchemaOfOurs(client, stable, JSON.stringify(initial), (c) => parseStableMetadata(prefix, c) !== null))) {
    throw await foreignSchemaError(client, stable);
  }
  // A switch drops every view of the stable schema; anything else there would be shadowed or in the way.
  const stray = await firstNonView(client, stable);
  if (stray) {
    throw new MigrationError(
      "SCHEMA_CONFLICT",
      `schema "${stable}" holds ${stray}; the stable schema may hold only the views ${TOOL_NAME} creates. ` +
        "Move that object elsewhere, or choose another schemaPrefix",
    );
  }
  const control = controlSchemaName(prefix);
  const controlComment: ControlMetadata = { tool: TOOL_NAME, formatVersion: FORMAT_VERSION, prefix, role: "control" };
  if (!(await ensureSchemaOfOurs(client, control, JSON.stringify(controlComment), (c) => isControlComment(prefix, c)))) {
    throw await foreignSchemaError(client, control);
  }
  await client.query(switchFunctionSql(prefix));
}

/**
 * Creates the stable schema `<prefix>` and the control schema with
 * switch_to() if missing, and brings switch_to() up to date. Idempotent.
 * Throws SCHEMA_CONFLICT, naming the schema and the object, when `<prefix>`
 * or `<prefix>_control` exists and is not ours, or `<prefix>` holds
 * anything but views.
 */
export async function ensureStableSchema(client: ClientBase, prefix: string): Promise<void> {
  await inTransaction(client, () => installStableSchema(client, prefix));
}

/** Translates switch_to()'s refusals into the error catalogue; other errors pass unchanged. */
function switchError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case SWITCH_ERROR_CODES.notAVersion:
    case SWITCH_ERROR_CODES.notReady:
      return new MigrationError("VERSION_NOT_FOUND", message, { cause: error });
    case SWITCH_ERROR_CODES.stableNotOurs:
    case SWITCH_ERROR_CODES.dependentViews:
      return new MigrationError("SCHEMA_CONFLICT", message, { cause: error });
    default:
      return error;
  }
}

export interface SwitchResult {
  /** The version active before the switch (null for the first one). */
  previous: string | null;
  /** The version active now. */
  active: string;
}

/**
 * Points the stable views at `target`, in one transaction: installs or
 * updates the stable and control schemas, then runs cutoverSql. Throws
 * VERSION_NOT_FOUND when `target` is not a ready version of the prefix
 * (the views are then unchanged), SCHEMA_CONFLICT as ensureStableSchema.
 *
 * @example
 * const { previous } = await switchTo(client, "servicedesk", "servicedesk_v20250301_141503");
 */
export async function switchTo(client: ClientBase, prefix: string, target: string): Promise<SwitchResult> {
  const sql = cutoverSql(prefix, target);
  try {
    const previous = await inTransaction(client, async () => {
      await installStableSchema(client, prefix);
      const { rows } = await client.query<{ switch_to: string | null }>(sql);
      return rows[0].switch_to;
    });
    return { previous, active: target };
  } catch (error) {
    throw switchError(error);
  }
}

/** `SELECT "<prefix>_control".switch_to('<target>');`: the whole cutover (or rollback) as one statement. */
export function cutoverSql(prefix: string, target: string): string {
  if (!isVersionSchemaName(prefix, target)) {
    throw new OptionError("target", `"${target}" is not a versioned schema name of prefix "${prefix}"`);
  }
  return `SELECT ${quoteIdent(controlSchemaName(prefix))}.switch_to(${quoteLiteral(target)});`;
}

/**
 * A shell line running `sql` with psql. The connection comes from the
 * environment ($DATABASE_URL), so no password or URL is ever part of it.
 */
export function psqlCommand(sql: string): string {
  return `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c ${shellQuote(sql)}`;
}

/** What stack outputs carry: the cutover to `target` and the rollback to `previous`. */
export interface SwitchCommands {
  cutoverSql: string;
  cutoverCommand: string;
  /** Null when there is no previous version to go back to. */
  rollbackSql: string | null;
  rollbackCommand: string | null;
}

/** The cutover and rollback statements and shell lines for outputs and logs. */
export function switchCommands(prefix: string, target: string, previous: string | null): SwitchCommands {
  const cutover = cutoverSql(prefix, target);
  const rollback = previous === null ? null : cutoverSql(prefix, previous);
  return {
    cutoverSql: cutover,
    cutoverCommand: psqlCommand(cutover),
    rollbackSql: rollback,
    rollbackCommand: rollback === null ? null : psqlCommand(rollback),
  };
}
