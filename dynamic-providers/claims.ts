/**
 * Which version each Pulumi stack's resource holds: one row per owner in
 * "<prefix>_control".claims. A resource being deleted whose owner now
 * claims another version is being replaced (keep it, as retention says);
 * one that still holds its owner's claim is being destroyed (remove what
 * that stack loaded).
 */
import type { ClientBase } from "pg";
import { qualified, quoteIdent } from "../engine/sql/identifiers";
import { versions } from "../engine";

function claimsTable(prefix: string): string {
  return qualified(versions.controlSchemaName(prefix), "claims");
}

export async function ensureClaims(client: ClientBase, prefix: string): Promise<void> {
  await versions.ensureStableSchema(client, prefix);
  await client.query(`CREATE TABLE IF NOT EXISTS ${claimsTable(prefix)} (
    owner text PRIMARY KEY,
    schema_name text NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now()
  )`);
}

export async function claim(client: ClientBase, prefix: string, owner: string, schema: string): Promise<void> {
  await ensureClaims(client, prefix);
  await client.query(
    `INSERT INTO ${claimsTable(prefix)} (owner, schema_name) VALUES ($1, $2)
     ON CONFLICT (owner) DO UPDATE SET schema_name = excluded.schema_name, claimed_at = now()`,
    [owner, schema],
  );
}

/** owner -> claimed schema; empty when the control schema or its table is gone. */
export async function readClaims(client: ClientBase, prefix: string): Promise<Map<string, string>> {
  const exists = await client.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [claimsTable(prefix)]);
  if (!exists.rows[0].present) return new Map();
  const { rows } = await client.query<{ owner: string; schema_name: string }>(`SELECT owner, schema_name FROM ${claimsTable(prefix)}`);
  return new Map(rows.map((r) => [r.owner, r.schema_name]));
}

/** The versions other owners (other stacks sharing the prefix) hold: retention keeps them. */
export async function claimedByOthers(client: ClientBase, prefix: string, owner: string): Promise<string[]> {
  const claims = await readClaims(client, prefix);
  return [...claims].filter(([other]) => other !== owner).map(([, schema]) => schema);
}

export async function releaseClaim(client: ClientBase, prefix: string, owner: string): Promise<void> {
  const claims = await readClaims(client, prefix);
  if (claims.has(owner)) await client.query(`DELETE FROM ${claimsTable(prefix)} WHERE owner = $1`, [owner]);
}

/** Removes the stable views and the control schema (when no stack holds a claim any more). */
export async function dropStableAndControl(client: ClientBase, prefix: string): Promise<void> {
  const state = await versions.stableState(client, prefix);
  if (state !== null) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(versions.stableSchemaName(prefix))} CASCADE`);
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(versions.controlSchemaName(prefix))} CASCADE`);
}
