/** Pieces of a postgresql:// URL, for providers that want them apart. Pure, so mocks can test it. */

export interface ConnectionParts {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  /** The URL's sslmode; "disable" without one, as node-postgres connects then. */
  sslmode: string;
}

export function connectionParts(url: string): ConnectionParts {
  const parsed = new URL(url);
  return {
    host: parsed.hostname || "127.0.0.1",
    port: Number(parsed.port || 5432),
    username: decodeURIComponent(parsed.username) || "postgres",
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "postgres",
    sslmode: parsed.searchParams.get("sslmode") ?? "disable",
  };
}

/** The URL of a database on a local container published on `port`. */
export function containerConnection(port: number, password: string, database: string): string {
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}
