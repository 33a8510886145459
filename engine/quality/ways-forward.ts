/**
 * What an operator can do about a blocked gate, finding by finding: state
 * the column's type, raise the check's fail level, accept the finding as it
 * stands, or lower minQuality; each named as the CLI flag and as the stack
 * config key (the resource's input of the same name).
 */
import type { Finding } from "./model";
import { acceptanceText, HEALTH_CHECKS } from "./settings";

/** Checks of a column's values, which a type that holds every value settles. */
const VALUE_CHECKS = new Set(["type_conformity", "timestamp_parse_rate"]);

const HEALTH_WAYS: Readonly<Record<string, string>> = {
  disk_space: "free disk in the backup folder, or set backupDirectory (--backup-dir) elsewhere or minFreeDiskBytes lower",
  memory: "free memory, or set minFreeMemoryBytes lower",
  backup_codec: "choose a codec the pg_dump in use writes: backupCompression (--backup-compression) gzip:1",
  backup_tool: "see the finding: a pg_dump of the server's major (pgBinDir, --pg-bin-dir), or backup none (--backup none)",
};

function findingWays(f: Finding): string[] {
  if (HEALTH_CHECKS.has(f.check)) return [HEALTH_WAYS[f.check] ?? "see the finding"];
  const ways: string[] = [];
  if (VALUE_CHECKS.has(f.check) && f.table !== undefined && f.column !== undefined)
    ways.push(
      `state the column's type: --type '${f.table}.${f.column}=text' (typeOverrides ${JSON.stringify({ [f.table]: { [f.column]: "text" } })}), or a type its values hold`,
    );
  if (f.severity === "fail") {
    const level = Math.ceil(f.ratePercent);
    ways.push(
      `raise ${f.check}'s fail level: --threshold ${f.check}=:${level} (thresholds ${JSON.stringify({ [f.check]: { fail: level } })})`,
    );
  }
  const accept = acceptanceText(f);
  ways.push(`accept this finding as it stands: --accept '${accept}' (acceptFindings ${JSON.stringify([accept])})`);
  return ways;
}

/** The ways forward of a gate blocked by `blocking` findings (and by the score, when below `minQuality`). */
export function waysForward(blocking: readonly Finding[], score: number, minQuality: number): string[] {
  const ways = blocking.map((f) => `${f.message}: ${findingWays(f).join("; or ")}`);
  if (score < minQuality) ways.push(`the score ${score}: set minQuality (--min-quality) to ${score} or less`);
  return ways;
}
