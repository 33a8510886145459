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

/** `sum` with one more CSV line (its trailing newline included) added. */
export function addRowHash(sum: bigint, line: string): bigint {
  return (sum + hash("sha256", line, "buffer").readBigUInt64BE(0)) % MOD64;
}

export function rowHashText(sum: bigint): string {
  return sum.toString(16);
}

/** The checksum of a table read in parts, from each part's rowHashText. */
export function combineRowHashes(parts: readonly string[]): string {
  return rowHashText(parts.reduce((sum, part) => (sum + BigInt(`0x${part}`)) % MOD64, 0n));
}
