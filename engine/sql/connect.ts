/**
 * Connections to PostgreSQL with errors that say where and why, and never
 * the password: "cannot connect to postgres@db:5432/app: password
 * authentication failed for user ...".
 */
import { Client } from "pg";
import { MigrationError } from "../errors";

export const APPLICATION_NAME = "servicedesk-migration";

/** user@host:port/database, for messages (no password). */
export function describeConnection(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || "(default database)";
    return `${decodeURIComponent(url.username) || "(default user)"}@${url.hostname || "localhost"}:${url.port || "5432"}/${database}`;
  } catch {
    return "(an unparseable connection URL)";
  }
}

/** Removes the password of a URL from a text (driver messages may echo it). */
export function redactPassword(text: string, databaseUrl: string): string {
  try {
    const password = decodeURIComponent(new URL(databaseUrl).password);
    return password ? text.split(password).join("***") : text;
  } catch {
    return text;
  }
}

export async function connect(databaseUrl: string, options: { timeoutMs?: number } = {}): Promise<Client> {
  let client: Client;
  try {
    client = new Client({
      connectionString: databaseUrl,
      application_name: APPLICATION_NAME,
      connectionTimeoutMillis: options.timeoutMs ?? 10_000,
    });
  } catch (error) {
    throw new MigrationError("CONNECTION_FAILED", `invalid connection URL: ${redactPassword((error as Error).message, databaseUrl)}`);
  }
  // A server that goes away mid-run surfaces as an error on the next query;
  // without a listener it would crash the process instead.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    const reason = redactPassword((error as Error).message || String(error), databaseUrl);
    throw new MigrationError("CONNECTION_FAILED", `cannot connect to ${describeConnection(databaseUrl)}: ${reason}`, { cause: error });
  }
  return client;
}

/** The server the PG* variables name (libpq's defaults otherwise: 127.0.0.1:5432, user postgres), as a URL. */
export function urlFromPgEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  const url = new URL("postgresql://localhost");
  url.hostname = env.PGHOST ?? "127.0.0.1";
  url.port = env.PGPORT ?? "5432";
  url.username = env.PGUSER ?? "postgres";
  if (env.PGPASSWORD) url.password = env.PGPASSWORD;
  url.pathname = `/${env.PGDATABASE ?? "postgres"}`;
  return url.toString();
}

/** Whether a server answers a query at `databaseUrl` within a few seconds. */
export async function serverAnswers(databaseUrl: string, timeoutMs = 3000): Promise<boolean> {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs, application_name: APPLICATION_NAME });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
