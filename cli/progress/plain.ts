/**
 * Plain progress lines, for logs and pipes: one line when a phase starts
 * and one when it ends, the engine's messages, and a line per table every
 * few seconds with rows, rows/s and the time left.
 */
import { throttled } from "../../engine";
import type { ProgressDisplay } from ".";
import { terminalText } from "../terminal-text";
import { formatCount, formatEta, hasRows, RunMeter } from "./meter";

export function plainDisplay(stream: NodeJS.WritableStream): ProgressDisplay {
  const meter = new RunMeter();
  const write = (line: string) => stream.write(`${terminalText(line)}\n`);
  const ended = (phase: string, seconds: number) => write(`[${phase}] done in ${seconds.toFixed(1)} s`);
  const rowLine = throttled((event) => {
    if (!hasRows(event)) return;
    const { rowsPerSecond, etaSeconds } = meter.rate(event);
    const pct = event.total > 0 ? Math.min(100, Math.floor((event.done / event.total) * 100)) : 100;
    write(
      `[${event.phase}] ${event.table ?? ""} ${formatCount(event.done)}/${formatCount(event.total)} rows (${pct}%), ` +
        `${formatCount(rowsPerSecond)} rows/s, ETA ${formatEta(etaSeconds)}`,
    );
  });
  return {
    listener: (event) => {
      const change = meter.observe(event);
      if (change.ended) ended(change.ended.phase, change.ended.seconds);
      const message = `${event.table ? ` ${event.table}:` : ""} ${event.message}`;
      if (hasRows(event)) {
        if (change.started) write(`[${event.phase}] started`);
        rowLine(event);
      } else write(`[${event.phase}]${change.started ? " started:" : ""}${message}`);
    },
    finish: ({ report, error }) => {
      const last = meter.end();
      if (last && error) write(`[${last.phase}] failed after ${last.seconds.toFixed(1)} s`);
      else if (last) ended(last.phase, last.seconds);
      if (meter.besidePhases().includes("backup") && report?.backup) ended("backup", report.backup.seconds);
    },
  };
}
