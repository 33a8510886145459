/**
 * The backup codecs side by side (`--only codecs`): one version loaded
 * (simple mode, untimed), then pg_dump of it with each codec the pg_dump
 * on PATH writes, one at a time, each into a file, for bytes and seconds.
 * pg_dump 15 writes gzip only; lz4 and zstd, which it cannot write, are
 * measured as `pg_dump --compress=0 | lz4/zstd` where those binaries exist,
 * a stand-in for pg_dump 16's own (single-threaded, as theirs is).
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, openSync, rmSync, statSync } from "node:fs";
import * as path from "node:path";
import { parseCompression, pgDumpInvocation, pgDumpMajorVersion, unsupportedReason } from "../engine/backup";
import { checkpoint, withFreshDatabase } from "./databases";
import { runEngine } from "./engine-runs";
import type { ContenderContext, ContenderOutcome } from "./contenders";
import { contenderRow } from "./results";

/** pg_dump's own codecs measured, in this order; the first is the ratio's base. */
export const PG_DUMP_CODECS = ["none", "gzip:1", "gzip:3", "gzip:6", "gzip:9", "lz4", "zstd:1", "zstd:3"] as const;
/** External compressors after `pg_dump --compress=0`, for the codecs pg_dump here cannot write. */
const PIPED: readonly { label: string; command: string; args: string[] }[] = [
  { label: "lz4 -1 (piped)", command: "lz4", args: ["-1", "-q"] },
  { label: "zstd -1 (piped)", command: "zstd", args: ["-1", "-q", "-T1"] },
  { label: "zstd -3 (piped)", command: "zstd", args: ["-3", "-q", "-T1"] },
];

export interface CodecMeasurement {
  readonly codec: string;
  readonly bytes: number | null;
  readonly seconds: number | null;
  /** bytes over those of "none". */
  readonly ratio: number | null;
  readonly note: string;
}

const MB = 2 ** 20;

function exited(child: ReturnType<typeof spawn>, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    // "exit", not "close": a stdout handed on to the next process never closes on this side.
    child.once("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`${name} exited with ${code ?? signal}`))));
  });
}

/**
 * Wall seconds and bytes of one dump into `file`, through `compressor` if
 * given. The processes write to the file and to each other directly, so
 * no byte passes through this process.
 */
async function timedDump(
  url: string,
  schema: string,
  codec: string,
  major: number,
  file: string,
  compressor?: { command: string; args: string[] },
): Promise<{ seconds: number; bytes: number }> {
  const invocation = pgDumpInvocation(url, schema, parseCompression(compressor ? "none" : codec), major);
  const out = openSync(file, "w", 0o600);
  const started = performance.now();
  try {
    const env = { ...process.env, ...invocation.env };
    if (compressor) {
      const dump = spawn(invocation.command, invocation.args, { env, stdio: ["ignore", "pipe", "inherit"] });
      const squeeze = spawn(compressor.command, compressor.args, { stdio: [dump.stdout, out, "inherit"] });
      await Promise.all([exited(dump, "pg_dump"), exited(squeeze, compressor.command)]);
    } else {
      await exited(spawn(invocation.command, invocation.args, { env, stdio: ["ignore", out, "inherit"] }), "pg_dump");
    }
  } finally {
    closeSync(out);
  }
  const seconds = (performance.now() - started) / 1000;
  const bytes = statSync(file).size;
  rmSync(file, { force: true });
  return { seconds, bytes };
}

function hasBinary(command: string): boolean {
  const probe = spawnSync(command, ["--version"], { stdio: "ignore" });
  return probe.error === undefined && probe.status === 0;
}

export async function codecsContender(ctx: ContenderContext): Promise<ContenderOutcome> {
  return withFreshDatabase(ctx.serverUrl, "codecs", async (url) => {
    ctx.log("codecs: untimed load (simple) of the version to dump");
    const load = await runEngine(
      { ...ctx, sourcePath: ctx.source.path, databaseUrl: url, sourceRows: ctx.source.rows },
      "simple",
      "codecs",
    );
    if (!load.ok || !load.report?.schema) throw new Error(`the load to dump failed: ${load.error}`);
    const schema = load.report.schema;
    const major = await pgDumpMajorVersion();
    const file = path.join(ctx.workDirectory, "codec.dump");
    await checkpoint(ctx.serverUrl);
    await timedDump(url, schema, "none", major, file); // untimed: every timed dump then reads from a warm cache
    const measured: Omit<CodecMeasurement, "ratio">[] = [];
    for (const codec of PG_DUMP_CODECS) {
      const refused = unsupportedReason(parseCompression(codec), major);
      if (refused) {
        measured.push({ codec, bytes: null, seconds: null, note: `not measured: ${refused}` });
        continue;
      }
      ctx.log(`codecs: pg_dump ${major} --compress ${codec}`);
      measured.push({ codec, ...(await timedDump(url, schema, codec, major, file)), note: `pg_dump ${major}` });
    }
    for (const piped of PIPED) {
      if (!hasBinary(piped.command)) {
        measured.push({ codec: piped.label, bytes: null, seconds: null, note: `not measured: no ${piped.command} on PATH` });
        continue;
      }
      ctx.log(`codecs: pg_dump --compress=0 | ${piped.command} ${piped.args.join(" ")}`);
      const result = await timedDump(url, schema, "none", major, file, piped);
      measured.push({ codec: piped.label, ...result, note: `pg_dump ${major} -Z0 | ${piped.command} ${piped.args.join(" ")}` });
    }
    const base = measured[0].bytes;
    const codecs: CodecMeasurement[] = measured.map((m) => ({
      ...m,
      ratio: base && m.bytes !== null ? m.bytes / base : null,
    }));
    const rows = codecs.map((c) =>
      contenderRow(
        {
          id: "codec",
          label: `pg_dump ${c.codec}`,
          note: c.bytes === null ? c.note : `${(c.bytes / MB).toFixed(1)} MB, ${c.ratio!.toFixed(2)}x of none; ${c.note}`,
        },
        c.bytes === null ? "skipped" : "ok",
        c.seconds,
        null,
        ctx.source,
      ),
    );
    return { rows, detail: { schema, pgDumpMajor: major, codecs } };
  });
}

/** The codec table of the README: codec, MB, ratio to none, seconds. */
export function codecTable(codecs: readonly CodecMeasurement[]): string {
  const cell = (n: number | null, digits: number) => (n === null ? "na" : n.toFixed(digits));
  const lines = ["| codec | MB | ratio to none | pg_dump s | note |", "| --- | ---: | ---: | ---: | --- |"];
  for (const c of codecs)
    lines.push(
      `| ${c.codec} | ${cell(c.bytes === null ? null : c.bytes / MB, 1)} | ${cell(c.ratio, 2)} | ${cell(c.seconds, 1)} | ${c.note.replace(/\|/g, "\\|")} |`,
    );
  return lines.join("\n");
}
