/**
 * Every default of a migration, in one place: the engine resolves options
 * with these, the CLI shows them in its help, and the Pulumi resource's
 * lifecycle table (dynamic-providers/lifecycle.ts) takes its defaults from
 * here, as Pulumi.yaml and the README's configuration reference must (a
 * test holds them to it).
 */
import type { MigrationMode } from "./modes";

export type { MigrationMode };

/** What a value that cannot be converted does: its row is rejected, the value set to NULL, or the run fails. */
export type BadValuePolicy = "reject" | "null" | "fail";

export const DEFAULTS = {
  mode: "complete" as MigrationMode,
  schemaPrefix: "servicedesk",
  minQuality: 80,
  sampleRate: 0.1,
  sampleSeed: 1,
  badValuePolicy: "reject" as BadValuePolicy,
  /**
   * Years a number in a date column must fall in, in its reading, to be a
   * date: a flag, a counter or a value of another unit falls outside
   * (engine/formats/number-readings.ts).
   */
  dateRange: "1900-2200",
  /** Previous versions kept besides the active one. */
  retainVersions: 1,
  /** Root of the backups; each prefix has its own folder in it. */
  backupDirectory: "backups",
  /** The run report files go to <backupDirectory>/<reportFolder>, on the Pulumi path and the CLI's. */
  reportFolder: "reports",
  /**
   * pg_dump's codec. gzip:1 wrote 0.22x the bytes of none in under twice its
   * pg_dump time, which runs beside the load, not after it; higher levels
   * saved little more for far more CPU (README "Backups" has the measurement).
   */
  backupCompression: "gzip:1",
  /** Days a backup no retained version needs is kept after it was written. */
  backupKeepDays: 0,
  /**
   * How complete mode backs up the active version before a cutover:
   * "pg_dump", or "none", a stated choice for a server no pg_dump at hand
   * can dump (the replaced version is then retained for rollback).
   */
  backup: "pg_dump" as "pg_dump" | "none",
  minFreeDiskBytes: 256 * 1024 ** 2,
  minFreeMemoryBytes: 512 * 1024 ** 2,
  /**
   * Tables loaded at once, each in a session of its own: "auto" takes half
   * the cores of a server on this machine (its readers need the other half)
   * and 1 for a server elsewhere, whose cores PostgreSQL does not report
   * (engine/migrate/streams.ts).
   */
  streams: "auto" as number | "auto",
  /** How long a run waits for another run on the same prefix. */
  lockTimeoutMs: 10 * 60 * 1000,
} as const;
