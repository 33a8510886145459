/**
 * The shape of a ServiceDesk export: its DDL, the column order the generator
 * inserts in, and the text formats its timestamp columns hold.
 *
 * The formats differ per column on purpose: real exports mix them, and the
 * type-inference engine has to detect each one rather than assume it.
 */

/** The three tables of an export, parents first. */
export const SERVICEDESK_TABLES: readonly string[] = ["tickets", "comments", "timesheets"];

/** Names of the generated tables. */
export type ServicedeskTable = "tickets" | "comments" | "timesheets";

/** The export's DDL, verbatim as the legacy ServiceDesk tool writes it. */
export const SERVICEDESK_DDL = `CREATE TABLE tickets (
  id INTEGER PRIMARY KEY,
  ticket_number TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT,
  status TEXT NOT NULL DEFAULT 'open',
  priority TEXT NOT NULL,
  category TEXT,
  requester_email TEXT,
  assignee TEXT,
  team TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT,
  resolved_at TEXT,
  due_date TEXT,
  sla_breached TEXT,
  is_escalated BOOLEAN NOT NULL DEFAULT 0,
  reopen_count INTEGER NOT NULL DEFAULT 0,
  satisfaction_score REAL,
  estimated_cost NUMERIC(10,2)
);
CREATE UNIQUE INDEX idx_tickets_number ON tickets(ticket_number);
CREATE INDEX idx_tickets_status_priority ON tickets(status, priority);
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  author TEXT NOT NULL,
  body TEXT NOT NULL,
  is_internal BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL
);
CREATE INDEX idx_comments_ticket ON comments(ticket_id);
CREATE TABLE timesheets (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  technician TEXT NOT NULL,
  work_date DATE NOT NULL,
  hours NUMERIC(5,2) NOT NULL,
  billable TEXT NOT NULL,
  logged_at DATETIME NOT NULL,
  notes TEXT
);
CREATE INDEX idx_timesheets_ticket ON timesheets(ticket_id);
`;

/** A value bound to an INSERT parameter; Buffers carry raw bytes (see BYTE_TEXT_COLUMNS). */
export type SqlValue = string | number | Buffer | null;

/** Column order of each table, as in the DDL; generated rows are tuples in this order. */
export const SERVICEDESK_COLUMNS = {
  tickets: [
    "id",
    "ticket_number",
    "title",
    "description",
    "status",
    "priority",
    "category",
    "requester_email",
    "assignee",
    "team",
    "created_at",
    "updated_at",
    "resolved_at",
    "due_date",
    "sla_breached",
    "is_escalated",
    "reopen_count",
    "satisfaction_score",
    "estimated_cost",
  ],
  comments: ["id", "ticket_id", "author", "body", "is_internal", "created_at"],
  timesheets: ["id", "ticket_id", "technician", "work_date", "hours", "billable", "logged_at", "notes"],
} as const satisfies Record<ServicedeskTable, readonly string[]>;

/** Position of `column` in the tuples of `table`. */
export function columnIndex(table: ServicedeskTable, column: string): number {
  const index = (SERVICEDESK_COLUMNS[table] as readonly string[]).indexOf(column);
  if (index < 0) throw new RangeError(`table "${table}" has no column "${column}"`);
  return index;
}

/**
 * Text columns whose defects are raw bytes (a NUL, invalid UTF-8). A JS string
 * cannot hold invalid UTF-8, so those values arrive as Buffers and the insert
 * casts them; CAST(blob AS TEXT) keeps the bytes and makes typeof() 'text',
 * exactly what a careless C exporter leaves behind. Casting a string is a no-op.
 */
const BYTE_TEXT_COLUMNS: ReadonlySet<string> = new Set(["tickets.title", "comments.body"]);

/** The parameterized INSERT for `table`, one positional parameter per column. */
export function insertSql(table: ServicedeskTable): string {
  const columns = SERVICEDESK_COLUMNS[table];
  const params = columns.map((c) => (BYTE_TEXT_COLUMNS.has(`${table}.${c}`) ? "CAST(? AS TEXT)" : "?"));
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${params.join(", ")})`;
}

/** The text format each timestamp-like column holds in a clean export. */
export const SERVICEDESK_TIMESTAMP_FORMATS = {
  /** 'YYYY-MM-DD HH:MM:SS', UTC: tickets.created_at, tickets.resolved_at. */
  sqlDateTime: /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/,
  /** ISO 8601 with milliseconds and Z: tickets.updated_at. */
  isoMillisUtc: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
  /** 'DD/MM/YYYY HH:MM', day first: tickets.due_date. */
  dayFirst: /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/,
  /** ISO 8601 local time with an offset: comments.created_at. */
  isoOffset: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/,
  /** 'YYYY-MM-DD': timesheets.work_date. */
  date: /^\d{4}-\d{2}-\d{2}$/,
} as const;

/** Formats epoch seconds as 'YYYY-MM-DD HH:MM:SS' (UTC). */
export function formatSqlDateTime(epochSeconds: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** Formats epoch milliseconds as '2024-03-05T14:22:07.123Z'. */
export function formatIsoMillisUtc(epochMillis: number): string {
  return new Date(epochMillis).toISOString();
}

/** Formats epoch seconds as 'DD/MM/YYYY HH:MM' (UTC). */
export function formatDayFirst(epochSeconds: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString();
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)} ${iso.slice(11, 16)}`;
}

/** Formats epoch seconds as 'YYYY-MM-DD' (UTC). */
export function formatDate(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

/**
 * Formats an instant as the wall-clock time of a zone `offsetMinutes` east of
 * UTC, with that offset: the same instant reads '14:22:07+02:00' or '12:22:07+00:00'.
 */
export function formatIsoOffset(epochSeconds: number, offsetMinutes: number): string {
  const local = new Date((epochSeconds + offsetMinutes * 60) * 1000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const hours = String(Math.floor(abs / 60)).padStart(2, "0");
  const minutes = String(abs % 60).padStart(2, "0");
  return `${local}${sign}${hours}:${minutes}`;
}
