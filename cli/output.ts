/** Human-readable summaries of the CLI, on stdout (progress is in cli/progress/). */
import { percent } from "../engine";
import type { MigrationPlan, MigrationReport, QualityReport } from "../engine";
import { terminalText } from "./terminal-text";

const n = (value: number) => value.toLocaleString("en-US");

/** A command's result on stdout: `json` with --json, else the lines for people. */
export function print(flags: { json: boolean }, json: unknown, lines: string[]): void {
  process.stdout.write(flags.json ? `${JSON.stringify(json, null, 2)}\n` : `${terminalText(lines.join("\n"))}\n`);
}

export function qualityLines(quality: QualityReport): string[] {
  const lines = [
    `quality score ${quality.score} (minQuality ${quality.minQuality}, measured on the ${quality.basis === "full" ? "whole export" : "canary sample"}): ${quality.blocked ? "BLOCKED" : "passed"}`,
  ];
  for (const reason of quality.blockedBy) lines.push(`  blocked by: ${reason}`);
  for (const way of quality.waysForward) lines.push(`  way forward: ${way}`);
  for (const f of quality.findings.filter((x) => x.severity !== "ok")) {
    const example = f.examples?.[0] ? ` e.g. row ${f.examples[0].rowKey}${f.examples[0].value ? ` = ${f.examples[0].value}` : ""}` : "";
    const accepted = f.accepted ? ` (accepted: ${f.accepted})` : "";
    lines.push(`  ${f.severity.padEnd(8)} ${f.check}: ${f.message}${example}${accepted}`);
  }
  return lines;
}

export function reportLines(report: MigrationReport): string[] {
  const lines = [`${report.mode} migration of ${report.source.path}: ${report.outcome}`];
  if (report.schema)
    lines.push(`versioned schema: ${report.schema}${report.cutOver ? ` (active: ${report.stableSchema} points at it)` : " (not active)"}`);
  if (report.previousSchema) lines.push(`previous version: ${report.previousSchema}`);
  if (report.tables.length > 0) {
    lines.push("", "table                 source rows      loaded    rejected   rows/s");
    for (const t of report.tables) {
      lines.push(
        `${t.table.padEnd(20)} ${n(t.sourceRows).padStart(12)} ${n(t.rowsLoaded).padStart(11)} ${n(t.rejected).padStart(11)} ${n(t.rowsPerSecond).padStart(8)}`,
      );
    }
  }
  if (report.quality) lines.push("", ...qualityLines(report.quality));
  if (report.canary)
    lines.push(
      `canary: ${report.canary.queries.length} test queries passed on a ${percent(report.canary.sampleRate * 100)}% sample in ${report.canary.seconds.toFixed(1)} s`,
    );
  if (report.backup) lines.push(`backup: ${report.backup.file} (${n(report.backup.bytes)} bytes)`);
  if (report.droppedVersions.length > 0) lines.push(`dropped old versions: ${report.droppedVersions.join(", ")}`);
  lines.push(
    "",
    `timings (s): ${Object.entries(report.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(", ")}`,
  );
  const c = report.commands;
  if (c.cutoverCommand) lines.push(`cutover:  ${c.cutoverCommand}`);
  if (c.rollbackCommand) lines.push(`rollback: ${c.rollbackCommand}`);
  if (c.restoreCommand) lines.push(`restore:  ${c.restoreCommand}`);
  return lines;
}

export function planLines(plan: MigrationPlan): string[] {
  const lines: string[] = [];
  for (const table of plan.tables) {
    lines.push(`${table.name} (${n(table.rows)} rows)${table.primaryKey.length ? `, primary key (${table.primaryKey.join(", ")})` : ""}`);
    for (const c of table.columns)
      lines.push(
        `  ${c.name.padEnd(24)} ${c.type.padEnd(28)} ${c.notNull ? "NOT NULL " : ""}${c.defaultSql ? `DEFAULT ${c.defaultSql} ` : ""}-- ${c.reason}`,
      );
    for (const fk of table.foreignKeys)
      lines.push(`  FOREIGN KEY (${fk.columns.join(", ")}) REFERENCES ${fk.parentTable} (${fk.parentColumns.join(", ")})`);
    for (const index of table.indexes)
      lines.push(`  ${index.unique ? "UNIQUE " : ""}INDEX ${index.name} (${index.columns.map((c) => c.name).join(", ")})`);
  }
  for (const note of plan.notes) lines.push(`${note.level}: ${note.message}`);
  return lines;
}
