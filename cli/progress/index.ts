/**
 * The CLI's progress on stderr, in the mode --progress names: a bar per
 * table on a terminal, plain lines otherwise, JSON lines for machines.
 */
import type { MigrationError, MigrationReport, ProgressListener } from "../../engine";
import { barDisplay } from "./bar";
import { jsonDisplay } from "./json";
import { plainDisplay } from "./plain";

export const PROGRESS_MODES = ["auto", "bar", "plain", "json", "none"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

export interface ReportFiles {
  readonly json: string;
  readonly markdown: string;
}

/** How a run ended, for the display's last word. */
export interface RunEnd {
  /** The run report: of the whole run, or up to the failure. */
  readonly report?: MigrationReport;
  readonly error?: MigrationError;
  readonly reportFiles?: ReportFiles;
}

export interface ProgressDisplay {
  /** Undefined in mode none: the engine then skips building events. */
  readonly listener?: ProgressListener;
  /** Ends the display: closes the bars, ends the phases. Call once, before the result goes to stdout. */
  finish(end: RunEnd): void;
}

export function progressDisplay(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  switch (mode) {
    case "auto":
      return stream.isTTY ? barDisplay(stream) : plainDisplay(stream);
    case "bar":
      return barDisplay(stream);
    case "plain":
      return plainDisplay(stream);
    case "json":
      return jsonDisplay(stream);
    case "none":
      return { finish: () => undefined };
  }
}
