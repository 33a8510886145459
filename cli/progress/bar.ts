/**
 * The terminal display (cli-progress): the phase that runs on the first
 * line, then a bar per table being loaded with its rows, rows/s and the
 * time left; the engine's messages scroll above them as log lines.
 */
import { MultiBar, Presets, SingleBar } from "cli-progress";
import type { Phase } from "../../engine";
import type { ProgressDisplay } from ".";
import { terminalText } from "../terminal-text";
import { formatCount, formatEta, hasRows, RunMeter } from "./meter";

/** Table names are padded to this width so the bars line up. */
const TABLE_COLUMN = 20;

export function barDisplay(stream: NodeJS.WriteStream): ProgressDisplay {
  const meter = new RunMeter();
  // Drawing starts with the first event: a run refused before it begins leaves the terminal as it was.
  let drawing: { bars: MultiBar; status: SingleBar } | null = null;
  const start = () => {
    const bars = new MultiBar(
      {
        stream,
        format: "{table} {bar} {percentage}% | {done}/{all} rows | {rate} rows/s | ETA {left}",
        barsize: 30,
        // Forced (--progress bar) into a file or pipe it still draws, a frame every notTTYSchedule.
        noTTYOutput: true,
        // A killed run must not leave the user's terminal without a cursor.
        hideCursor: false,
        autopadding: true,
      },
      Presets.shades_classic,
    );
    return { bars, status: bars.create(1, 0, { phase: "inspect", message: "" }, { format: "[{phase}] {message}" }) };
  };
  const tables = new Map<string, SingleBar>();
  let rowsPhase: Phase | null = null;

  return {
    listener: (event) => {
      drawing ??= start();
      const { bars, status } = drawing;
      const change = meter.observe(event);
      if (change.ended) bars.log(`[${change.ended.phase}] done in ${change.ended.seconds.toFixed(1)} s\n`);
      if (!hasRows(event)) {
        status.update({ phase: event.phase, message: terminalText(event.message) });
        bars.log(terminalText(`[${event.phase}]${event.table ? ` ${event.table}:` : ""} ${event.message}`) + "\n");
        return;
      }
      if (change.started) status.update({ phase: event.phase, message: terminalText(event.message) });
      // The canary's sample bars give way to the load's: one phase's tables at a time.
      if (rowsPhase !== event.phase) {
        for (const bar of tables.values()) bars.remove(bar);
        tables.clear();
        rowsPhase = event.phase;
      }
      const { rowsPerSecond, etaSeconds } = meter.rate(event);
      const payload = {
        table: terminalText(event.table ?? "").padEnd(TABLE_COLUMN),
        done: formatCount(event.done),
        all: formatCount(event.total),
        rate: formatCount(rowsPerSecond),
        // Not "eta": cli-progress fills that token itself, in its own format.
        left: formatEta(etaSeconds),
      };
      const key = event.table ?? "";
      const bar = tables.get(key);
      if (bar) bar.update(event.done, payload);
      else tables.set(key, bars.create(Math.max(event.total, 1), event.done, payload));
    },
    finish: ({ error }) => {
      if (!drawing) return;
      const { bars, status } = drawing;
      const last = meter.end();
      if (last)
        status.update({
          phase: last.phase,
          message: error ? `failed after ${last.seconds.toFixed(1)} s` : `done in ${last.seconds.toFixed(1)} s`,
        });
      bars.stop();
    },
  };
}
