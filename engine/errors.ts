/**
 * The engine's typed error catalogue. Every error has a stable `code` a
 * pipeline can branch on, a `name`, and a message that quotes the names
 * involved (table, column, key, schema). Causes are kept in `cause`.
 */

export type MigrationErrorCode =
  | "SOURCE_NOT_FOUND"
  | "SOURCE_NOT_A_FILE"
  | "SOURCE_NOT_SQLITE"
  | "SOURCE_CORRUPT"
  | "SOURCE_LOCKED"
  | "SOURCE_EMPTY"
  | "NO_TABLES_SELECTED"
  | "IDENTIFIER_TOO_LONG"
  | "IDENTIFIER_COLLISION"
  | "INVALID_OPTION"
  /** The quality gate blocked the run (a machine check such as disk, memory or the backup tool is one of its findings). */
  | "GATE_BLOCKED"
  | "BAD_VALUE"
  | "LOAD_FAILED"
  | "VALIDATION_FAILED"
  /** A table of the version lost over half its source rows to rejects, or all of them: it is kept, not served (allowTableLoss). */
  | "TABLE_LOSS"
  | "CANARY_FAILED"
  | "LOCK_TIMEOUT"
  | "SCHEMA_CONFLICT"
  | "VERSION_NOT_FOUND"
  | "BACKUP_FAILED"
  /** The backup codec setting names a codec the pg_dump in use cannot write (lz4, zstd before pg_dump 16). */
  | "BACKUP_CODEC_UNSUPPORTED"
  /** No pg_dump found dumps the server (it is older than the server); the message names both and the ways forward. */
  | "BACKUP_TOOL_MISMATCH"
  /** No pg_restore found reads the dump (it is older than the pg_dump that wrote it): refused before anything is touched. */
  | "RESTORE_TOOL_MISMATCH"
  | "RESTORE_FAILED"
  /** The run's scratch folder (beside the backups) cannot be created or written; the message names it. */
  | "SCRATCH_FAILED"
  | "CONNECTION_FAILED"
  /** No database was named (the CLI refuses to fall back on the maintenance database). */
  | "DATABASE_NOT_NAMED"
  | "PERMISSION_DENIED"
  | "ROLLBACK_FAILED"
  /** PostgreSQL refused a statement the engine did not expect to fail (its SQLSTATE is in the message). */
  | "DATABASE_ERROR"
  /** A defect of the engine itself: please report it. */
  | "INTERNAL_ERROR";

/** Where a failure happened, when it concerns one table, column or row. */
export interface FailureLocation {
  readonly table?: string;
  readonly column?: string;
  readonly rowKey?: string;
}

export class MigrationError extends Error {
  override readonly name: string = "MigrationError";
  readonly table?: string;
  readonly column?: string;
  readonly rowKey?: string;
  // `report`, the run report up to the failure, is declared beside the report (migrate/report.ts): this catalogue imports nothing.
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: { cause?: unknown } & FailureLocation,
  ) {
    super(message, options);
    if (options?.table !== undefined) this.table = options.table;
    if (options?.column !== undefined) this.column = options.column;
    if (options?.rowKey !== undefined) this.rowKey = options.rowKey;
  }
}

/** The quality gate blocked the run: nothing was written. Its report says why, with the ways forward. */
export class GateBlockedError extends MigrationError {
  override readonly name = "GateBlockedError";
  constructor(message: string, location: FailureLocation) {
    super("GATE_BLOCKED", message, location);
  }
}

/** The source file is missing, unreadable, not SQLite, corrupt or locked. */
export class SourceError extends MigrationError {
  override readonly name = "SourceError";
  constructor(
    code: Extract<MigrationErrorCode, `SOURCE_${string}` | "NO_TABLES_SELECTED">,
    readonly sourcePath: string,
    message: string,
    options?: { cause?: unknown; table?: string },
  ) {
    super(code, message, options);
  }
}

