/**
 * The one export every contender loads: a clean (defect rate 0) generated
 * ServiceDesk database, cached under the data directory by tickets and seed.
 * It is generated under a temporary name and renamed once complete, so a
 * file with the final name is always whole and is reused as it is.
 */
import { createReadStream, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { generateServicedeskDatabase } from "../engine/generate";

export interface SourceExport {
  readonly path: string;
  readonly bytes: number;
  /** Rows per table, counted in SQLite. */
  readonly rows: Readonly<Record<string, number>>;
  readonly totalRows: number;
  readonly tickets: number;
  readonly seed: number;
  /** Whether the file was reused from an earlier run. */
  readonly reused: boolean;
  readonly generateSeconds: number | null;
}

interface CacheRecord {
  readonly bytes: number;
  readonly rows: Record<string, number>;
}

export function exportPath(dataDirectory: string, tickets: number, seed: number): string {
  return path.resolve(dataDirectory, `servicedesk-t${tickets}-s${seed}.sqlite`);
}

/** Rows of every table of the file, counted. */
export function countSqliteRows(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid")
      .all() as { name: string }[];
    const rows: Record<string, number> = {};
    for (const { name } of tables) {
      rows[name] = (db.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n;
    }
    return rows;
  } finally {
    db.close();
  }
}

function cachedRecord(file: string): CacheRecord | null {
  const recordFile = `${file}.json`;
  if (!existsSync(file) || !existsSync(recordFile)) return null;
  try {
    const record = JSON.parse(readFileSync(recordFile, "utf8")) as CacheRecord;
    return record.bytes === statSync(file).size ? record : null;
  } catch {
    return null;
  }
}

export function preparedExport(dataDirectory: string, tickets: number, seed: number, log: (line: string) => void): SourceExport {
  const file = exportPath(dataDirectory, tickets, seed);
  const cached = cachedRecord(file);
  if (cached) {
    log(`reusing ${file} (${(cached.bytes / 2 ** 20).toFixed(0)} MiB)`);
    return describe(file, cached, tickets, seed, true, null);
  }
  const partial = `${file}.partial`;
  log(`generating ${tickets} tickets (seed ${seed}, defect rate 0) into ${file}`);
  const started = performance.now();
  try {
    generateServicedeskDatabase({
      tickets,
      seed,
      defectRate: 0,
      out: partial,
      onProgress: (done, total) => {
        if (done === total || done % 100_000 === 0) log(`generated ${done}/${total} tickets`);
      },
    });
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  const record: CacheRecord = { bytes: statSync(file).size, rows: countSqliteRows(file) };
  writeFileSync(`${file}.json`, `${JSON.stringify(record, null, 2)}\n`);
  return describe(file, record, tickets, seed, false, (performance.now() - started) / 1000);
}

function describe(
  file: string,
  record: CacheRecord,
  tickets: number,
  seed: number,
  reused: boolean,
  generateSeconds: number | null,
): SourceExport {
  const totalRows = Object.values(record.rows).reduce((a, b) => a + b, 0);
  return { path: file, bytes: record.bytes, rows: record.rows, totalRows, tickets, seed, reused, generateSeconds };
}

/** Reads the file once so every contender starts with it in the page cache, the first one included. */
export async function warmPageCache(file: string): Promise<void> {
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) void chunk;
}
