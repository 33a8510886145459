/**
 * Who holds which version of a prefix: one row per holder (a Pulumi
 * stack's resource, or anything else that names itself) in
 * "<prefix>_control".claims, with the instance that made the claim.
 * Retention never drops a version some holder holds, and a holder's
 * resource being deleted knows from the instance whether it is being
 * replaced (a newer instance holds the claim now: keep everything) or
 * destroyed (its own instance still holds it: remove what it loaded).
 *
 * Every function here must run under the prefix lock: reading the claims,
 * collecting garbage and writing a claim are one decision.
 */
import type { ClientBase } from "pg";
import { qualified } from "../sql/identifiers";
import { controlSchemaName } from "./naming";
import { ensureStableSchema } from "./stable";

export interface Holder {
  /** Who: "pulumi:<project>/<stack>". */
  readonly owner: string;
  /** Which resource of that owner: a new one per create, so a replacement is told from its predecessor. */
  readonly instance: string;
}

export interface Claim {
  readonly schema: string;
  /** "" for claims written before instances were recorded. */
  readonly instance: string;
}

function claimsTable(prefix: string): string {
  return qualified(controlSchemaName(prefix), "claims");
}

async function ensureClaims(client: ClientBase, prefix: string): Promise<void> {
  await ensureStableSchema(client, prefix);
  await client.query(`CREATE TABLE IF NOT EXISTS ${claimsTable(prefix)} (
    owner text PRIMARY KEY,
    schema_name text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now()
  )`);
  await client.query(`ALTER TABLE ${claimsTable(prefix)} ADD COLUMN IF NOT EXISTS instance text NOT NULL DEFAULT ''`);
}

/** owner -> claim; empty when the control schema or its table is gone. */
export async function readClaims(client: ClientBase, prefix: string): Promise<Map<string, Claim>> {
  const { rows: exists } = await client.query<{ present: boolean }>("SELECT to_regclass($1) IS NOT NULL AS present", [claimsTable(prefix)]);
  if (!exists[0].present) return new Map();
  // Through the row as JSON: claims tables of older releases have no instance column yet.
  const { rows } = await client.query<{ owner: string; schema_name: string; instance: string | null }>(
    `SELECT c.owner, c.schema_name, to_jsonb(c) ->> 'instance' AS instance FROM ${claimsTable(prefix)} c`,
  );
  return new Map(rows.map((r) => [r.owner, { schema: r.schema_name, instance: r.instance ?? "" }]));
}

/** The versions holders other than `owner` hold: retention keeps them. */
export async function heldByOthers(client: ClientBase, prefix: string, owner: string | null): Promise<string[]> {
  const claims = await readClaims(client, prefix);
  return [...claims].filter(([other]) => other !== owner).map(([, claim]) => claim.schema);
}

export async function holdVersion(client: ClientBase, prefix: string, holder: Holder, schema: string): Promise<void> {
  await ensureClaims(client, prefix);
  await client.query(
    `INSERT INTO ${claimsTable(prefix)} (owner, schema_name, instance) VALUES ($1, $2, $3)
     ON CONFLICT (owner) DO UPDATE SET schema_name = excluded.schema_name, instance = excluded.instance, claimed_at = now()`,
    [holder.owner, schema, holder.instance],
  );
}

export async function releaseClaim(client: ClientBase, prefix: string, owner: string): Promise<void> {
  if ((await readClaims(client, prefix)).has(owner)) await client.query(`DELETE FROM ${claimsTable(prefix)} WHERE owner = $1`, [owner]);
}
