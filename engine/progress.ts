/** Progress of a migration, as events a CLI, a log or the Pulumi engine can show. */

export type Phase = "inspect" | "health" | "gate" | "canary" | "backup" | "load" | "keys" | "indexes" | "validation" | "cutover";

export interface ProgressEvent {
  readonly phase: Phase;
  readonly message: string;
  readonly table?: string;
  /** Rows done and total, for phases that move rows. */
  readonly done?: number;
  readonly total?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

/**
 * Forwards row-count events at most every `intervalMs` per table (and always
 * the first and the last), so a long load reports steadily without flooding.
 */
export function throttled(listener: ProgressListener, intervalMs = 2000): ProgressListener {
  const last = new Map<string, number>();
  return (event) => {
    if (event.done === undefined || event.total === undefined) return listener(event);
    const key = `${event.phase}:${event.table ?? ""}`;
    const now = Date.now();
    const previous = last.get(key);
    if (previous !== undefined && event.done < event.total && now - previous < intervalMs) return;
    last.set(key, now);
    listener(event);
  };
}
