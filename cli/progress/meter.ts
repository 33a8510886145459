/**
 * What every progress display derives from the engine's events: which
 * phase runs (a phase starts with its first event and ends when the next
 * one starts), and each table's rows per second and time left.
 */
import type { Phase, ProgressEvent } from "../../engine";

/**
 * The pg_dump backup runs beside the canary and the load, so its events
 * neither end the phase that runs nor start one of the sequence; it ends
 * with the run (the report has its own seconds).
 */
const BESIDE: ReadonlySet<Phase> = new Set(["backup"]);

export interface PhaseChange {
  readonly ended?: { readonly phase: Phase; readonly seconds: number };
  readonly started?: Phase;
}

export interface TableRate {
  readonly rowsPerSecond: number;
  /** Seconds left at that rate; null until rows have moved. */
  readonly etaSeconds: number | null;
}

export class RunMeter {
  private current: { phase: Phase; since: number } | null = null;
  private readonly besideStarted = new Set<Phase>();
  private readonly tableStarts = new Map<string, { at: number; done: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The phase change this event makes, if any. */
  observe(event: ProgressEvent): PhaseChange {
    if (BESIDE.has(event.phase)) {
      if (this.besideStarted.has(event.phase)) return {};
      this.besideStarted.add(event.phase);
      return { started: event.phase };
    }
    if (this.current?.phase === event.phase) return {};
    const ended = this.end();
    this.current = { phase: event.phase, since: this.now() };
    return { ...(ended ? { ended } : {}), started: event.phase };
  }

  /** Ends the phase that runs (at the end of the run); returns it with its seconds. */
  end(): { phase: Phase; seconds: number } | undefined {
    if (!this.current) return undefined;
    const ended = { phase: this.current.phase, seconds: (this.now() - this.current.since) / 1000 };
    this.current = null;
    return ended;
  }

  /** Phases running beside the sequence that started (to be ended with the run). */
  besidePhases(): Phase[] {
    return [...this.besideStarted];
  }

  /** Rows per second of a table since its first event in this phase, and the time left at that rate. */
  rate(event: ProgressEvent & { done: number; total: number }): TableRate {
    const key = `${event.phase}:${event.table ?? ""}`;
    const now = this.now();
    const start = this.tableStarts.get(key);
    if (!start) {
      this.tableStarts.set(key, { at: now, done: event.done });
      return { rowsPerSecond: 0, etaSeconds: event.done >= event.total ? 0 : null };
    }
    const seconds = (now - start.at) / 1000;
    const moved = event.done - start.done;
    const rowsPerSecond = seconds > 0 ? moved / seconds : 0;
    const left = Math.max(0, event.total - event.done);
    return { rowsPerSecond, etaSeconds: left === 0 ? 0 : rowsPerSecond > 0 ? left / rowsPerSecond : null };
  }
}

export function hasRows(event: ProgressEvent): event is ProgressEvent & { done: number; total: number } {
  return event.done !== undefined && event.total !== undefined;
}

/** "1h02m", "3m05s", "12s"; "?" while unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null) return "?";
  const s = Math.ceil(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

export const formatCount = (value: number) => Math.round(value).toLocaleString("en-US");
