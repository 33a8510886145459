/**
 * The run report as files beside the backups: JSON for machines, Markdown
 * for people (quality findings with examples of bad values, rows, rejects,
 * timings and rows/s per table, the commands). Mode 0600: a report may
 * quote values from the export.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { percent } from "../figures";
import { DEFAULTS } from "../defaults";
import { cell, count as n } from "../markdown-cells";
import { MigrationReport } from "./report";

export function reportMarkdown(report: MigrationReport): string {
  const lines = [
    `# Migration report: ${report.schema ?? "(no schema)"}`,
    "",
    `- mode: ${report.mode}, outcome: **${report.outcome}**`,
    report.source.digest === null
      ? `- source: \`${report.source.path}\` (not read)`
      : `- source: \`${report.source.path}\` (${n(report.source.bytes ?? 0)} bytes, sha256 \`${report.source.digest.slice(0, 16)}…\`)`,
    `- stable schema \`${report.stableSchema}\`${report.cutOver ? ` now points at \`${report.schema}\`` : " unchanged"}; previous version: ${report.previousSchema ? `\`${report.previousSchema}\`` : "none"}`,
    `- started ${report.startedAt}, finished ${report.finishedAt}`,
  ];
  if (report.error) lines.push(`- error (${report.error.code}): ${report.error.message}`);
  if (report.tables.length > 0) {
    lines.push(
      "",
      "## Tables",
      "",
      "| table | source rows | loaded | rejected | nulled | seconds | rows/s |",
      "|---|---:|---:|---:|---:|---:|---:|",
    );
    for (const t of report.tables)
      lines.push(
        `| ${cell(t.table)} | ${n(t.sourceRows)} | ${n(t.rowsLoaded)} | ${n(t.rejected)} | ${n(t.nulled)} | ${t.seconds.toFixed(2)} | ${n(t.rowsPerSecond)} |`,
      );
  }
  if (report.quality) {
    const q = report.quality;
    lines.push(
      "",
      "## Quality",
      "",
      `Score **${q.score}** (minQuality ${q.minQuality}, measured on the ${q.basis === "full" ? "whole export" : "canary sample"}): ${q.blocked ? "**blocked**" : "passed"}.`,
      "",
      `Formula: ${q.formula}.`,
    );
    for (const reason of q.blockedBy) lines.push(`- blocked by: ${reason}`);
    const findings = q.findings.filter((f) => f.severity !== "ok");
    if (findings.length > 0) {
      lines.push("", "| severity | check | finding | examples |", "|---|---|---|---|");
      for (const f of findings) {
        const examples = (f.examples ?? [])
          .slice(0, 3)
          .map((e) => `row ${e.rowKey}${e.value ? `: \`${cell(e.value).slice(0, 60)}\`` : ""}`)
          .join("; ");
        lines.push(`| ${f.severity} | ${f.check} | ${cell(f.message)} | ${examples} |`);
      }
    }
  }
  if (report.canary) {
    lines.push(
      "",
      "## Canary",
      "",
      `${percent(report.canary.sampleRate * 100)}% sample (seed ${report.canary.sampleSeed}) loaded into \`${report.canary.schema}\`, validated and ${report.canary.kept ? "kept as the first slice of the load (its keys and checks rolled back)" : "rolled back"} in ${report.canary.seconds.toFixed(1)} s.`,
    );
    for (const q of report.canary.queries) lines.push(`- ${q.name}: ${q.rows} rows in ${q.milliseconds.toFixed(0)} ms`);
  }
  if (report.backup)
    lines.push("", "## Backup", "", `\`${report.backup.file}\` (${n(report.backup.bytes)} bytes, ${report.backup.seconds.toFixed(1)} s)`);
  lines.push("", "## Timings (seconds)", "", ...Object.entries(report.timings).map(([k, v]) => `- ${k}: ${v.toFixed(2)}`));
  const c = report.commands;
  lines.push("", "## Commands", "");
  if (c.cutoverCommand) lines.push("Cut over:", "```sh", c.cutoverCommand, "```");
  if (c.rollbackCommand) lines.push("Roll back:", "```sh", c.rollbackCommand, "```");
  if (c.restoreCommand) lines.push("Restore the backup:", "```sh", c.restoreCommand, "```");
  if (report.notes.length > 0) lines.push("", "## Notes", "", ...report.notes.map((note) => `- ${note.level}: ${note.message}`));
  return `${lines.join("\n")}\n`;
}

/** Where the report files of runs backing up into `backupDirectory` go unless told otherwise. */
export function defaultReportDirectory(backupDirectory: string): string {
  return path.resolve(backupDirectory, DEFAULTS.reportFolder);
}

/** Writes <dir>/<name>.json and .md; returns their paths. */
export function writeReportFiles(report: MigrationReport, directory: string): { json: string; markdown: string } {
  return writeJsonAndMarkdown(directory, report.schema ?? `run-${report.startedAt.replace(/[:.]/g, "")}`, report, reportMarkdown(report));
}

/** <dir>/<name>.json and <dir>/<name>.md, readable by their owner only; their paths. */
export function writeJsonAndMarkdown(
  directory: string,
  name: string,
  value: unknown,
  markdown: string,
): { json: string; markdown: string } {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const files = { json: path.resolve(directory, `${name}.json`), markdown: path.resolve(directory, `${name}.md`) };
  writeFileSync(files.json, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(files.markdown, markdown.endsWith("\n") ? markdown : `${markdown}\n`, { mode: 0o600 });
  return files;
}
