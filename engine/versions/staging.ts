/**
 * The staging schema of parallel load streams. PostgreSQL runs one
 * transaction per session, so tables loaded by several sessions at once
 * must commit before the version's transaction can take them: each stream
 * commits its loaded, keyed and validated table into <prefix>_staging, and
 * the version's transaction moves them into the new version with ALTER
 * TABLE ... SET SCHEMA (a catalog change; no row is copied). Readers never
 * see it: the stable views point at versions only.
 *
 * The staging schema is load/staging-load.ts's; the run drops it when it ends, whether the version committed (it is
 * empty then) or not. A killed run leaves it; the next run on the prefix,
 * which holds the prefix lock and so is the only one that could be using
 * it, drops it before anything else, and so does destroy. A schema of that
 * name without our mark is never dropped.
 */
import type { ClientBase } from "pg";
import { MigrationError } from "../errors";
import { quoteIdent, quoteLiteral } from "../sql/identifiers";
import { isStagingComment, readSchemaComment, stagingComment } from "./metadata";
import { inTransaction } from "../sql/transaction";
import { stagingSchemaName } from "./naming";

/** Creates the prefix's staging schema (after dropping one a stopped run left). Call holding the prefix lock. */
export async function createStaging(client: ClientBase, prefix: string): Promise<string> {
  const schema = stagingSchemaName(prefix);
  await dropStaging(client, prefix);
  if ((await readSchemaComment(client, schema)) !== undefined)
    throw new MigrationError("SCHEMA_CONFLICT", `schema "${schema}" exists and is not ours; parallel load streams need that name`);
  await inTransaction(client, async () => {
    await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await client.query(`COMMENT ON SCHEMA ${quoteIdent(schema)} IS ${quoteLiteral(stagingComment(prefix))}`);
  });
  return schema;
}

/** Drops the prefix's staging schema when it is ours; true when there was one. Call holding the prefix lock. */
export async function dropStaging(client: ClientBase, prefix: string): Promise<boolean> {
  const schema = stagingSchemaName(prefix);
  if (!isStagingComment(prefix, await readSchemaComment(client, schema))) return false;
  await client.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
  return true;
}
