/**
 * Backup codecs with the real pg_dump and pg_restore: the setting parsed
 * into pg_dump's arguments, each codec this pg_dump writes restored with
 * equal rows (its header saying which codec), and a codec it cannot write
 * (lz4, zstd before pg_dump 16) refused before anything is written, by the
 * health check and by a complete run's gate.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { Client } from "pg";
import { migrate } from "../../engine";
import {
  backupSchema,
  parseCompression,
  parseDumpHeader,
  parsePgDumpVersion,
  pgDumpCompressArgument,
  pgDumpMajorVersion,
  restoreSchema,
} from "../../engine/backup";
import { checkHealth } from "../../engine/quality/health";
import { queryRows, useTestDatabase } from "../support/database";
import { sourceFolder, SourceFolder } from "../support/sources";
import { useTempDir } from "./engine-fixtures";

let client: Client;
// Declared before useTestDatabase: after-all hooks run in declaration order, and the database is dropped in its hook.
afterAll(async () => {
  await client?.end();
});
const database = useTestDatabase("backup_codecs");
const tmp = useTempDir("backup-codecs");
const SCHEMA = "codecs_v20250301_141503";
const ROWS = 20000;
const PG_DUMP_MAJOR = Number(/\(PostgreSQL\) (\d+)/.exec(execFileSync("pg_dump", ["--version"], { encoding: "utf8" }))![1]);

beforeAll(async () => {
  client = new Client({ connectionString: database.url });
  await client.connect();
  await client.query(`CREATE SCHEMA "${SCHEMA}"`);
  await client.query(`CREATE TABLE "${SCHEMA}"."notes" ("id" int PRIMARY KEY, "body" text NOT NULL)`);
  // Repetitive text, as ServiceDesk comments are: every codec shrinks it well below the uncompressed dump.
  await client.query(
    `INSERT INTO "${SCHEMA}"."notes" SELECT i, 'ticket ' || i || ' reopened: customer reports the printer is offline again' FROM generate_series(1, ${ROWS}) i`,
  );
});

describe("parseCompression and pg_dump's arguments", () => {
  it("reads none, gzip with or without a level, lz4 and zstd", () => {
    expect(parseCompression("none")).toEqual({ codec: "none", level: null });
    expect(parseCompression("gzip")).toEqual({ codec: "gzip", level: null });
    expect(parseCompression("gzip:9")).toEqual({ codec: "gzip", level: 9 });
    expect(parseCompression("lz4:3")).toEqual({ codec: "lz4", level: 3 });
    expect(parseCompression("zstd:19")).toEqual({ codec: "zstd", level: 19 });
  });

  it.each([
    ["gzip:0", /^backupCompression: gzip takes a level from 1 to 9, got gzip:0$/],
    ["gzip:10", /^backupCompression: gzip takes a level from 1 to 9, got gzip:10$/],
    ["none:1", /^backupCompression: none takes no level, got none:1$/],
    ["zstd:23", /^backupCompression: zstd takes a level from 1 to 22, got zstd:23$/],
    ["brotli", /^backupCompression: must be one of none, gzip, gzip:1-9, lz4, lz4:1-12, zstd or zstd:1-22, got "brotli"$/],
    ["6", /^backupCompression: must be one of .*, got "6"$/],
  ])("refuses %s with INVALID_OPTION naming the setting", (setting, message) => {
    expect(() => parseCompression(setting)).toThrow(message);
    expect(() => parseCompression(setting)).toThrow(expect.objectContaining({ code: "INVALID_OPTION" }));
  });

  it("spells gzip levels as pg_dump 15 takes them and codecs as pg_dump 16 does", () => {
    expect(pgDumpCompressArgument(parseCompression("none"), 15)).toBe("--compress=0");
    expect(pgDumpCompressArgument(parseCompression("gzip:1"), 15)).toBe("--compress=1");
    expect(pgDumpCompressArgument(parseCompression("gzip"), 15)).toBe("--compress=6");
    expect(pgDumpCompressArgument(parseCompression("gzip:1"), 16)).toBe("--compress=gzip:1");
    expect(pgDumpCompressArgument(parseCompression("zstd:3"), 16)).toBe("--compress=zstd:3");
    expect(pgDumpCompressArgument(parseCompression("lz4"), 17)).toBe("--compress=lz4");
    expect(() => pgDumpCompressArgument(parseCompression("zstd:3"), 15)).toThrow(
      expect.objectContaining({
        code: "BACKUP_CODEC_UNSUPPORTED",
        message: "backup compression zstd:3 needs pg_dump 16 or later; the pg_dump on PATH is version 15, which writes none or gzip only",
      }),
    );
  });

  it("reads the major version of pg_dump --version, the one on PATH too", async () => {
    expect(parsePgDumpVersion("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)\n")).toBe(15);
    expect(parsePgDumpVersion("pg_dump (PostgreSQL) 16.4")).toBe(16);
    expect(() => parsePgDumpVersion("pg_dump 9")).toThrow(expect.objectContaining({ code: "BACKUP_FAILED" }));
    expect(await pgDumpMajorVersion()).toBe(PG_DUMP_MAJOR);
  });
});

describe("a round trip with each codec this pg_dump writes", () => {
  const sizes: Record<string, number> = {};
  const codecs = PG_DUMP_MAJOR >= 16 ? ["none", "gzip:1", "gzip:9", "lz4", "zstd:3"] : ["none", "gzip", "gzip:1", "gzip:9"];

  it.each(codecs)("%s: dumped, its header names it, restored after a drop with every row", async (codec) => {
    const directory = path.join(tmp.dir, codec.replace(":", "-"));
    const result = await backupSchema({ databaseUrl: database.url, schema: SCHEMA, directory, compression: codec });
    expect(result.compression).toBe(codec);
    expect(readdirSync(directory)).toEqual([path.basename(result.file)]);
    expect(statSync(result.file).size).toBe(result.bytes);
    sizes[codec] = result.bytes;
    const header = parseDumpHeader(readFileSync(result.file).subarray(0, 4096));
    // Archive format 1.14 (pg_dump 15) stores the gzip level; 1.15 (pg_dump 16) the algorithm only.
    const expected = PG_DUMP_MAJOR >= 16 ? codec.split(":")[0] : codec === "gzip" ? "gzip:6" : codec;
    expect(header).toEqual({
      compression: expected,
      database: database.db.name,
      serverVersion: expect.stringMatching(/^15\.\d+/),
      pgDumpVersion: expect.stringMatching(new RegExp(`^${PG_DUMP_MAJOR}\\.\\d+`)),
    });

    await client.query(`DROP SCHEMA "${SCHEMA}" CASCADE`);
    await restoreSchema({ databaseUrl: database.url, file: result.file });
    const [row] = await queryRows<{ n: string; bodies: string }>(
      database.url,
      `SELECT count(*) AS n, count(DISTINCT body) AS bodies FROM "${SCHEMA}"."notes"`,
    );
    expect({ n: Number(row.n), bodies: Number(row.bodies) }).toEqual({ n: ROWS, bodies: ROWS });
  });

  it("every compressed dump is under half the uncompressed one", () => {
    expect(Object.keys(sizes).sort()).toEqual([...codecs].sort());
    for (const codec of codecs.filter((c) => c !== "none"))
      expect({ codec, small: sizes[codec] < sizes.none * 0.5 }).toEqual({ codec, small: true });
  });
});

describe("a codec the pg_dump on PATH cannot write", () => {
  const unsupported = PG_DUMP_MAJOR >= 16 ? [] : ["lz4", "zstd:3"];
  if (unsupported.length === 0) it.skip("(pg_dump 16 or later writes every codec)", () => undefined);

  it.each(unsupported)("%s: backupSchema refuses with BACKUP_CODEC_UNSUPPORTED before creating the folder", async (codec) => {
    const directory = path.join(tmp.dir, `refused-${codec.replace(":", "-")}`);
    const error = await backupSchema({ databaseUrl: database.url, schema: SCHEMA, directory, compression: codec }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "BACKUP_CODEC_UNSUPPORTED",
      message: `backup compression ${codec} needs pg_dump 16 or later; the pg_dump on PATH is version ${PG_DUMP_MAJOR}, which writes none or gzip only`,
    });
    expect(existsSync(directory)).toBe(false);
  });

  it.each(unsupported)("%s: the health check reports a critical finding with the code, the codec and the version", async (codec) => {
    const findings = await checkHealth({ backupCompression: codec, minFreeMemoryBytes: 0 });
    expect(findings.find((f) => f.check === "backup_codec")).toEqual({
      check: "backup_codec",
      severity: "critical",
      code: "BACKUP_CODEC_UNSUPPORTED",
      count: PG_DUMP_MAJOR,
      total: 0,
      ratePercent: 0,
      message: `BACKUP_CODEC_UNSUPPORTED: backup compression ${codec} needs pg_dump 16 or later; the pg_dump on PATH is version ${PG_DUMP_MAJOR}, which writes none or gzip only`,
    });
    const ok = await checkHealth({ backupCompression: "gzip:1", minFreeMemoryBytes: 0 });
    expect(ok.find((f) => f.check === "backup_codec")).toMatchObject({ severity: "ok" });
  });

  describe("in a complete run", () => {
    let sources: SourceFolder;
    beforeAll(() => {
      sources = sourceFolder();
    });
    afterAll(() => sources?.cleanup());

    it.each(unsupported)("%s: the gate blocks before anything is loaded or written", async (codec) => {
      const backups = path.join(tmp.dir, `run-${codec.replace(":", "-")}`);
      const error = await migrate({
        sourcePath: sources.make("tickets.sqlite", { tickets: 50, seed: 3 }).path,
        databaseUrl: database.url,
        schemaPrefix: "refused",
        mode: "complete",
        backupDirectory: backups,
        backupCompression: codec,
        minFreeMemoryBytes: 0,
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "GATE_BLOCKED" });
      expect((error as Error).message).toContain(`BACKUP_CODEC_UNSUPPORTED: backup compression ${codec} needs pg_dump 16`);
      const schemas = await queryRows<{ nspname: string }>(database.url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'refused%'");
      expect(schemas).toEqual([]);
      expect(existsSync(backups)).toBe(false);
    });
  });
});
