/**
 * How many tables a load runs at once. Each stream is a PostgreSQL session
 * whose backend parses its COPY on one core while this process's readers
 * convert rows on others, so a server on this machine gets half its cores;
 * PostgreSQL reports no core count of its own, so a server elsewhere gets
 * one stream unless the operator sets more (docs/ARCHITECTURE.md, "Parallel
 * streams").
 */
import { availableParallelism } from "node:os";
import type { ClientBase } from "pg";

/** More sessions than this only queue behind each other's locks and the server's cores. */
export const MAX_STREAMS = 16;

/** A server reached over a Unix socket or a loopback address runs on this machine. */
const SERVER_IS_LOCAL_SQL = `
  SELECT inet_server_addr() IS NULL OR inet_server_addr() <<= inet '127.0.0.0/8' OR inet_server_addr() = inet '::1' AS local`;

export async function resolveStreams(client: ClientBase, requested: number | "auto"): Promise<number> {
  if (requested !== "auto") return requested;
  const { rows } = await client.query<{ local: boolean }>(SERVER_IS_LOCAL_SQL);
  return rows[0].local ? Math.min(MAX_STREAMS, Math.max(1, Math.floor(availableParallelism() / 2))) : 1;
}
