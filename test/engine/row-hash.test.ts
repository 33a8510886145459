/**
 * The row checksum of a table without an order, computed over the bytes
 * COPY TO sends. Chunk boundaries fall wherever the server's buffers end:
 * inside a multi-byte character, inside a quoted field, between CR and LF.
 * These tests put a boundary at every byte of a row set, so none is left
 * to chance.
 */
import { combineRowHashes, CsvRowHasher, rowHashSum } from "../../engine/csv/row-hash";

const ROWS = [
  "Jürgen Ødegård,2024-01-02,1.50,Überstunden ☕ 日本\n",
  '"Zoë, ""Çelik""",2024-01-03,,"two\nlines and 𝄞"\n',
  '王小明,2024-01-04,8.00,""\n',
  '"a\r\nb",,,x\n',
  'plain,"""",,"ends in a quote """\n',
];
const TEXT = ROWS.join("");
const BYTES = Buffer.from(TEXT, "utf8");

/** What the readers compute: each line, as the string they encode, added to one sum. */
async function readerSum(rows: readonly string[]): Promise<string> {
  const sum = await rowHashSum();
  for (const row of rows) sum.add(row);
  return sum.text();
}

async function hashOf(chunks: readonly Buffer[]): Promise<string> {
  const hasher = await CsvRowHasher.create();
  for (const chunk of chunks) hasher.update(chunk);
  return hasher.digest();
}

let EXPECTED: string;
beforeAll(async () => {
  EXPECTED = await readerSum(ROWS);
});

it("holds multi-byte characters, quotes and newlines in quotes: the rows are those the loader hashed", async () => {
  expect(BYTES.length).toBeGreaterThan(TEXT.length); // there are multi-byte characters to split
  expect(await hashOf([BYTES])).toBe(EXPECTED);
});

it("gives the same checksum with the stream cut at every byte, in two chunks", async () => {
  const wrong = [];
  for (let cut = 0; cut <= BYTES.length; cut++) {
    if ((await hashOf([BYTES.subarray(0, cut), BYTES.subarray(cut)])) !== EXPECTED) wrong.push(cut);
  }
  expect(wrong).toEqual([]);
});

it("gives the same checksum with the stream cut at every pair of bytes, in three chunks", async () => {
  const wrong = [];
  for (let first = 0; first <= BYTES.length; first++) {
    for (let second = first; second <= BYTES.length; second += 7) {
      const chunks = [BYTES.subarray(0, first), BYTES.subarray(first, second), BYTES.subarray(second)];
      if ((await hashOf(chunks)) !== EXPECTED) wrong.push([first, second]);
    }
  }
  expect(wrong).toEqual([]);
});

it("gives the same checksum with the stream in one-byte chunks", async () => {
  const chunks = Array.from({ length: BYTES.length }, (_, i) => BYTES.subarray(i, i + 1));
  expect(await hashOf(chunks)).toBe(EXPECTED);
});

it("does not take row order into account, and counts a repeated row twice", async () => {
  const reordered = Buffer.from([ROWS[2], ROWS[0], ROWS[4], ROWS[3], ROWS[1]].join(""), "utf8");
  expect(await hashOf([reordered])).toBe(EXPECTED);
  expect(await hashOf([BYTES, Buffer.from(ROWS[0], "utf8")])).not.toBe(EXPECTED);
});

it("changes with any one byte of any row changed", async () => {
  const same = [];
  for (let i = 0; i < BYTES.length; i++) {
    if (BYTES[i] === 0x22 || BYTES[i] === 0x0a) continue; // would change where rows end, not what they hold
    const changed = Buffer.from(BYTES);
    changed[i] ^= 0x01;
    if ((await hashOf([changed])) === EXPECTED) same.push(i);
  }
  expect(same).toEqual([]);
});

it("combines the sums of parts into the sum of the whole", async () => {
  const parts = [await readerSum(ROWS.slice(0, 2)), await readerSum(ROWS.slice(2, 3)), await readerSum(ROWS.slice(3))];
  expect(combineRowHashes(parts)).toBe(EXPECTED);
  expect(combineRowHashes([await readerSum([])])).toBe("0");
});

it("refuses a stream that ends inside a row", async () => {
  const hasher = await CsvRowHasher.create();
  hasher.update(BYTES.subarray(0, BYTES.length - 1));
  expect(() => hasher.digest()).toThrow("the CSV read back ends inside a row");
});
