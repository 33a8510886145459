/**
 * One run per prefix at a time, across machines: a PostgreSQL advisory lock
 * keyed by (a constant of this tool, hashtext(prefix)).
 *
 * Runs take it as a session lock for their whole duration (a load spans
 * many transactions); switch_to() takes the same key as a transaction lock.
 * Between sessions the two conflict, so a cutover waits for a running load;
 * within one session they never do, so a run that holds the session lock can
 * call switch_to() without deadlocking itself.
 */
import type { ClientBase } from "pg";
import { DEFAULTS } from "../defaults";
import { LockTimeoutError, RollbackError } from "../errors";
import { quoteLiteral } from "../sql/identifiers";
import { validatePrefix } from "./naming";

/**
 * First half of the two-int4 advisory key: "SDMG" in ASCII, so the locks of
 * this tool stand apart from other users of advisory locks in pg_locks.
 */
export const ADVISORY_LOCK_CLASS_ID = 0x53444d47;

export const DEFAULT_LOCK_TIMEOUT_MS = DEFAULTS.lockTimeoutMs;
const POLL_INTERVAL_MS = 200;

/**
 * The argument list of the advisory-lock functions for the prefix given as
 * a SQL text expression: `pg_advisory_xact_lock(${prefixLockKeySql("p")})`.
 * hashtext() is computed by the server so every client agrees on the key.
 */
export function prefixLockKeySql(prefixExpression: string): string {
  return `${ADVISORY_LOCK_CLASS_ID}, "pg_catalog"."hashtext"(${prefixExpression})`;
}

const TRY_LOCK_SQL = `SELECT "pg_catalog"."pg_try_advisory_lock"(${prefixLockKeySql("$1")}) AS "locked"`;
const UNLOCK_SQL = `SELECT "pg_catalog"."pg_advisory_unlock"(${prefixLockKeySql("$1")}) AS "unlocked"`;
/** Two-int4 advisory keys show in pg_locks as classid, objid, objsubid = 2 (the int4s as unsigned oids). */
const HOLDER_SQL = `
  SELECT "pid" FROM "pg_catalog"."pg_locks"
  WHERE "locktype" = 'advisory' AND "granted" AND "objsubid" = 2
    AND "classid" = ${ADVISORY_LOCK_CLASS_ID}::"oid"
    AND "objid" = "pg_catalog"."hashtext"($1)::"int4"::"oid"
    AND "database" = (SELECT "oid" FROM "pg_catalog"."pg_database" WHERE "datname" = "pg_catalog"."current_database"())
    AND "pid" <> "pg_catalog"."pg_backend_pid"()
  LIMIT 1`;

/** For use inside SQL text built by this module (the prefix is validated, then quoted). */
export function prefixLockKeyLiteral(prefix: string): string {
  validatePrefix(prefix);
  return prefixLockKeySql(quoteLiteral(prefix));
}

export interface PrefixLockOptions {
  /** How long to wait for another run to finish. Defaults to 10 minutes. */
  timeoutMs?: number;
}

/** The server process holding the prefix lock in another session, or null. */
export async function prefixLockHolder(client: ClientBase, prefix: string): Promise<number | null> {
  const { rows } = await client.query<{ pid: number }>(HOLDER_SQL, [prefix]);
  return rows.length > 0 ? rows[0].pid : null;
}

async function acquire(client: ClientBase, prefix: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>(TRY_LOCK_SQL, [prefix]);
    if (rows[0].locked) return;
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      throw new LockTimeoutError(prefix, await prefixLockHolder(client, prefix), waited);
    }
    // Polling pg_try_advisory_lock, not a blocking pg_advisory_lock: a
    // blocked query could only be abandoned by cancelling it from another
    // connection, and the holder's pid could not be reported.
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_INTERVAL_MS, timeoutMs - waited)));
  }
}

/**
 * Runs `fn` while this session holds the prefix lock; waits up to
 * `timeoutMs` for another run, then throws LockTimeoutError naming the
 * prefix and the holder's pid. The lock is re-entrant within the session and
 * always released, whether `fn` returns or throws.
 *
 * @example
 * await withPrefixLock(client, "servicedesk", { timeoutMs: 60_000 }, async () => {
 *   const schema = await allocateVersionName(client, "servicedesk");
 *   // ... load into schema, validate, commit, switchTo ...
 * });
 */
export async function withPrefixLock<T>(client: ClientBase, prefix: string, options: PrefixLockOptions, fn: () => Promise<T>): Promise<T> {
  validatePrefix(prefix);
  await acquire(client, prefix, options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await release(client, prefix).catch((unlockFailure: unknown) => {
      throw new RollbackError(error, unlockFailure);
    });
    throw error;
  }
  await release(client, prefix);
  return result;
}

async function release(client: ClientBase, prefix: string): Promise<void> {
  try {
    await client.query(UNLOCK_SQL, [prefix]);
  } catch {
    // A failed transaction left open by `fn` refuses every query until it
    // ends; ROLLBACK ends it and keeps the session lock, which survives
    // transaction ends, so the unlock can then run.
    await client.query("ROLLBACK");
    await client.query(UNLOCK_SQL, [prefix]);
  }
}
