/**
 * The second check of an export's view, on what PostgreSQL made of it: the
 * view's rule as PostgreSQL stores it (pg_rewrite.ev_action) lists every
 * relation the view reads (`:relid`) and every function it calls, in every
 * subquery and WITH clause, whatever the translator understood of the SQL.
 * A created view that reads a relation outside its version, or calls a
 * function by name outside functions.ts, is refused as vet.ts would have
 * refused it. The node text renders strings as escaped tokens and
 * constants as bytes, so no name or value of the export can forge a field.
 */
import type { ClientBase } from "pg";
import { qualified } from "../sql/identifiers";
import { VIEW_POSTGRES_FUNCTIONS } from "./functions";

/** RTE_RELATION entries: every relation the rule reads. */
const RELATION_ENTRY = / :rtekind 0 :relid (\d+) /g;
const ANY_RELATION_ENTRY = / :rtekind 0 /g;
/** Function calls: FuncExpr (its funcformat: 0 a call by name, 1-2 a cast, 3 SQL syntax such as AT TIME ZONE), aggregates, window functions. */
const FUNCTION_CALL = /\{FUNCEXPR :funcid (\d+) [^{}]*?:funcformat (\d) /g;
const ANY_FUNCTION_CALL = /\{FUNCEXPR /g;
const AGGREGATE_OR_WINDOW = /\{(?:AGGREF :aggfnoid|WINDOWFUNC :winfnoid) (\d+) /g;
/** Casts (1 explicit, 2 implicit) call the functions of the types the translator chose. */
const CALLED_BY_NAME = new Set(["0", "3"]);

const RULE_SQL = `SELECT r.ev_action::text AS tree, r.ev_class::bigint AS view
  FROM pg_catalog.pg_rewrite r WHERE r.ev_class = $1::regclass AND r.rulename = '_RETURN'`;
const FOREIGN_RELATION_SQL = `SELECT n.nspname AS schema, c.relname AS name
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = ANY ($1::oid[]) AND c.oid <> $2::oid AND n.nspname <> $3
  ORDER BY n.nspname, c.relname LIMIT 1`;
const FOREIGN_FUNCTION_SQL = `SELECT n.nspname AS schema, p.proname AS name
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE p.oid = ANY ($1::oid[]) AND NOT (n.nspname = 'pg_catalog' AND p.proname = ANY ($2::text[]))
  ORDER BY n.nspname, p.proname LIMIT 1`;

const name = (schema: string, relation: string) => qualified(schema, relation);

/**
 * Why the view `view` just created in `schema` must not stay, or null: what
 * it reads beyond the version, or calls beyond the allowed functions.
 */
export async function reachRefusal(client: ClientBase, schema: string, view: string): Promise<string | null> {
  const { rows } = await client.query<{ tree: string; view: string }>(RULE_SQL, [qualified(schema, view)]);
  if (rows.length !== 1) return "its rule cannot be read back from PostgreSQL to check what it reads";
  const { tree } = rows[0];
  const relations = [...tree.matchAll(RELATION_ENTRY)].map((m) => m[1]);
  const calls = [...tree.matchAll(FUNCTION_CALL)];
  // A rule this module cannot read field by field is refused rather than passed unchecked.
  if (relations.length !== [...tree.matchAll(ANY_RELATION_ENTRY)].length || calls.length !== [...tree.matchAll(ANY_FUNCTION_CALL)].length)
    return "its rule, as PostgreSQL stores it, is not in a form this version of the tool can check";
  const foreign = await client.query<{ schema: string; name: string }>(FOREIGN_RELATION_SQL, [relations, rows[0].view, schema]);
  if (foreign.rows.length > 0)
    return `reads ${name(foreign.rows[0].schema, foreign.rows[0].name)}, which is not a table or view of this version`;
  const functions = [
    ...calls.filter((m) => CALLED_BY_NAME.has(m[2])).map((m) => m[1]),
    ...[...tree.matchAll(AGGREGATE_OR_WINDOW)].map((m) => m[1]),
  ];
  const called = await client.query<{ schema: string; name: string }>(FOREIGN_FUNCTION_SQL, [functions, [...VIEW_POSTGRES_FUNCTIONS]]);
  if (called.rows.length > 0)
    return `calls ${name(called.rows[0].schema, called.rows[0].name)}(), which is not one of the functions a view may call`;
  return null;
}
