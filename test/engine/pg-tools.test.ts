/**
 * The client tools a run backs up and restores with, chosen for the server
 * and named: the nearest pg_dump that dumps the server (pgBinDir's, else
 * PATH's and Debian's), a critical finding before anything is written when
 * none does, the report naming the pg_dump of each backup, and a restore
 * refused with RESTORE_TOOL_MISMATCH, before it touches anything, when no
 * pg_restore found reads the dump. Fake tools are shell scripts printing
 * the version a real one would.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { GateBlockedError, migrate, MigrationError, restoreSchema } from "../../engine";
import { foundClientTools, nearestTools, readHeader } from "../../engine/backup";
import { generateServicedeskDatabase } from "../../engine/generate";
import { queryRows, useTestDatabase } from "../support/database";
import { useTempDir } from "./engine-fixtures";

const database = useTestDatabase("pg_tools");
const tmp = useTempDir("pg_tools");

/** A folder holding a pg_dump and a pg_restore that report `version`. */
function fakeTools(version: string): string {
  const dir = path.join(tmp.dir, `tools-${version}`);
  mkdirSync(dir, { recursive: true });
  for (const tool of ["pg_dump", "pg_restore"]) {
    const file = path.join(dir, tool);
    writeFileSync(file, `#!/bin/sh\necho "${tool} (PostgreSQL) ${version}"\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

describe("finding the tools", () => {
  it("takes pgBinDir's tools alone, and the nearest major that dumps the server", async () => {
    const found = await foundClientTools(fakeTools("17.2"));
    expect(found.map((t) => [t.pgDump.version, t.pgRestore.version])).toEqual([["17.2", "17.2"]]);
    expect(nearestTools(found, 17, "pgDump")?.pgDump.version).toBe("17.2");
    expect(nearestTools(found, 16, "pgDump")?.pgDump.version).toBe("17.2");
    expect(nearestTools(found, 18, "pgDump")).toBeNull();
  });

  it("by default looks on PATH first, then in each Debian client folder", async () => {
    const found = await foundClientTools();
    expect(found[0].pgDump).toMatchObject({ command: "pg_dump", major: 15 });
    expect(nearestTools(found, 15, "pgDump")?.pgDump.command).toBe("pg_dump");
  });
});

describe("a complete run names its pg_dump, and is refused before anything is written without one", () => {
  const exportOf = (tickets: number) =>
    generateServicedeskDatabase({ tickets, seed: tickets, out: path.join(tmp.dir, `export-${tickets}.sqlite`) }).path;
  const run = (tickets: number, prefix: string, pgBinDir?: string) =>
    migrate({
      sourcePath: exportOf(tickets),
      databaseUrl: database.url,
      schemaPrefix: prefix,
      backupDirectory: path.join(tmp.dir, "b"),
      pgBinDir,
    });

  it("records which pg_dump made the backup: PATH's, or pgBinDir's", async () => {
    await run(200, "pt_named");
    const onPath = await run(210, "pt_named");
    expect(onPath.backup!.tool).toMatch(/^pg_dump 15\.\d+ \(on PATH\)$/);
    const named = await run(220, "pt_named", "/usr/lib/postgresql/15/bin");
    expect(named.backup!.tool).toMatch(/^pg_dump 15\.\d+ \(\/usr\/lib\/postgresql\/15\/bin\/pg_dump\)$/);
  });

  it("refuses a pg_dump older than the server, naming both versions, before the canary", async () => {
    const error = (await run(200, "pt_old", fakeTools("14.9")).catch((e: unknown) => e)) as GateBlockedError;
    expect(error).toBeInstanceOf(GateBlockedError);
    const finding = error.report!.quality!.findings.find((f) => f.check === "backup_tool")!;
    expect(finding.message).toMatch(
      new RegExp(
        `^BACKUP_TOOL_MISMATCH: the server is PostgreSQL 15\\.\\d+ and pg_dump dumps only servers of its own major or older; pg_dump found: pg_dump 14\\.9 \\(${tmp.dir}/tools-14\\.9/pg_dump\\)\\. Ways forward: install PostgreSQL 15's client tools`,
      ),
    );
    expect(error.report!.canary).toBeNull();
    expect(await queryRows(database.url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pt\\_old%'")).toEqual([]);
  });
});

describe("restore refuses a dump its pg_restore cannot read, before touching anything", () => {
  let dump: string;
  beforeAll(async () => {
    const make = (tickets: number) =>
      migrate({
        sourcePath: generateServicedeskDatabase({ tickets, seed: tickets, out: path.join(tmp.dir, `r-${tickets}.sqlite`) }).path,
        databaseUrl: database.url,
        schemaPrefix: "pt_restore",
        backupDirectory: path.join(tmp.dir, "rb"),
      });
    await make(200);
    dump = (await make(210)).backup!.file;
  });

  /** A copy of the dump with `patch` applied to its bytes. */
  const patched = (name: string, patch: (bytes: Buffer) => Buffer) => {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, patch(readFileSync(dump)));
    return file;
  };

  it("refuses a dump written by a newer pg_dump, naming it and the pg_restore found", async () => {
    const version = (await readHeader(dump))!.pgDumpVersion!;
    expect(version).toMatch(/^15\.\d+/);
    // The header holds the server's version, then pg_dump's: the last of the two is pg_dump's.
    const newer = patched("newer.dump", (bytes) => {
      const at = bytes.subarray(0, 4096).lastIndexOf(Buffer.from(version, "latin1"));
      return Buffer.concat([bytes.subarray(0, at), Buffer.from("17", "latin1"), bytes.subarray(at + 2)]);
    });
    const error = (await restoreSchema({ databaseUrl: database.url, file: newer }).catch((e: unknown) => e)) as MigrationError;
    expect(error.code).toBe("RESTORE_TOOL_MISMATCH");
    expect(error.message).toMatch(
      new RegExp(
        `^cannot restore "${newer}": it was written by pg_dump 17${version.slice(2).replace(/[.()+]/g, "\\$&")}, and pg_restore reads only dumps of its own major or older; pg_restore found: pg_restore 15\\.\\d+ \\(on PATH\\)`,
      ),
    );
    expect(error.message).toContain("postgresql-client-17");
  });

  it("refuses an archive its pg_restore cannot read, with pg_restore's own reason", async () => {
    // The archive's format version (bytes 5-7 after "PGDMP"), as a future pg_dump would write it.
    const future = patched("future.dump", (bytes) => Buffer.concat([bytes.subarray(0, 5), Buffer.from([1, 99, 0]), bytes.subarray(8)]));
    const error = (await restoreSchema({ databaseUrl: database.url, file: future }).catch((e: unknown) => e)) as MigrationError;
    expect(error.code).toBe("RESTORE_TOOL_MISMATCH");
    expect(error.message).toMatch(
      /^cannot restore ".*future\.dump": pg_restore 15\.\d+ \(on PATH\) cannot read it: pg_restore exited with 1: pg_restore: error: unsupported version \(1\.99\) in file header/,
    );
  });
});
