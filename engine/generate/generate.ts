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
import { SeededRandom, WeightedChoice } from "./random";
import {
  formatDate,
  formatDayFirst,
  formatIsoMillisUtc,
  formatIsoOffset,
  formatSqlDateTime,
  insertSql,
  SERVICEDESK_DDL,
  ServicedeskTable,
  SqlValue,
} from "./schema";
import { CATEGORIES, HelpdeskText, PRIORITIES, STATUSES, TEAMS } from "./vocabulary";

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

/** Receives each built row, a ticket before its comments and timesheets. */
type RowSink = (table: ServicedeskTable, row: SqlValue[]) => void;

/** What a ticket's comments and timesheets need to know about it. */
interface TicketContext {
  readonly id: number;
  readonly createdAt: number;
  readonly requester: string;
  readonly assignee: string | null;
}

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
const CREATED_FROM = Date.UTC(2019, 0, 1) / 1000;
const CREATED_DAYS = (Date.UTC(2026, 0, 1) - Date.UTC(2019, 0, 1)) / 86_400_000;
/** Tickets arrive mostly in office hours; the night shift still sees a few. */
const HOURS = new WeightedChoice<number>(
  Array.from({ length: 24 }, (_, h) => [h, h >= 8 && h < 18 ? 10 : h >= 6 && h < 21 ? 3 : 1] as const),
);
/** Means: 3.06 comments and 1.52 timesheets per ticket. */
const COMMENTS_PER_TICKET = new WeightedChoice<number>([
  [0, 9],
  [1, 14],
  [2, 18],
  [3, 20],
  [4, 16],
  [5, 11],
  [6, 7],
  [7, 5],
]);
const TIMESHEETS_PER_TICKET = new WeightedChoice<number>([
  [0, 24],
  [1, 30],
  [2, 24],
  [3, 14],
  [4, 8],
]);
const REOPENS = new WeightedChoice<number>([
  [0, 85],
  [1, 10],
  [2, 4],
  [3, 1],
]);
/** Minutes east of UTC of the agents' and requesters' clocks (+00:00, +01:00, +02:00, -05:00, +05:30). */
const UTC_OFFSETS = new WeightedChoice<number>([
  [0, 35],
  [60, 25],
  [120, 10],
  [-300, 18],
  [330, 12],
]);
const RESPONSE_TIME: Readonly<Record<string, number>> = { P1: 4 * HOUR, P2: DAY, P3: 3 * DAY, P4: 10 * DAY };

/** Builds the rows of one ticket after another from the content stream. */
class ServicedeskRows {
  commentCount = 0;
  timesheetCount = 0;

  constructor(
    private readonly rng: SeededRandom,
    private readonly text: HelpdeskText,
    private readonly defects: DefectInjector,
  ) {}

  /** Builds ticket `id` and its children, corrupts some, and hands each row to `sink`. */
  ticketWithChildren(id: number, sink: RowSink): void {
    const { row, context } = this.ticket(id);
    this.defects.apply("tickets", row);
    sink("tickets", row);
    let commentAt = context.createdAt;
    for (let n = COMMENTS_PER_TICKET.pick(this.rng); n > 0; n--) {
      commentAt += this.rng.int(5 * MINUTE, 3 * DAY);
      const comment = this.comment(context, commentAt);
      this.defects.apply("comments", comment);
      sink("comments", comment);
    }
    for (let n = TIMESHEETS_PER_TICKET.pick(this.rng); n > 0; n--) {
      const timesheet = this.timesheet(context);
      this.defects.apply("timesheets", timesheet);
      sink("timesheets", timesheet);
    }
  }

  private ticket(id: number): { row: SqlValue[]; context: TicketContext } {
    const { rng, text } = this;
    const createdAt = CREATED_FROM + rng.int(0, CREATED_DAYS - 1) * DAY + HOURS.pick(rng) * HOUR + rng.int(0, HOUR - 1);
    const status = STATUSES.pick(rng);
    const priority = PRIORITIES.pick(rng);
    const requester = text.person();
    const assignee = rng.chance(0.1) ? null : rng.pick(text.staff);
    const row: SqlValue[] = [
      id,
      `SD-${String(id).padStart(7, "0")}`,
      text.title(),
      rng.chance(0.02) ? null : text.description(),
      status,
      priority,
      rng.chance(0.03) ? null : rng.pick(CATEGORIES),
      rng.chance(0.01) ? null : requester.email,
      assignee,
      rng.pick(TEAMS),
      ...this.timeline(createdAt, status, priority),
    ];
    return { row, context: { id, createdAt, requester: requester.name, assignee } };
  }

  /** created_at .. estimated_cost: the columns that follow from when and how a ticket was handled. */
  private timeline(createdAt: number, status: string, priority: string): SqlValue[] {
    const rng = this.rng;
    const done = status === "resolved" || status === "closed";
    // Most tickets close within hours, a long tail takes weeks.
    const resolvedAt = done ? createdAt + 10 * MINUTE + Math.floor(rng.float() ** 3 * 30 * DAY) : null;
    const lastTouch = (resolvedAt ?? createdAt) * 1000 + rng.int(0, 5 * DAY * 1000);
    const dueAt = rng.chance(0.8) ? createdAt + RESPONSE_TIME[priority] + rng.int(0, 8 * HOUR) : null;
    const breached = dueAt !== null && (resolvedAt !== null ? resolvedAt > dueAt : rng.chance(0.3));
    const escalated = rng.chance(priority === "P1" ? 0.4 : 0.08);
    // Only resolved tickets get a survey back, and not all of them: ~60% NULL overall.
    const score = done && rng.chance(0.63) ? Math.round((1 + 4 * (1 - rng.float() ** 2)) * 10) / 10 : null;
    const cost = rng.chance(0.3) ? null : Math.round(rng.float() ** 2 * 500_000) / 100;
    return [
      formatSqlDateTime(createdAt),
      rng.chance(0.05) ? null : formatIsoMillisUtc(lastTouch),
      resolvedAt === null ? null : formatSqlDateTime(resolvedAt),
      dueAt === null ? null : formatDayFirst(dueAt),
      breached ? "Yes" : "No",
      escalated ? 1 : 0,
      REOPENS.pick(rng),
      score,
      cost,
    ];
  }

  private comment(ticket: TicketContext, at: number): SqlValue[] {
    const { rng, text } = this;
    const fromRequester = rng.chance(0.35);
    const agent = ticket.assignee !== null && rng.chance(0.7) ? ticket.assignee : rng.pick(text.staff);
    const internal = !fromRequester && rng.chance(0.3);
    return [
      ++this.commentCount,
      ticket.id,
      fromRequester ? ticket.requester : agent,
      text.commentBody(),
      internal ? "true" : "false",
      formatIsoOffset(at, UTC_OFFSETS.pick(rng)),
    ];
  }

  private timesheet(ticket: TicketContext): SqlValue[] {
    const { rng, text } = this;
    const technician = ticket.assignee !== null && rng.chance(0.7) ? ticket.assignee : rng.pick(text.staff);
    const workedAt = ticket.createdAt + rng.int(0, 10 * DAY);
    // Quarter hours from 0.25 to 8.00, short sessions far more common than full days.
    const hours = (1 + Math.floor(rng.float() ** 2 * 32)) / 4;
    return [
      ++this.timesheetCount,
      ticket.id,
      technician,
      formatDate(workedAt),
      hours,
      rng.chance(0.7) ? "true" : "false",
      workedAt + rng.int(0, 36 * HOUR),
      rng.chance(0.4) ? null : text.note(),
    ];
  }
}
