/**
 * The header of a pg_dump custom-format archive: the codec, the database
 * it was dumped from, the server's version and the pg_dump that wrote it,
 * read without pg_restore.
 */
import { open } from "node:fs/promises";

/** The header fields read are within the first bytes: magic, versions, sizes, codec, time, database name. */
const HEADER_BYTES = 4096;
const ALGORITHMS = ["none", "gzip", "lz4", "zstd"];

export interface DumpHeader {
  compression: string;
  database: string | null;
  /** The server it was dumped from, and the pg_dump that wrote it ("15.20 (Debian ...)"), when the header holds them. */
  serverVersion?: string;
  pgDumpVersion?: string;
}

/**
 * The codec and database name in a custom-format dump's header
 * (pg_backup_archiver.c WriteHead): "PGDMP", version major/minor/rev,
 * int size, offset size, format; then the algorithm byte (1.15 and later)
 * or the gzip level as an int (earlier); seven ints of creation time; the
 * database name, the server's version and pg_dump's as strings (an int
 * length, then the bytes). Ints are a sign byte and `intSize` little-endian
 * bytes.
 */
export function parseDumpHeader(bytes: Buffer): DumpHeader | null {
  if (bytes.length < 11 || bytes.subarray(0, 5).toString("latin1") !== "PGDMP") return null;
  const [major, minor] = [bytes[5], bytes[6]];
  const intSize = bytes[8];
  let at = 11;
  const readInt = (): number | null => {
    if (at + 1 + intSize > bytes.length) return null;
    const negative = bytes[at] !== 0;
    let value = 0;
    for (let i = 0; i < intSize; i++) value += bytes[at + 1 + i] * 2 ** (8 * i);
    at += 1 + intSize;
    return negative ? -value : value;
  };
  let compression: string;
  if (major > 1 || minor >= 15) {
    compression = ALGORITHMS[bytes[at++]] ?? "unknown";
  } else {
    const level = readInt();
    if (level === null) return null;
    // -1 is zlib's default level, which pg_dump writes when -Z is not given.
    compression = level === 0 ? "none" : level < 0 ? "gzip" : `gzip:${level}`;
  }
  for (let i = 0; i < 7; i++) if (readInt() === null) return { compression, database: null };
  const readString = (): string | null => {
    const length = readInt();
    if (length === null || length < 0 || at + length > bytes.length) return null;
    at += length;
    return bytes.subarray(at - length, at).toString("utf8");
  };
  const database = readString();
  if (database === null) return { compression, database: null };
  const serverVersion = readString();
  const pgDumpVersion = serverVersion === null ? null : readString();
  return {
    compression,
    database,
    ...(serverVersion !== null ? { serverVersion } : {}),
    ...(pgDumpVersion !== null ? { pgDumpVersion } : {}),
  };
}

/** The header of the dump at `file`, or null when it is no custom-format dump. */

export async function readHeader(file: string): Promise<DumpHeader | null> {
  const handle = await open(file, "r").catch(() => null);
  if (!handle) return null;
  try {
    const buffer = Buffer.alloc(HEADER_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEADER_BYTES, 0);
    return parseDumpHeader(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
