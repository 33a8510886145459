/**
 * --progress json: one JSON object per line on stderr, for pipelines and
 * dashboards. Field names are stable (the README documents them): every
 * object has `event` and `time`; the engine's events are "rows" (with
 * done and total) or "message"; the CLI adds "phase-start", "phase-end"
 * and, last, "finish".
 */
import type { ProgressEvent } from "../../engine";
import type { ProgressDisplay, RunEnd } from ".";
import { hasRows, RunMeter } from "./meter";

export function jsonDisplay(stream: NodeJS.WritableStream): ProgressDisplay {
  const meter = new RunMeter();
  const emit = (event: string, fields: object) => stream.write(`${JSON.stringify({ event, time: new Date().toISOString(), ...fields })}\n`);
  const engineEvent = (event: ProgressEvent) => {
    const where = { phase: event.phase, ...(event.table ? { table: event.table } : {}) };
    if (hasRows(event)) {
      const { rowsPerSecond, etaSeconds } = meter.rate(event);
      emit("rows", {
        ...where,
        done: event.done,
        total: event.total,
        rowsPerSecond: Math.round(rowsPerSecond),
        etaSeconds,
        message: event.message,
      });
    } else emit("message", { ...where, message: event.message });
  };
  return {
    listener: (event) => {
      const change = meter.observe(event);
      if (change.ended) emit("phase-end", { phase: change.ended.phase, seconds: change.ended.seconds });
      if (change.started) emit("phase-start", { phase: change.started });
      engineEvent(event);
    },
    finish: (end: RunEnd) => {
      const last = meter.end();
      if (last) emit("phase-end", { phase: last.phase, seconds: last.seconds, ...(end.error ? { failed: true } : {}) });
      if (meter.besidePhases().includes("backup") && end.report?.backup)
        emit("phase-end", { phase: "backup", seconds: end.report.backup.seconds });
      const report = end.report;
      emit("finish", {
        // profile has no run report: its outcome is only whether it failed.
        outcome: report?.outcome ?? (end.error ? "failed" : null),
        schema: report?.schema ?? null,
        tables: (report?.tables ?? []).map((t) => ({
          table: t.table,
          sourceRows: t.sourceRows,
          rowsLoaded: t.rowsLoaded,
          rejected: t.rejected,
        })),
        reportFiles: end.reportFiles ?? null,
        error: end.error ? { code: end.error.code, message: end.error.message } : null,
      });
    },
  };
}
