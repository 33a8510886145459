/** What a destroy removes beyond the versions: the stable and control schemas of a prefix no holder is left on. */
import type { ClientBase } from "pg";
import { quoteIdent } from "../engine/sql/identifiers";
import { versions } from "../engine";

/** Removes the stable views, the control schema and a staging schema a stopped load left (when no stack holds a claim any more). */
export async function dropStableAndControl(client: ClientBase, prefix: string): Promise<void> {
  await versions.dropStaging(client, prefix);
  const state = await versions.stableState(client, prefix);
  if (state !== null) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(versions.stableSchemaName(prefix))} CASCADE`);
  await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(versions.controlSchemaName(prefix))} CASCADE`);
}
