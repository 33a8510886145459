/**
 * The rows of one ticket and its comments and timesheets, drawn from the
 * seeded random source: realistic spreads of hours, replies, time logged,
 * reopenings and time zones, with defects injected where asked.
 */
import { DefectInjector } from "./defects";
import { SeededRandom, WeightedChoice } from "./random";
import { formatDate, formatDayFirst, formatIsoMillisUtc, formatIsoOffset, formatSqlDateTime, ServicedeskTable, SqlValue } from "./schema";
import { CATEGORIES, HelpdeskText, PRIORITIES, STATUSES, TEAMS } from "./vocabulary";

/** Receives each built row, a ticket before its comments and timesheets. */
export type RowSink = (table: ServicedeskTable, row: SqlValue[]) => void;

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
export class ServicedeskRows {
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
