/**
 * Where a worker thread's script is. Compiled, it sits beside the caller.
 * Run from TypeScript (ts-jest, ts-node), the compiled worker in dist/ is
 * used when present (the test setup builds it), else the source through
 * ts-node, which compiles on every start.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";

/** `relative` is the worker's path from engine/ without extension, e.g. "load/reader-worker". */
export function workerScript(relative: string): { script: string; execArgv: string[] } {
  if (!__filename.endsWith(".ts")) return { script: path.join(__dirname, `${relative}.js`), execArgv: [] };
  const compiled = path.resolve(__dirname, "../dist/engine", `${relative}.js`);
  if (existsSync(compiled)) return { script: compiled, execArgv: [] };
  return { script: path.join(__dirname, `${relative}.ts`), execArgv: ["-r", "ts-node/register/transpile-only"] };
}
