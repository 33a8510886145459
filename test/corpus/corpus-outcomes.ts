/** The corpus table a run prints (the README's per-database results come from it). */
import { CorpusOutcome } from "./corpus-cases";

export function outcomeTable(outcomes: readonly CorpusOutcome[]): string {
  const lines = ["| database | mode | tables | rows | rejects | result |", "|---|---|---:|---:|---:|---|"];
  for (const o of outcomes) lines.push(`| ${o.database} | ${o.mode} | ${o.tables} | ${o.rows} | ${o.rejected} | ${o.result} |`);
  return lines.join("\n");
}
