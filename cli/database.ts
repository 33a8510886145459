/**
 * The database the CLI works in. It must be named: by --database-url (or
 * $DATABASE_URL) with a database in its path, or by PGDATABASE. Otherwise
 * PostgreSQL would pick the user's name, usually "postgres", and the
 * versions would land in the maintenance database, which every other tool
 * connects to and which is the last place a migration belongs; naming
 * postgres, template0 or template1 explicitly still works.
 */
import { MigrationError, urlFromPgEnvironment } from "../engine";

const MAINTENANCE_DATABASES: ReadonlySet<string> = new Set(["postgres", "template0", "template1"]);
const PG_VARIABLES = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"] as const;

const HOW_TO_NAME =
  "name the database in the URL (--database-url postgresql://user@host:5432/servicedesk, or $DATABASE_URL) or in PGDATABASE";

/** Whether the flag or the environment says where to connect at all (named or not). */
export function targetGiven(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(flag || env.DATABASE_URL || PG_VARIABLES.some((name) => env[name]));
}

export function targetDatabaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const given = flag || env.DATABASE_URL;
  let url: URL;
  if (given) {
    try {
      url = new URL(given);
    } catch {
      return given; // connect() refuses it with CONNECTION_FAILED, never echoing what may hold a password
    }
  } else if (PG_VARIABLES.some((name) => env[name])) {
    url = new URL(urlFromPgEnvironment(env));
  } else {
    throw new MigrationError("DATABASE_NOT_NAMED", `no database is named: ${HOW_TO_NAME}`);
  }
  const inPath = given ? decodeURIComponent(url.pathname.replace(/^\//, "")) : "";
  if (inPath) return given!;
  const database = env.PGDATABASE;
  if (!database) {
    // What libpq and node-postgres would fall back on: the user's name.
    const user = decodeURIComponent(url.username) || env.PGUSER || env.USER || "postgres";
    const fallback = MAINTENANCE_DATABASES.has(user)
      ? `the maintenance database "${user}"`
      : `the database named after the user, "${user}"`;
    throw new MigrationError("DATABASE_NOT_NAMED", `the connection names no database, so PostgreSQL would use ${fallback}: ${HOW_TO_NAME}`);
  }
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}
