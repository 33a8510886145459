/**
 * Transactions on a dedicated client, and the one way every transaction of
 * the engine ends after a failure: ROLLBACK, and when that fails too (a
 * broken connection), a RollbackError naming both. Catalog changes
 * (CREATE SCHEMA, COMMENT ON SCHEMA, views) are transactional in
 * PostgreSQL, so each transaction happens completely or not at all.
 */
import type { ClientBase } from "pg";
import { undoAfter } from "../errors";

/** Ends the open transaction with ROLLBACK and rethrows `cause`, or a RollbackError with both when the rollback fails. */
export function rollBack(client: ClientBase, cause: unknown): Promise<never> {
  return undoAfter(cause, () => client.query("ROLLBACK"));
}

/**
 * Runs `fn` between BEGIN and COMMIT; on failure rolls back and rethrows.
 * Call it outside any transaction: a nested BEGIN would not nest.
 */
export async function inTransaction<T>(client: ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const result = await fn();
    await client.query("COMMIT");
    return result;
  } catch (error) {
    return rollBack(client, error);
  }
}
