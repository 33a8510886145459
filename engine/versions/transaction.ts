/**
 * One transaction on a dedicated client. Catalog changes of this module
 * (CREATE SCHEMA, COMMENT ON SCHEMA, views) are transactional in PostgreSQL,
 * so each step either happens completely or not at all.
 */
import type { ClientBase } from "pg";
import { RollbackError } from "../errors";

/**
 * Runs `fn` between BEGIN and COMMIT; on failure rolls back and rethrows.
 * If the rollback fails too (a broken connection), both are reported.
 * Call it outside any transaction: a nested BEGIN would not nest.
 */
export async function inTransaction<T>(client: ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await fn();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    try {
      await client.query("ROLLBACK");
    } catch (rollbackFailure) {
      throw new RollbackError(error, rollbackFailure);
    }
    throw error;
  }
}
