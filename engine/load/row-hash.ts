/**
 * The checksum of a table that has no reproducible order: each CSV line is
 * hashed on its own (the first 8 bytes of its sha256) and the hashes are
 * summed modulo 2^64, so the order rows are sent or read back in does not
 * matter. The readers, the merge of their parts and the validation's
 * read-back must compute it identically: they all use this module.
 */
import { hash } from "node:crypto";
import type { ReadOrder } from "../plan/model";

const MOD64 = 2n ** 64n;

/** Whether a table is checksummed row by row (no order to read it back in) rather than as one stream. */
export function hashedByRows(table: { readonly readOrder: ReadOrder }): boolean {
  return table.readOrder.kind === "none";
}

/** `sum` with one more CSV line (its trailing newline included; a string is hashed as its UTF-8) added. */
export function addRowHash(sum: bigint, line: string | Buffer): bigint {
  return (sum + hash("sha256", line, "buffer").readBigUInt64BE(0)) % MOD64;
}

export function rowHashText(sum: bigint): string {
  return sum.toString(16);
}

/** The checksum of a table read in parts, from each part's rowHashText. */
export function combineRowHashes(parts: readonly string[]): string {
  return rowHashText(parts.reduce((sum, part) => (sum + BigInt(`0x${part}`)) % MOD64, 0n));
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * The row checksum of CSV bytes as COPY TO sends them, in chunks that may
 * end anywhere: inside a row, inside a quoted field, inside a multi-byte
 * character. Rows are cut on the bytes (a newline outside quotes; both are
 * ASCII, so never part of a UTF-8 sequence) and hashed as bytes, so no
 * chunk is ever decoded on its own.
 */
export class CsvRowHasher {
  private sum = 0n;
  private inQuotes = false;
  /** Bytes of the row begun in earlier chunks. */
  private pending: Buffer[] = [];

  update(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === QUOTE) this.inQuotes = !this.inQuotes;
      else if (byte === NEWLINE && !this.inQuotes) {
        const row = chunk.subarray(start, i + 1);
        this.sum = addRowHash(this.sum, this.pending.length > 0 ? Buffer.concat([...this.pending, row]) : row);
        this.pending = [];
        start = i + 1;
      }
    }
    if (start < chunk.length) this.pending.push(Buffer.from(chunk.subarray(start)));
  }

  /** The checksum; bytes after the last newline would be a row COPY never sends, so they are refused. */
  digest(): string {
    if (this.pending.length > 0) throw new Error("the CSV read back ends inside a row");
    return rowHashText(this.sum);
  }
}
