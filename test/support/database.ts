/**
 * Test harness: a fresh PostgreSQL database per test file, dropped afterwards.
 *
 * The server comes from DATABASE_URL, else the PG* variables, else
 * postgresql://postgres@127.0.0.1:5432. When none of those is set, the default
 * server does not answer and a Docker engine is reachable, one PostgreSQL 15
 * container is started with testcontainers instead.
 */
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { serverAnswers, urlFromPgEnvironment } from "../../engine/sql/connect";
import { quoteIdent } from "../../engine/sql/identifiers";

const DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  /** Connection URL of the fresh database. */
  readonly url: string;
  /** Its name. */
  readonly name: string;
  /** URL of the maintenance database on the same server. */
  readonly serverUrl: string;
}

function configuredServerUrl(): string | undefined {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const { PGHOST, PGPORT, PGUSER, PGDATABASE } = process.env;
  if (!PGHOST && !PGPORT && !PGUSER && !PGDATABASE) return undefined;
  return urlFromPgEnvironment();
}

let containerUrl: Promise<string> | undefined;

async function startContainer(): Promise<string> {
  const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
  const container = await new PostgreSqlContainer("postgres:15").start();
  return container.getConnectionUri();
}

async function dockerReachable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** The server the tests use; see the module comment for the order. */
export async function resolveServerUrl(): Promise<string> {
  const configured = configuredServerUrl();
  if (configured) return configured;
  if (await serverAnswers(DEFAULT_SERVER_URL)) return DEFAULT_SERVER_URL;
  if (await dockerReachable()) {
    containerUrl ??= startContainer();
    return containerUrl;
  }
  throw new Error(
    `No PostgreSQL for the tests: ${DEFAULT_SERVER_URL} does not answer, DATABASE_URL and PG* are unset, ` +
      "and no Docker engine is reachable for testcontainers.",
  );
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** Creates a uniquely named empty database, on `server` (a maintenance URL) or the tests' server. */
export async function createTestDatabase(label: string, server?: string): Promise<TestDatabase> {
  const serverUrl = server ?? (await resolveServerUrl());
  const safeLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .slice(0, 30);
  const name = `sdm_t_${safeLabel}_${randomBytes(4).toString("hex")}`;
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } finally {
    await client.end();
  }
  return { url: withDatabase(serverUrl, name), name, serverUrl };
}

export async function dropTestDatabase(db: TestDatabase): Promise<void> {
  const client = new Client({ connectionString: db.serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(db.name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Registers beforeAll/afterAll hooks giving the calling test file its own
 * database, on the tests' server or on the one `server` gives (the version
 * matrix's). Read `.url` inside tests, not at module load.
 */
export function useTestDatabase(label: string, server?: () => string): { readonly url: string; readonly db: TestDatabase } {
  let db: TestDatabase | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(label, server?.());
  });
  afterAll(async () => {
    if (db && !process.env.KEEP_TEST_DATABASES) await dropTestDatabase(db);
  });
  return {
    get url() {
      if (!db) throw new Error("the test database exists only inside tests");
      return db.url;
    },
    get db() {
      if (!db) throw new Error("the test database exists only inside tests");
      return db;
    },
  };
}

/** Runs `fn` on a short-lived connection to `url`, closed however it ends. */
export async function withConnection<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs one query on a short-lived connection and returns its rows. */
export async function queryRows<T extends Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return withConnection(url, async (client) => (await client.query<T>(sql, params)).rows);
}