/** A PostgreSQL identifier would be longer than 63 bytes or two would collide. */
export class IdentifierError extends MigrationError {
  override readonly name = "IdentifierError";
  constructor(
    code: "IDENTIFIER_TOO_LONG" | "IDENTIFIER_COLLISION",
    readonly identifiers: readonly string[],
    message: string,
    location: FailureLocation = {},
  ) {
    super(code, message, location);
  }
}

/** An option is out of range or malformed; `field` names it. */
export class OptionError extends MigrationError {
  override readonly name = "OptionError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super("INVALID_OPTION", `${field}: ${message}`);
  }
}

/** A value that cannot be converted, under the `fail` policy. */
export class BadValueError extends MigrationError {
  override readonly name = "BadValueError";
  constructor(
    override readonly table: string,
    override readonly column: string,
    readonly key: string,
    readonly rawValue: string,
    readonly reason: string,
  ) {
    super("BAD_VALUE", `table "${table}", column "${column}", row ${key}: ${reason} (value ${rawValue})`, { table, column, rowKey: key });
  }
}

/** Rows, types or checksums in PostgreSQL differ from the source. */
export class ValidationError extends MigrationError {
  override readonly name = "ValidationError";
  constructor(
    readonly schema: string,
    readonly mismatches: readonly string[],
    table?: string,
  ) {
    super("VALIDATION_FAILED", `validation of schema "${schema}" failed: ${mismatches.join("; ")}`, table === undefined ? {} : { table });
  }
}

/** Another run holds the advisory lock of this schema prefix. */
export class LockTimeoutError extends MigrationError {
  override readonly name = "LockTimeoutError";
  constructor(
    readonly prefix: string,
    readonly holderPid: number | null,
    waitedMs: number,
  ) {
    super(
      "LOCK_TIMEOUT",
      `another migration holds the lock of schema prefix "${prefix}"` +
        (holderPid ? ` (server process ${holderPid})` : "") +
        `; waited ${Math.round(waitedMs / 1000)} s`,
    );
  }
}

/** A failure whose cleanup failed too: both are reported. */
export class RollbackError extends MigrationError {
  override readonly name = "RollbackError";
  constructor(
    readonly original: unknown,
    readonly rollbackFailure: unknown,
  ) {
    super("ROLLBACK_FAILED", `${describeError(original)}; and undoing it failed too: ${describeError(rollbackFailure)}`, {
      cause: original,
    });
  }
}

/**
 * Undoes what `cause` interrupted and rethrows `cause`; when the undo fails
 * too, a RollbackError names both. Every transaction's rollback and every
 * phase's undo goes through here, so no failure of an undo is swallowed.
 */
export async function undoAfter(cause: unknown, undo: () => Promise<unknown>): Promise<never> {
  try {
    await undo();
  } catch (undoFailure) {
    throw new RollbackError(cause, undoFailure);
  }
  throw cause;
}

/** PostgreSQL error fields worth carrying (node-postgres DatabaseError). */
export interface ServerErrorFields {
  code?: string;
  detail?: string;
  where?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/**
 * Anything thrown, as a MigrationError with a code: a server error the
 * engine did not expect is DATABASE_ERROR (with its SQLSTATE and the table
 * the server names); anything else INTERNAL_ERROR.
 */
export function asMigrationError(error: unknown): MigrationError {
  if (error instanceof MigrationError) return error;
  const fields = (error ?? {}) as ServerErrorFields & { severity?: string };
  if (error instanceof Error && typeof fields.code === "string" && /^[0-9A-Z]{5}$/.test(fields.code) && fields.severity !== undefined) {
    return new MigrationError("DATABASE_ERROR", `PostgreSQL error ${fields.code}: ${describeError(error)}`, {
      cause: error,
      ...(fields.table ? { table: fields.table } : {}),
      ...(fields.column ? { column: fields.column } : {}),
    });
  }
  return new MigrationError("INTERNAL_ERROR", `unexpected error (please report it): ${describeError(error)}`, { cause: error });
}

/** The message of anything thrown, with the server's detail when present. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const fields = error as Error & ServerErrorFields;
    const detail = fields.detail ? ` (${fields.detail})` : "";
    return `${error.message}${detail}`;
  }
  return String(error);
}
