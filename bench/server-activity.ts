/**
 * Other sessions on the same server and CPUs skew every figure: the bench
 * waits (a while) for them to go quiet before each contender, and samples
 * them once a second while it runs, so the results say how busy the server
 * was besides the bench. The bench's own sessions are those connected to
 * its databases (sdbench_*: the engine, psql, pg_dump, pgloader) and its
 * admin connections (CREATE/DROP DATABASE, CHECKPOINT), named by
 * application_name.
 */
import { Client } from "pg";
import { BENCH_APPLICATION_NAME, DATABASE_PREFIX } from "./databases";

const WATCH_INTERVAL_MS = 1000;

const OTHERS_ACTIVE_SQL = `SELECT coalesce(datname, '') AS datname FROM pg_stat_activity
  WHERE backend_type = 'client backend' AND state = 'active' AND pid <> pg_backend_pid()
    AND coalesce(datname, '') NOT LIKE '${DATABASE_PREFIX.replace(/_/g, "\\_")}%'
    AND application_name NOT LIKE '${BENCH_APPLICATION_NAME}%'`;

export interface ActivityReport {
  readonly samples: number;
  /** Samples in which at least one statement of another session was running. */
  readonly busySamples: number;
  readonly maxOtherStatements: number;
  readonly otherDatabases: readonly string[];
  /** Seconds spent waiting for a quiet server before the contender started. */
  readonly waitedSeconds: number;
}

async function othersActive(client: Client): Promise<string[]> {
  return (await client.query<{ datname: string }>(OTHERS_ACTIVE_SQL)).rows.map((r) => r.datname);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until two samples a second apart find no other statement running, or `maxSeconds` passed. */
async function waitForQuiet(client: Client, maxSeconds: number): Promise<number> {
  const started = performance.now();
  let quiet = 0;
  while (quiet < 2 && performance.now() - started < maxSeconds * 1000) {
    quiet = (await othersActive(client)).length === 0 ? quiet + 1 : 0;
    if (quiet < 2) await sleep(WATCH_INTERVAL_MS);
  }
  return (performance.now() - started) / 1000;
}

/** Runs `fn` between a wait for quiet and a once-a-second watch of other sessions. */
export async function watchingActivity<T>(
  serverUrl: string,
  maxWaitSeconds: number,
  fn: () => Promise<T>,
): Promise<{ result: T; activity: ActivityReport }> {
  const client = new Client({ connectionString: serverUrl, application_name: `${BENCH_APPLICATION_NAME}-watch` });
  await client.connect();
  try {
    const waitedSeconds = await waitForQuiet(client, maxWaitSeconds);
    let samples = 0;
    let busySamples = 0;
    let maxOtherStatements = 0;
    const databases = new Set<string>();
    let inFlight: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      inFlight = inFlight.then(async () => {
        const others = await othersActive(client).catch(() => null);
        if (others === null) return;
        samples++;
        if (others.length > 0) busySamples++;
        maxOtherStatements = Math.max(maxOtherStatements, others.length);
        for (const d of others) databases.add(d);
      });
    }, WATCH_INTERVAL_MS);
    try {
      const result = await fn();
      return { result, activity: { samples, busySamples, maxOtherStatements, otherDatabases: [...databases].sort(), waitedSeconds } };
    } finally {
      clearInterval(timer);
      await inFlight;
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
