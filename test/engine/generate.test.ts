/**
 * The ServiceDesk generator, judged by the SQLite files it writes: every fact
 * below is read back from the database with better-sqlite3, never taken from
 * the generator's own bookkeeping.
 */
import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import {
  DEFECT_CLASSES,
  DefectClass,
  GenerateOptionsError,
  GenerateResult,
  generateServicedeskDatabase,
  SERVICEDESK_COLUMNS,
  SERVICEDESK_DDL,
  SERVICEDESK_TABLES,
  SERVICEDESK_TIMESTAMP_FORMATS as FORMATS,
  ServicedeskTable,
} from "../../engine/generate";

const TICKETS = 2000;
const DEFECT_RATE = 0.05;

let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(path.join(tmpdir(), "servicedesk-generate-"));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

function generate(name: string, seed: number, defectRate: number): GenerateResult {
  return generateServicedeskDatabase({ tickets: TICKETS, seed, defectRate, out: path.join(workDir, name) });
}

function openReadOnly(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

function scalar(db: Database.Database, sql: string): unknown {
  return db.prepare(sql).pluck().get();
}

function column<T>(db: Database.Database, sql: string): T[] {
  return db.prepare(sql).pluck().all() as T[];
}

/** A digest over every value of every row, bytes and storage class included. */
function contentDigest(file: string): string {
  const db = openReadOnly(file);
  const hash = createHash("sha256");
  for (const table of SERVICEDESK_TABLES as ServicedeskTable[]) {
    const select = SERVICEDESK_COLUMNS[table].map((c) => `typeof(${c}), CAST(${c} AS BLOB)`).join(", ");
    for (const row of db.prepare(`SELECT ${select} FROM ${table} ORDER BY id`).raw().iterate()) {
      for (const value of row as unknown[]) hash.update(value == null ? "\u0000null" : (value as string | Buffer));
      hash.update("\n");
    }
  }
  db.close();
  return hash.digest("hex");
}

/** Defects per class, found by SQL and Node's UTF-8 validator, independently of the generator. */
function countDefects(file: string): Record<DefectClass, number> {
  const db = openReadOnly(file);
  const orphansOf = (table: string): number =>
    scalar(db, `SELECT COUNT(*) FROM ${table} c LEFT JOIN tickets t ON t.id = c.ticket_id WHERE t.id IS NULL`) as number;
  const bodies = column<Buffer>(db, "SELECT CAST(body AS BLOB) FROM comments");
  const updates = column<string>(db, "SELECT updated_at FROM tickets WHERE updated_at IS NOT NULL");
  const counts: Record<DefectClass, number> = {
    "type-mismatch": scalar(db, "SELECT COUNT(*) FROM tickets WHERE typeof(reopen_count) <> 'integer'") as number,
    "invalid-utf8": bodies.filter((body) => !isUtf8(body)).length,
    "nul-byte": scalar(db, "SELECT COUNT(*) FROM tickets WHERE instr(CAST(title AS BLOB), x'00') > 0") as number,
    "bad-timestamp": updates.filter((value) => !FORMATS.isoMillisUtc.test(value) || Number.isNaN(Date.parse(value))).length,
    orphan: orphansOf("comments") + orphansOf("timesheets"),
    "bad-boolean": scalar(db, "SELECT COUNT(*) FROM timesheets WHERE billable NOT IN ('true', 'false')") as number,
  };
  db.close();
  return counts;
}

function zeroCounts(): Record<DefectClass, number> {
  return Object.fromEntries(DEFECT_CLASSES.map((kind) => [kind, 0])) as Record<DefectClass, number>;
}

describe("a clean export (defectRate 0)", () => {
  let result: GenerateResult;
  let db: Database.Database;

  beforeAll(() => {
    result = generate("clean.sqlite", 7, 0);
    db = openReadOnly(result.path);
  });

  afterAll(() => db.close());

  it("holds the rows it reports, about 3 comments and 1.5 timesheets per ticket", () => {
    for (const table of SERVICEDESK_TABLES as ServicedeskTable[]) {
      expect(scalar(db, `SELECT COUNT(*) FROM ${table}`)).toBe(result.rows[table]);
    }
    expect(result.rows.tickets).toBe(TICKETS);
    expect(result.rows.comments / TICKETS).toBeGreaterThan(2.8);
    expect(result.rows.comments / TICKETS).toBeLessThan(3.3);
    expect(result.rows.timesheets / TICKETS).toBeGreaterThan(1.35);
    expect(result.rows.timesheets / TICKETS).toBeLessThan(1.7);
    expect(scalar(db, "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM comments GROUP BY ticket_id)")).toBeLessThanOrEqual(7);
    expect(scalar(db, "SELECT MAX(n) FROM (SELECT COUNT(*) n FROM timesheets GROUP BY ticket_id)")).toBeLessThanOrEqual(4);
    expect(column<number>(db, "SELECT id FROM tickets ORDER BY id")).toEqual(Array.from({ length: TICKETS }, (_, i) => i + 1));
    expect(scalar(db, "SELECT MAX(id) = COUNT(*) FROM comments")).toBe(1);
  });

  it("has exactly the legacy DDL, in order", () => {
    const expected = SERVICEDESK_DDL.split(";\n")
      .map((statement) => statement.trim())
      .filter(Boolean);
    expect(column<string>(db, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid")).toEqual(expected);
  });

  it("is left in rollback-journal mode, with no side files, and reports its size", () => {
    expect(scalar(db, "PRAGMA journal_mode")).toBe("delete");
    for (const suffix of ["-wal", "-journal", "-shm"]) expect(existsSync(result.path + suffix)).toBe(false);
    expect(result.bytes).toBe(statSync(result.path).size);
  });

  it("writes every timestamp column in its own format, and in order", () => {
    const expectAll = (sql: string, format: RegExp): void => {
      const values = column<string>(db, sql);
      expect(values.length).toBeGreaterThan(0);
      expect(values.filter((value) => !format.test(value))).toEqual([]);
    };
    expectAll("SELECT created_at FROM tickets", FORMATS.sqlDateTime);
    expectAll("SELECT updated_at FROM tickets WHERE updated_at IS NOT NULL", FORMATS.isoMillisUtc);
    expectAll("SELECT resolved_at FROM tickets WHERE resolved_at IS NOT NULL", FORMATS.sqlDateTime);
    expectAll("SELECT due_date FROM tickets WHERE due_date IS NOT NULL", FORMATS.dayFirst);
    expectAll("SELECT created_at FROM comments", FORMATS.isoOffset);
    expectAll("SELECT work_date FROM timesheets", FORMATS.date);
    expect(scalar(db, "SELECT MIN(created_at) >= '2019-01-01' AND MAX(created_at) < '2026-01-01' FROM tickets")).toBe(1);
    expect(scalar(db, "SELECT COUNT(*) FROM tickets WHERE julianday(updated_at) < julianday(created_at)")).toBe(0);
    expect(scalar(db, "SELECT COUNT(*) FROM tickets WHERE (resolved_at IS NOT NULL) <> (status IN ('resolved', 'closed'))")).toBe(0);
    expect(scalar(db, "SELECT COUNT(*) FROM tickets WHERE CAST(substr(due_date, 1, 2) AS INTEGER) > 12")).toBeGreaterThan(0);
    expect(
      scalar(
        db,
        `SELECT COUNT(*) FROM comments c JOIN tickets t ON t.id = c.ticket_id
      WHERE julianday(c.created_at) <= julianday(t.created_at)`,
      ),
    ).toBe(0);
    expect(column<string>(db, "SELECT DISTINCT substr(created_at, 20) FROM comments ORDER BY 1")).toEqual([
      "+00:00",
      "+01:00",
      "+02:00",
      "+05:30",
      "-05:00",
    ]);
    expect(column<string>(db, "SELECT DISTINCT typeof(logged_at) FROM timesheets")).toEqual(["integer"]);
  });

  it("keeps every value in its realistic domain", () => {
    const distinct = (sql: string): unknown[] => column<unknown>(db, sql);
    expect(distinct("SELECT DISTINCT status FROM tickets ORDER BY 1")).toEqual(["closed", "in_progress", "open", "pending", "resolved"]);
    expect(distinct("SELECT priority FROM tickets GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")).toEqual(["P3"]);
    expect(distinct("SELECT DISTINCT sla_breached FROM tickets ORDER BY 1")).toEqual(["No", "Yes"]);
    expect(distinct("SELECT DISTINCT typeof(is_escalated) || is_escalated FROM tickets ORDER BY 1")).toEqual(["integer0", "integer1"]);
    expect(distinct("SELECT DISTINCT is_internal FROM comments ORDER BY 1")).toEqual(["false", "true"]);
    expect(distinct("SELECT DISTINCT billable FROM timesheets ORDER BY 1")).toEqual(["false", "true"]);
    expect(
      scalar(
        db,
        `SELECT COUNT(*) FROM tickets WHERE length(title) NOT BETWEEN 20 AND 90
      OR length(description) NOT BETWEEN 150 AND 1500 OR ticket_number <> printf('SD-%07d', id)`,
      ),
    ).toBe(0);
    expect(scalar(db, "SELECT COUNT(*) FROM comments WHERE length(body) NOT BETWEEN 40 AND 900")).toBe(0);
    expect(
      scalar(
        db,
        "SELECT COUNT(*) FROM timesheets WHERE length(notes) > 200 OR hours * 4 <> CAST(hours * 4 AS INTEGER) OR hours NOT BETWEEN 0.25 AND 8",
      ),
    ).toBe(0);
    expect(
      scalar(
        db,
        "SELECT COUNT(*) FROM tickets WHERE typeof(satisfaction_score) NOT IN ('null', 'real') OR satisfaction_score NOT BETWEEN 1 AND 5 OR round(satisfaction_score, 1) <> satisfaction_score",
      ),
    ).toBe(0);
    expect(
      scalar(db, "SELECT COUNT(*) FROM tickets WHERE estimated_cost NOT BETWEEN 0 AND 5000 OR round(estimated_cost, 2) <> estimated_cost"),
    ).toBe(0);
    const nullRate = (expr: string): number => scalar(db, `SELECT AVG(${expr} IS NULL) FROM tickets`) as number;
    expect(nullRate("satisfaction_score")).toBeCloseTo(0.6, 1);
    expect(nullRate("estimated_cost")).toBeCloseTo(0.3, 1);
    expect(nullRate("assignee")).toBeCloseTo(0.1, 1);
    expect(scalar(db, "SELECT COUNT(*) FROM tickets WHERE requester_email NOT LIKE '_%@_%._%'")).toBe(0);
    const descriptions = column<string>(db, "SELECT description FROM tickets WHERE description IS NOT NULL").join("");
    for (const needle of ["\n", "\t", ",", '"', "\\", "é", "ü"]) expect(descriptions).toContain(needle);
    expect(descriptions).toMatch(/\p{Extended_Pictographic}/u);
    expect(descriptions).toMatch(/[\u4e00-\u9fff\u3040-\u30ff]/);
  });

  it("carries no defect of any class", () => {
    expect(result.defects).toEqual(zeroCounts());
    expect(result.defectSamples).toEqual([]);
    expect(countDefects(result.path)).toEqual(zeroCounts());
    const textColumns = db
      .prepare(
        `SELECT m.name AS tbl, p.name AS col FROM sqlite_master m
      JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.type = 'TEXT'`,
      )
      .all() as { tbl: string; col: string }[];
    expect(textColumns.length).toBeGreaterThan(10);
    for (const { tbl, col } of textColumns) {
      const values = column<Buffer | null>(db, `SELECT CAST(${col} AS BLOB) FROM ${tbl}`);
      const bad = values.filter((v) => v !== null && (!isUtf8(v) || v.includes(0)));
      expect({ column: `${tbl}.${col}`, bad: bad.length }).toEqual({ column: `${tbl}.${col}`, bad: 0 });
    }
  });
});

describe("an export with defects (defectRate 0.05)", () => {
  let result: GenerateResult;

  beforeAll(() => {
    result = generate("defects.sqlite", 11, DEFECT_RATE);
  });

  it("injects exactly the defects it reports, every class included", () => {
    expect(countDefects(result.path)).toEqual(result.defects);
    for (const kind of DEFECT_CLASSES) expect(result.defects[kind]).toBeGreaterThan(0);
  });

  it("corrupts about defectRate of the rows", () => {
    const rows = result.rows.tickets + result.rows.comments + result.rows.timesheets;
    const total = Object.values(result.defects).reduce((sum, n) => sum + n, 0);
    const sigma = Math.sqrt(rows * DEFECT_RATE * (1 - DEFECT_RATE));
    expect(Math.abs(total - rows * DEFECT_RATE)).toBeLessThan(5 * sigma);
    expect(result.defectSamples).toHaveLength(Math.min(total, 1000));
  });

  it("keeps text defects typed as text and points orphans past the last ticket", () => {
    const db = openReadOnly(result.path);
    expect(column<string>(db, "SELECT DISTINCT typeof(title) FROM tickets")).toEqual(["text"]);
    expect(column<string>(db, "SELECT DISTINCT typeof(body) FROM comments")).toEqual(["text"]);
    for (const table of ["comments", "timesheets"]) {
      expect(
        scalar(
          db,
          `SELECT COUNT(*) FROM ${table} c LEFT JOIN tickets t ON t.id = c.ticket_id
        WHERE t.id IS NULL AND c.ticket_id <= ${TICKETS}`,
        ),
      ).toBe(0);
    }
    db.close();
  });

  it("samples name rows that really carry their defect", () => {
    const db = openReadOnly(result.path);
    const ticketIds = new Set(column<number>(db, "SELECT id FROM tickets"));
    for (const sample of result.defectSamples) {
      const value = db
        .prepare(
          `SELECT CAST(${sample.column} AS BLOB) AS bytes, typeof(${sample.column}) AS type
        FROM ${sample.table} WHERE id = ?`,
        )
        .get(sample.rowId) as { bytes: Buffer | null; type: string };
      const text = value.bytes?.toString("utf8") ?? "";
      const broken: Record<DefectClass, boolean> = {
        "type-mismatch": value.type !== "integer",
        "invalid-utf8": value.bytes !== null && !isUtf8(value.bytes),
        "nul-byte": value.bytes !== null && value.bytes.includes(0),
        "bad-timestamp": !FORMATS.isoMillisUtc.test(text),
        orphan: !ticketIds.has(Number(text)),
        "bad-boolean": text !== "true" && text !== "false",
      };
      expect({ ...sample, broken: broken[sample.kind] }).toEqual({ ...sample, broken: true });
    }
    db.close();
  });
});

describe("determinism", () => {
  it("gives the same content for the same seed and different content for another", () => {
    const first = contentDigest(generate("seed-a.sqlite", 42, DEFECT_RATE).path);
    const again = contentDigest(generate("seed-b.sqlite", 42, DEFECT_RATE).path);
    const other = contentDigest(generate("seed-c.sqlite", 43, DEFECT_RATE).path);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it("keeps the clean content of a seed whatever the defect rate", () => {
    const descriptions = (file: string): string[] => {
      const db = openReadOnly(file);
      const values = column<string>(db, "SELECT description FROM tickets ORDER BY id");
      db.close();
      return values;
    };
    const clean = descriptions(generate("rate-0.sqlite", 5, 0).path);
    expect(descriptions(generate("rate-5.sqlite", 5, DEFECT_RATE).path)).toEqual(clean);
  });
});

describe("options and files", () => {
  it("overwrites an existing file and removes its journal siblings", () => {
    const out = path.join(workDir, "overwrite.sqlite");
    writeFileSync(out, "not a database");
    writeFileSync(`${out}-journal`, "stale");
    writeFileSync(`${out}-wal`, "stale");
    const result = generateServicedeskDatabase({ tickets: 10, out });
    expect(existsSync(`${out}-journal`)).toBe(false);
    expect(existsSync(`${out}-wal`)).toBe(false);
    const db = openReadOnly(out);
    expect(scalar(db, "SELECT COUNT(*) FROM tickets")).toBe(10);
    db.close();
    expect(result.rows.tickets).toBe(10);
  });

  it("reports progress at least every 50,000 tickets and at the end", () => {
    const calls: Array<[number, number]> = [];
    generateServicedeskDatabase({ tickets: 25_000, out: path.join(workDir, "progress.sqlite"), onProgress: (d, t) => calls.push([d, t]) });
    expect(calls[calls.length - 1]).toEqual([25_000, 25_000]);
    const steps = calls.map(([done], i) => done - (i === 0 ? 0 : calls[i - 1][0]));
    expect(Math.max(...steps)).toBeLessThanOrEqual(50_000);
  });

  it("rejects options it cannot honour, naming the field", () => {
    const out = path.join(workDir, "rejected.sqlite");
    expect(() => generateServicedeskDatabase({ tickets: -1, out })).toThrow(GenerateOptionsError);
    expect(() => generateServicedeskDatabase({ tickets: 1.5, out })).toThrow(/tickets/);
    expect(() => generateServicedeskDatabase({ tickets: 10, defectRate: 1.5, out })).toThrow(/defectRate/);
    expect(() => generateServicedeskDatabase({ tickets: 10, seed: Number.NaN, out })).toThrow(/seed/);
    expect(existsSync(out)).toBe(false);
  });
});
