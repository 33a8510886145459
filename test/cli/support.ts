/** The CLI from dist/ for the tests of test/cli: with an exact environment, or in a pseudo-terminal. */
import { spawn } from "node:child_process";
import { CLI } from "../reliability/support";

export { CLI };

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Variables that name a database: the tests of the default database control each of them. */
const TARGET_VARIABLES = ["DATABASE_URL", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"];

/**
 * `servicedesk-migrate <args>` with this process's environment minus every
 * variable that names a database, plus `env`.
 */
export function cli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return run(process.execPath, [CLI, ...args], options);
}

/**
 * `command` in a pseudo-terminal of 120 columns (script(1)), so stdout and
 * stderr are a TTY; what the terminal received comes back as stdout.
 */
export function inTerminal(command: string, options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  return run("script", ["-qfec", `stty cols 120 rows 40; ${command}`, "/dev/null"], options);
}

function run(
  file: string,
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !TARGET_VARIABLES.includes(name)) env[name] = value;
  const child = spawn(file, args, { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The CLI's one-paragraph failure message: the last line of stderr. */
export const lastLine = (text: string) => text.trim().split("\n").pop() ?? "";
