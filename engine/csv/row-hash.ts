/**
 * The checksum of a table that has no reproducible order: each CSV line is
 * hashed on its own and the hashes are summed modulo 2^64, so the order rows
 * are sent or read back in does not matter. The readers, the merge of their
 * parts and the validation's read-back must compute it identically: they
 * all use this module.
 *
 * The row hash is xxHash64 (xxhash-wasm): the sum guards against a stored
 * row that differs from the one sent, not against an adversary, and a
 * one-shot sha256 per row cost six times as much (its setup, not its
 * bytes, dominates rows of a hundred bytes).
 */
import xxhash from "xxhash-wasm";
import type { ReadOrder } from "../plan/model";

const MASK64 = 2n ** 64n - 1n;

/** Whether a table is checksummed row by row (no order to read it back in) rather than as one stream. */
export function hashedByRows(table: { readonly readOrder: ReadOrder }): boolean {
  return table.readOrder.kind === "none";
}

/** The order-free sum of row hashes of one table, or of one part of it. */
export interface RowHashSum {
  /** Adds one CSV line, its trailing newline included; a string is hashed as its UTF-8. */
  add(line: string | Uint8Array): void;
  /** The sum as text, the form parts are combined from (combineRowHashes). */
  text(): string;
}

/** A new, empty sum. Asynchronous once per thread: the hash's WebAssembly module is compiled on first use. */
export async function rowHashSum(): Promise<RowHashSum> {
  const { h64, h64Raw } = await hashApi();
  let sum = 0n;
  return {
    add(line) {
      sum = (sum + (typeof line === "string" ? h64(line) : h64Raw(line))) & MASK64;
    },
    text: () => sum.toString(16),
  };
}

let api: ReturnType<typeof xxhash> | null = null;
function hashApi(): ReturnType<typeof xxhash> {
  return (api ??= xxhash());
}

/** The checksum of a table read in parts, from each part's text(). */
export function combineRowHashes(parts: readonly string[]): string {
  return parts.reduce((sum, part) => (sum + BigInt(`0x${part}`)) & MASK64, 0n).toString(16);
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * The row checksum of CSV bytes as COPY TO sends them, in chunks that may
 * end anywhere: inside a row, inside a quoted field, inside a multi-byte
 * character. Rows are cut on the bytes (a newline outside quotes; both are
 * ASCII, so never part of a UTF-8 sequence) and hashed as bytes, so no
 * chunk is ever decoded on its own. The scan jumps from quote to newline
 * with indexOf rather than looking at every byte in JavaScript.
 */
export class CsvRowHasher {
  private inQuotes = false;
  /** Bytes of the row begun in earlier chunks. */
  private pending: Buffer[] = [];

  private constructor(private readonly sum: RowHashSum) {}

  static async create(): Promise<CsvRowHasher> {
    return new CsvRowHasher(await rowHashSum());
  }

  update(chunk: Buffer): void {
    let rowStart = 0;
    let at = 0;
    let nextQuote = chunk.indexOf(QUOTE, 0);
    while (at < chunk.length) {
      if (this.inQuotes) {
        if (nextQuote < 0) break; // the rest of the chunk is inside quotes
        this.inQuotes = false;
        at = nextQuote + 1;
        nextQuote = chunk.indexOf(QUOTE, at);
        continue;
      }
      const newline = chunk.indexOf(NEWLINE, at);
      if (nextQuote >= 0 && (newline < 0 || nextQuote < newline)) {
        this.inQuotes = true;
        at = nextQuote + 1;
        nextQuote = chunk.indexOf(QUOTE, at);
        continue;
      }
      if (newline < 0) break;
      const row = chunk.subarray(rowStart, newline + 1);
      this.sum.add(this.pending.length > 0 ? Buffer.concat([...this.pending, row]) : row);
      this.pending = [];
      rowStart = at = newline + 1;
    }
    if (rowStart < chunk.length) this.pending.push(Buffer.from(chunk.subarray(rowStart)));
  }

  /** The checksum; bytes after the last newline would be a row COPY never sends, so they are refused. */
  digest(): string {
    if (this.pending.length > 0) throw new Error("the CSV read back ends inside a row");
    return this.sum.text();
  }
}
