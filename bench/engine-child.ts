/**
 * One engine run in a process of its own, so the bench can measure its wall
 * time and resident memory apart from the bench's: `node engine-child.js
 * '<json>'` with the migrate options and a report file, writes
 * `{ report }` or `{ error, report? }` there, prints progress on stderr,
 * exits 0 on success and 1 otherwise.
 */
import { writeFileSync } from "node:fs";
import { GateBlockedError, migrate, MigrationMode, MigrationReport, throttled } from "../engine";

export interface EngineChildRequest {
  readonly sourcePath: string;
  readonly databaseUrl: string;
  readonly mode: MigrationMode;
  readonly schemaPrefix: string;
  readonly backupDirectory: string;
  readonly reuse: boolean;
  /** Absent: the engine's default. */
  readonly streams?: number;
  readonly reportFile: string;
}

export interface EngineChildOutcome {
  readonly report?: MigrationReport;
  readonly error?: string;
}

async function main(): Promise<number> {
  const request = JSON.parse(process.argv[2] ?? "{}") as EngineChildRequest;
  const write = (outcome: EngineChildOutcome) => writeFileSync(request.reportFile, JSON.stringify(outcome));
  try {
    const report = await migrate({
      sourcePath: request.sourcePath,
      databaseUrl: request.databaseUrl,
      mode: request.mode,
      schemaPrefix: request.schemaPrefix,
      backupDirectory: request.backupDirectory,
      reuse: request.reuse,
      ...(request.streams !== undefined ? { streams: request.streams } : {}),
      onProgress: throttled((e) => {
        const rows = e.done !== undefined && e.total !== undefined ? ` ${e.done}/${e.total}` : "";
        process.stderr.write(`[${e.phase}] ${e.message}${rows}\n`);
      }, 5000),
    });
    write({ report });
    return 0;
  } catch (error) {
    write({
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      ...(error instanceof GateBlockedError ? { report: error.report } : {}),
    });
    return 1;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`engine child: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
