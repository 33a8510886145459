/** How a command ends: its exit status, and the progress display its flags ask for. */
import { progressDisplay, ProgressMode } from "./progress";

/** The quality gate blocked: the report says why. */
export const EXIT_BLOCKED = 2;
/** Any other failure, with a one-paragraph message on stderr. */
export const EXIT_FAILED = 1;

export interface OutputFlags {
  json: boolean;
  progress?: ProgressMode;
  quiet?: boolean;
}

export function display(flags: OutputFlags) {
  return progressDisplay(flags.quiet ? "none" : (flags.progress ?? "auto"));
}
