/**
 * Writes a realistic ServiceDesk SQLite export, deterministically per seed,
 * at bulk-load speed: prepared statements, batched transactions, no journal.
 * Memory stays flat whatever the size: each ticket's rows are built, inserted
 * and dropped before the next ticket is drawn.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { DefectClass, DefectInjector, DefectRecord } from "./defects";
import { SeededRandom } from "./random";
import { insertSql, SERVICEDESK_DDL } from "./schema";
import { HelpdeskText } from "./vocabulary";
import { RowSink, ServicedeskRows } from "./rows";

/** Options of {@link generateServicedeskDatabase}. */
export interface GenerateOptions {
  /** Number of tickets; comments and timesheets follow (about 3.0 and 1.5 per ticket). */
  tickets: number;
  /** Seed of the content; the same seed and options give identical content. Defaults to 1. */
  seed?: number;
  /**
   * Probability, 0..1, that an eligible row carries one defect, the class drawn
   * among those its table can carry. Defaults to 0: a clean export.
   */
  defectRate?: number;
  /** Path of the SQLite file; an existing file and its -wal/-journal/-shm siblings are removed first. */
  out: string;
  /** Called after every batch of tickets (at most 10,000 apart) and once at the end. */
  onProgress?: (ticketsDone: number, ticketsTotal: number) => void;
}

/** What {@link generateServicedeskDatabase} wrote. */
export interface GenerateResult {
  /** Path of the database file. */
  path: string;
  /** Rows written per table. */
  rows: Record<"tickets" | "comments" | "timesheets", number>;
  /** Exact number of injected defects per class. */
  defects: Record<DefectClass, number>;
  /** The first 1000 defects, in insertion order. */
  defectSamples: DefectRecord[];
  /** Size of the database file in bytes. */
  bytes: number;
}

/** An option that cannot be honoured; `field` names it. */
export class GenerateOptionsError extends RangeError {
  override readonly name = "GenerateOptionsError";
  constructor(
    readonly field: keyof GenerateOptions,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Tickets per transaction: large enough to amortize the commit, small enough to report progress often. */
const TICKETS_PER_BATCH = 10_000;
/**
 * The page cache holds the B-tree pages being appended to (three tables,
 * four indexes); 256 MiB keeps the inner pages of every index resident.
 */
const CACHE_KIB = 256 * 1024;
/** Separates the defect stream from the content stream of the same seed. */
const DEFECT_STREAM = 1;

/**
 * Generates a ServiceDesk export: tickets, comments and timesheets in the
 * legacy DDL, with realistic text and the mixed timestamp formats of real
 * exports, plus defects at `defectRate`, counted exactly.
 *
 * @example
 * const result = generateServicedeskDatabase({ tickets: 2000, seed: 7, defectRate: 0.05, out: "/tmp/sd.sqlite" });
 * result.rows.comments;        // about 6000
 * result.defects.orphan;       // orphaned comments and timesheets, exactly
 */
export function generateServicedeskDatabase(options: GenerateOptions): GenerateResult {
  const { tickets, seed, defectRate, out } = validateOptions(options);
  removeDatabaseFiles(out);
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const db = new Database(out);
  const defects = new DefectInjector(new SeededRandom(seed, DEFECT_STREAM), defectRate, tickets);
  let rows: GenerateResult["rows"];
  try {
    configureForBulkLoad(db);
    db.exec(SERVICEDESK_DDL);
    rows = insertAllRows(db, tickets, new SeededRandom(seed), defects, options.onProgress);
    // OFF was only for the load: a reader of the finished file gets the default rollback journal.
    db.pragma("journal_mode = DELETE");
    db.close();
  } catch (error) {
    if (db.open) db.close();
    removeDatabaseFiles(out);
    throw error;
  }
  return { path: out, rows, defects: { ...defects.counts }, defectSamples: defects.samples, bytes: statSync(out).size };
}

function validateOptions(options: GenerateOptions): Required<Omit<GenerateOptions, "onProgress">> {
  const { tickets, seed = 1, defectRate = 0, out } = options;
  if (!Number.isSafeInteger(tickets) || tickets < 0) {
    throw new GenerateOptionsError("tickets", `must be a non-negative integer, got ${tickets}`);
  }
  if (!Number.isSafeInteger(seed)) throw new GenerateOptionsError("seed", `must be a safe integer, got ${seed}`);
  if (!(defectRate >= 0 && defectRate <= 1)) {
    throw new GenerateOptionsError("defectRate", `must be between 0 and 1, got ${defectRate}`);
  }
  if (typeof out !== "string" || out === "" || out === ":memory:") {
    throw new GenerateOptionsError("out", "must be the path of a file");
  }
  return { tickets, seed, defectRate, out };
}

/** Removes the database and the side files SQLite may have left next to it. */
function removeDatabaseFiles(file: string): void {
  for (const suffix of ["", "-wal", "-journal", "-shm"]) rmSync(file + suffix, { force: true });
}

/**
 * Durability is pointless while the file is being created from scratch (a
 * crash means regenerating it), so the journal and fsyncs are switched off.
 */
function configureForBulkLoad(db: Database.Database): void {
  // better-sqlite3 turns enforcement on by default; the legacy exporter never
  // did, which is how orphaned comments and timesheets get into real exports.
  db.pragma("foreign_keys = OFF");
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma("locking_mode = EXCLUSIVE");
  db.pragma("temp_store = MEMORY");
  db.pragma(`cache_size = -${CACHE_KIB}`);
}

function insertAllRows(
  db: Database.Database,
  tickets: number,
  rng: SeededRandom,
  defects: DefectInjector,
  onProgress: GenerateOptions["onProgress"],
): GenerateResult["rows"] {
  const factory = new ServicedeskRows(rng, new HelpdeskText(rng), defects);
  const insert = {
    tickets: db.prepare(insertSql("tickets")),
    comments: db.prepare(insertSql("comments")),
    timesheets: db.prepare(insertSql("timesheets")),
  };
  const write: RowSink = (table, row) => {
    insert[table].run(row);
  };
  const insertBatch = db.transaction((first: number, last: number) => {
    for (let id = first; id <= last; id++) factory.ticketWithChildren(id, write);
  });
  for (let first = 1; first <= tickets; first += TICKETS_PER_BATCH) {
    const last = Math.min(first + TICKETS_PER_BATCH - 1, tickets);
    insertBatch(first, last);
    onProgress?.(last, tickets);
  }
  if (tickets === 0) onProgress?.(0, 0);
  return { tickets, comments: factory.commentCount, timesheets: factory.timesheetCount };
}
