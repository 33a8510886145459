/**
 * Runs one command as a contender: wall time from spawn to exit, peak RSS of
 * its process tree, the tails of its output, and a deadline. The child leads
 * its own process group, so a timeout or Ctrl-C ends the whole pipeline it
 * started (bash, sqlite3, psql) and nothing else.
 */
import { spawn } from "node:child_process";
import { RssPeak, sampleTreeRss } from "./process-tree-rss";

export interface MeasuredRunOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Killed (the whole group) after this long; the run then reports timedOut. */
  readonly timeoutSeconds: number;
  /** Each line of stderr as it comes, e.g. to show progress. */
  readonly onStderrLine?: (line: string) => void;
}

export interface MeasuredRun {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly wallSeconds: number;
  readonly rss: RssPeak;
  /** The last OUTPUT_TAIL_CHARS of stdout and of stderr. */
  readonly stdout: string;
  readonly stderr: string;
}

const OUTPUT_TAIL_CHARS = 64 * 1024;

/** Process groups of the runs in flight, for interruptGroups(). */
const running = new Set<number>();

/** Sends SIGTERM to every run in flight (the bench was interrupted); their promises then settle. */
export function interruptGroups(): void {
  for (const pgid of running) {
    try {
      process.kill(-pgid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

function keepTail(previous: string, chunk: string): string {
  const joined = previous + chunk;
  return joined.length > OUTPUT_TAIL_CHARS ? joined.slice(joined.length - OUTPUT_TAIL_CHARS) : joined;
}

export function measuredRun(options: MeasuredRunOptions): Promise<MeasuredRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let pending = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout = keepTail(stdout, chunk)));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = keepTail(stderr, chunk);
      if (!options.onStderrLine) return;
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) options.onStderrLine(line);
    });
    child.once("error", (error) => reject(new Error(`cannot run ${options.command}: ${error.message}`)));
    if (child.pid === undefined) return; // spawn failed: "error" follows
    const pgid = child.pid;
    running.add(pgid);
    const sampler = sampleTreeRss(pgid);
    const deadline = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }, options.timeoutSeconds * 1000);
    child.once("close", (code, signal) => {
      const wallSeconds = (performance.now() - started) / 1000;
      clearTimeout(deadline);
      running.delete(pgid);
      if (pending !== "") options.onStderrLine?.(pending);
      resolve({ exitCode: code, signal, timedOut, wallSeconds, rss: sampler.stop(), stdout, stderr });
    });
  });
}
