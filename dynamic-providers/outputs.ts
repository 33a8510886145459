/**
 * The resource's outputs from a run report: what stack outputs and the
 * preview show. Its figures come rounded from the report (engine/figures.ts).
 */
import { backsUp, type MigrationReport } from "../engine";
import { MigrationInputs, MigrationOutputs } from "./inputs";

const MAX_FINDINGS = 20;

export function outputsOf(inputs: MigrationInputs, report: MigrationReport, files: { json: string; markdown: string }): MigrationOutputs {
  const q = report.quality;
  return {
    ...inputs,
    schemaName: report.schema ?? "",
    previousSchemaName: report.previousSchema ?? "",
    servedSchemaName: (report.cutOver ? report.schema : report.previousSchema) ?? "",
    stableSchema: report.stableSchema,
    rowCounts: Object.fromEntries(report.tables.map((t) => [t.table, t.rowsLoaded])),
    rejectCounts: Object.fromEntries(report.tables.map((t) => [t.table, t.rejected])),
    quality: q && {
      score: q.score,
      minQuality: q.minQuality,
      basis: q.basis,
      findings: q.findings
        .filter((f) => f.severity !== "ok")
        .slice(0, MAX_FINDINGS)
        .map((f) => ({ check: f.check, severity: f.severity, message: f.message })),
    },
    canary: report.canary && {
      sampleRate: report.canary.sampleRate,
      sampleRows: { ...report.canary.sampleRows },
      queries: report.canary.queries.length,
      seconds: report.canary.seconds,
    },
    timings: { ...report.timings },
    backupFile: report.backup?.file ?? "",
    backupTool: report.backup?.tool ?? (backsUp(inputs.mode) && inputs.backup === "none" ? "none (backup: none)" : ""),
    cutoverCommand: report.commands.cutoverCommand ?? "",
    rollbackCommand: report.commands.rollbackCommand ?? "",
    restoreCommand: report.commands.restoreCommand ?? "",
    origin: report.outcome === "adopted" ? "adopted" : "loaded",
    reportFile: files.json,
    reportMarkdownFile: files.markdown,
    createdAt: report.finishedAt,
  };
}
