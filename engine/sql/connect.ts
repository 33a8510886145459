/**
 * Connections to PostgreSQL with errors that say where and why, and never
 * the password: "cannot connect to postgres@db:5432/app: password
 * authentication failed for user ...".
 */
import { Client, ClientBase } from "pg";
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

/** URL schemes the driver reads as a PostgreSQL server (socket: names a Unix socket folder). */
const POSTGRES_SCHEMES = new Set(["postgres:", "postgresql:", "socket:"]);

export async function connect(databaseUrl: string, options: { timeoutMs?: number } = {}): Promise<Client> {
  // The driver ignores the scheme: "mysql://app@db/app" would be tried as PostgreSQL.
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(databaseUrl)?.[1].toLowerCase();
  if (scheme !== undefined && !POSTGRES_SCHEMES.has(scheme)) {
    throw new MigrationError(
      "CONNECTION_FAILED",
      `invalid connection URL ${describeConnection(databaseUrl)}: the scheme is ${scheme}// but must be postgresql:// (or postgres://)`,
    );
  }
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

/**
 * Refuses a role that cannot create schemas in the database before anything
 * is read or written: every load creates one, and without this the first
 * CREATE SCHEMA (the canary's, or the load's after a long read) is where it
 * would surface. Names the role, the database and the grant that is missing.
 */
export async function requireCreatePrivilege(client: Client, databaseUrl: string): Promise<void> {
  const { rows } = await client.query<{ role: string; database: string; can_create: boolean }>(
    "SELECT current_user AS role, current_database() AS database, has_database_privilege(current_database(), 'CREATE') AS can_create",
  );
  const { role, database, can_create } = rows[0];
  if (can_create) return;
  throw new MigrationError(
    "PERMISSION_DENIED",
    `role "${role}" cannot create schemas in database "${database}" (${describeConnection(databaseUrl)}): ` +
      `permission denied for database ${database}. Grant it with: GRANT CREATE ON DATABASE "${database.replace(/"/g, '""')}" TO "${role.replace(/"/g, '""')}"`,
  );
}

/** The server the PG* variables name (libpq's defaults otherwise: 127.0.0.1:5432, user postgres), as a URL. */
/** The server's version, "17.10", and its major, 17 (server_version_num: 170010). */
export async function serverVersion(client: ClientBase): Promise<{ version: string; major: number }> {
  const { rows } = await client.query<{ num: string; version: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version",
  );
  return { version: rows[0].version.split(" ")[0], major: Math.floor(Number(rows[0].num) / 10000) };
}

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

/** Runs `fn` with a connection of its own, closed afterwards whatever happens. */
export async function withClient<T>(databaseUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(databaseUrl);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
