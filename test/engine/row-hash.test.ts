/**
 * The row checksum of a table without an order, computed over the bytes
 * COPY TO sends. Chunk boundaries fall wherever the server's buffers end:
 * inside a multi-byte character, inside a quoted field, between CR and LF.
 * These tests put a boundary at every byte of a row set, so none is left
 * to chance.
 */
import { addRowHash, CsvRowHasher, rowHashText } from "../../engine/load/row-hash";

const ROWS = [
  "Jürgen Ødegård,2024-01-02,1.50,Überstunden ☕ 日本\n",
  '"Zoë, ""Çelik""",2024-01-03,,"two\nlines and 𝄞"\n',
  '王小明,2024-01-04,8.00,""\n',
  '"a\r\nb",,,x\n',
];
const TEXT = ROWS.join("");
const BYTES = Buffer.from(TEXT, "utf8");
const EXPECTED = rowHashText(ROWS.reduce((sum, row) => addRowHash(sum, row), 0n));

function hashOf(chunks: readonly Buffer[]): string {
  const hasher = new CsvRowHasher();
  for (const chunk of chunks) hasher.update(chunk);
  return hasher.digest();
}

it("holds multi-byte characters, quotes and newlines in quotes: the rows are those the loader hashed", () => {
  expect(BYTES.length).toBeGreaterThan(TEXT.length); // there are multi-byte characters to split
  expect(hashOf([BYTES])).toBe(EXPECTED);
});

it("gives the same checksum with the stream cut at every byte, in two chunks", () => {
  const wrong = [];
  for (let cut = 0; cut <= BYTES.length; cut++) {
    if (hashOf([BYTES.subarray(0, cut), BYTES.subarray(cut)]) !== EXPECTED) wrong.push(cut);
  }
  expect(wrong).toEqual([]);
});

it("gives the same checksum with the stream in one-byte chunks", () => {
  const chunks = Array.from({ length: BYTES.length }, (_, i) => BYTES.subarray(i, i + 1));
  expect(hashOf(chunks)).toBe(EXPECTED);
});

it("does not take row order into account, and counts a repeated row twice", () => {
  const reordered = Buffer.from([ROWS[2], ROWS[0], ROWS[3], ROWS[1]].join(""), "utf8");
  expect(hashOf([reordered])).toBe(EXPECTED);
  expect(hashOf([BYTES, Buffer.from(ROWS[0], "utf8")])).not.toBe(EXPECTED);
});

it("refuses a stream that ends inside a row", () => {
  expect(() => hashOf([BYTES.subarray(0, BYTES.length - 1)])).toThrow("the CSV read back ends inside a row");
});
