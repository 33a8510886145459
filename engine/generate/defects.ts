/**
 * Defects a real ServiceDesk export carries, injected on purpose so that the
 * quality gate has something to find, and counted exactly so that tests can
 * hold the gate's findings against the truth.
 *
 * Each class lives in one column, with values that no lenient parser rescues:
 * 'N/A' in an INTEGER column, bytes that are not UTF-8, a NUL inside a title
 * (PostgreSQL text cannot hold 0x00), unparseable timestamps, child rows whose
 * parent ticket never existed, and booleans that are neither true nor false.
 */
import { SeededRandom } from "./random";
import { columnIndex, ServicedeskTable, SqlValue } from "./schema";

/** The kinds of defect the generator can inject. */
export type DefectClass = "type-mismatch" | "invalid-utf8" | "nul-byte" | "bad-timestamp" | "orphan" | "bad-boolean";

/** Every defect class, in a stable order. */
export const DEFECT_CLASSES: readonly DefectClass[] = [
  "type-mismatch",
  "invalid-utf8",
  "nul-byte",
  "bad-timestamp",
  "orphan",
  "bad-boolean",
];

/** One injected defect: the row (by its id) and the column that carries it. */
export interface DefectRecord {
  table: string;
  column: string;
  rowId: number;
  kind: DefectClass;
}

/** The classes a row of each table may carry. */
export const DEFECTS_BY_TABLE: Readonly<Record<ServicedeskTable, readonly DefectClass[]>> = {
  tickets: ["type-mismatch", "nul-byte", "bad-timestamp"],
  comments: ["invalid-utf8", "orphan"],
  timesheets: ["orphan", "bad-boolean"],
};

/** The column each class corrupts; orphans live in ticket_id of either child table. */
const DEFECT_COLUMNS: Readonly<Record<DefectClass, string>> = {
  "type-mismatch": "reopen_count",
  "invalid-utf8": "body",
  "nul-byte": "title",
  "bad-timestamp": "updated_at",
  orphan: "ticket_id",
  "bad-boolean": "billable",
};

const NOT_AN_INTEGER = ["N/A", "two", "3.5x", "unknown", "n/a", "?", "1 or 2"];
const NOT_A_TIMESTAMP = ["not a date", "31/02/2024 25:61", "yesterday", "2024-13-45 99:99:99", "##########"];
const NOT_A_BOOLEAN = ["maybe", "2", "-1", "unknown", "tbd", "yes/no"];
/**
 * Byte sequences no UTF-8 decoder accepts: 'café' in Latin-1 (0xE9 then a
 * space), a lead byte without continuation, a lone 0xFF, a truncated
 * three-byte sequence, an overlong '/', and an encoded UTF-16 surrogate.
 */
const INVALID_UTF8 = [
  Buffer.from([0x20, 0x63, 0x61, 0x66, 0xe9, 0x20]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xff]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0xed, 0xa0, 0x80]),
];
const NUL = Buffer.from([0x00]);
/** Orphans point just past the last ticket, within this many ids. */
const ORPHAN_ID_SPAN = 1000;

/** Splits `text` at a space near its middle, so bytes inserted there never cut a UTF-8 sequence. */
function spliceBytes(text: string, bytes: Buffer): Buffer {
  const middle = text.indexOf(" ", text.length >> 1);
  const at = middle >= 0 ? middle : Math.max(text.lastIndexOf(" "), 0);
  return Buffer.concat([Buffer.from(text.slice(0, at), "utf8"), bytes, Buffer.from(text.slice(at), "utf8")]);
}

/**
 * Decides, row by row, whether a row carries a defect and which one, then
 * corrupts the row in place and keeps the ledger.
 *
 * It draws from its own stream, so the clean content of a seed is the same
 * whatever the defect rate: only the corrupted cells differ.
 */
export class DefectInjector {
  /** Exact number of injected defects per class. */
  readonly counts: Record<DefectClass, number> = {
    "type-mismatch": 0,
    "invalid-utf8": 0,
    "nul-byte": 0,
    "bad-timestamp": 0,
    orphan: 0,
    "bad-boolean": 0,
  };
  /** The first `sampleLimit` defects, in insertion order. */
  readonly samples: DefectRecord[] = [];

  constructor(
    private readonly rng: SeededRandom,
    private readonly rate: number,
    private readonly ticketCount: number,
    private readonly sampleLimit = 1000,
  ) {}

  /** With probability `rate`, corrupts one column of `row`, a tuple in the column order of `table`. */
  apply(table: ServicedeskTable, row: SqlValue[]): void {
    if (this.rate === 0 || !this.rng.chance(this.rate)) return;
    const kind = this.rng.pick(DEFECTS_BY_TABLE[table]);
    const column = DEFECT_COLUMNS[kind];
    const index = columnIndex(table, column);
    row[index] = this.corrupt(kind, row[index]);
    this.counts[kind]++;
    if (this.samples.length < this.sampleLimit) {
      this.samples.push({ table, column, rowId: row[0] as number, kind });
    }
  }

  private corrupt(kind: DefectClass, clean: SqlValue): SqlValue {
    switch (kind) {
      case "type-mismatch":
        return this.rng.pick(NOT_AN_INTEGER);
      case "invalid-utf8":
        return spliceBytes(String(clean), this.rng.pick(INVALID_UTF8));
      case "nul-byte":
        return spliceBytes(String(clean), NUL);
      case "bad-timestamp":
        return this.rng.pick(NOT_A_TIMESTAMP);
      case "orphan":
        return this.ticketCount + 1 + this.rng.int(0, ORPHAN_ID_SPAN - 1);
      case "bad-boolean":
        return this.rng.pick(NOT_A_BOOLEAN);
    }
  }
}
