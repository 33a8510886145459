/**
 * A private PostgreSQL 15 cluster for tests that restart or break the
 * server: the system's binaries, a data folder of its own, a free port.
 * Runs as the postgres user when the tests run as root (PostgreSQL refuses
 * root).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { freePort } from "./ports";

const BIN = process.env.PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";

export interface PrivateServer {
  readonly port: number;
  /** URL of a database on it (created by createDatabase). */
  url(database: string): string;
  createDatabase(name: string): void;
  /** pg_ctl restart -m fast: every connection is cut. */
  restart(): void;
  stop(): void;
}

function asPostgres(command: string, args: string[]): string {
  const root = process.getuid?.() === 0;
  return root
    ? execFileSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
    : execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export async function startPrivateServer(): Promise<PrivateServer> {
  const root = mkdtempSync(path.join(tmpdir(), "sdm-pgserver-"));
  chmodSync(root, 0o755);
  const data = path.join(root, "data");
  const port = await freePort();
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
    chownSync(root, uid, gid);
  }
  asPostgres(path.join(BIN, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${root} -c fsync=off`;
  const ctl = (...args: string[]) =>
    asPostgres(path.join(BIN, "pg_ctl"), ["-D", data, "-o", options, "-l", path.join(root, "log"), "-w", ...args]);
  ctl("start");
  const url = (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    createDatabase(name) {
      execFileSync("psql", [url("postgres"), "-v", "ON_ERROR_STOP=1", "-qc", `CREATE DATABASE "${name}"`]);
    },
    restart: () => void ctl("restart", "-m", "fast"),
    stop() {
      try {
        ctl("stop", "-m", "fast");
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
