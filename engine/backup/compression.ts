/**
 * The backup codec setting, `none | gzip[:1-9] | lz4[:1-12] | zstd[:1-22]`,
 * and the pg_dump arguments it becomes. pg_dump 15 and older write gzip
 * only (--compress=0-9); lz4 and zstd need pg_dump 16, which takes
 * --compress=<codec>[:<level>]. Which pg_dump is on PATH is asked once per
 * process (`pg_dump --version`), so a codec it cannot write is refused by
 * the health check before anything is written.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { MigrationError, OptionError } from "../errors";

export type Codec = "none" | "gzip" | "lz4" | "zstd";

export interface CompressionSpec {
  readonly codec: Codec;
  /** null: the codec's own default level. */
  readonly level: number | null;
}

/** Levels each codec takes, and the first pg_dump major version that writes it. */
const CODECS: Readonly<Record<Codec, { min: number; max: number; sincePgDump: number }>> = {
  none: { min: 0, max: 0, sincePgDump: 0 },
  gzip: { min: 1, max: 9, sincePgDump: 0 },
  lz4: { min: 1, max: 12, sincePgDump: 16 },
  zstd: { min: 1, max: 22, sincePgDump: 16 },
};

/** zlib's own default (Z_DEFAULT_COMPRESSION), named because pg_dump 15 takes a number only. */
const GZIP_DEFAULT_LEVEL = 6;

export const COMPRESSION_SYNTAX = "none, gzip, gzip:1-9, lz4, lz4:1-12, zstd or zstd:1-22";

/** Parses the setting; OptionError (INVALID_OPTION) naming `field` when it is not one. */
export function parseCompression(setting: string, field = "backupCompression"): CompressionSpec {
  const match = /^(none|gzip|lz4|zstd)(?::(\d{1,2}))?$/.exec(typeof setting === "string" ? setting.trim() : "");
  if (!match) throw new OptionError(field, `must be one of ${COMPRESSION_SYNTAX}, got ${JSON.stringify(setting)}`);
  const codec = match[1] as Codec;
  if (match[2] === undefined) return { codec, level: null };
  const level = Number(match[2]);
  const { min, max } = CODECS[codec];
  if (codec === "none" || level < min || level > max)
    throw new OptionError(field, `${codec} takes ${codec === "none" ? "no level" : `a level from ${min} to ${max}`}, got ${setting}`);
  return { codec, level };
}

/** The setting's canonical spelling: `gzip:1`, `zstd`, `none`. */
export function compressionLabel(spec: CompressionSpec): string {
  return spec.level === null ? spec.codec : `${spec.codec}:${spec.level}`;
}

/** Why pg_dump `major` cannot write `spec`, or null when it can. */
export function unsupportedReason(spec: CompressionSpec, major: number): string | null {
  const since = CODECS[spec.codec].sincePgDump;
  return major >= since
    ? null
    : `backup compression ${compressionLabel(spec)} needs pg_dump ${since} or later; the pg_dump on PATH is version ${major}, which writes none or gzip only`;
}

/** The --compress argument of pg_dump `major` for `spec`; BACKUP_CODEC_UNSUPPORTED when it cannot write it. */
export function pgDumpCompressArgument(spec: CompressionSpec, major: number): string {
  const reason = unsupportedReason(spec, major);
  if (reason) throw new MigrationError("BACKUP_CODEC_UNSUPPORTED", reason);
  if (spec.codec === "none") return "--compress=0";
  if (major < 16) return `--compress=${spec.level ?? GZIP_DEFAULT_LEVEL}`;
  return `--compress=${compressionLabel(spec)}`;
}

/** The major version in `pg_dump --version` output ("pg_dump (PostgreSQL) 15.8 (Debian 15.8-1)"). */
export function parsePgDumpVersion(output: string): number {
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(output);
  if (!match) throw new MigrationError("BACKUP_FAILED", `cannot read the version of pg_dump from ${JSON.stringify(output.trim())}`);
  return Number(match[1]);
}

let pgDumpMajor: Promise<number> | null = null;

/** The major version of the pg_dump on PATH, asked once per process. */
export function pgDumpMajorVersion(): Promise<number> {
  pgDumpMajor ??= promisify(execFile)("pg_dump", ["--version"]).then(
    ({ stdout }) => parsePgDumpVersion(stdout),
    (error: unknown) => {
      pgDumpMajor = null; // PATH may be fixed before the next run
      throw new MigrationError("BACKUP_FAILED", `cannot run pg_dump --version: ${(error as Error).message}`, { cause: error });
    },
  );
  return pgDumpMajor;
}
