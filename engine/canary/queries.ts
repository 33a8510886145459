/**
 * The canary's test queries: the dashboards' kind of questions, run on the
 * canary schema before it is thrown away. ServiceDesk queries run when the
 * tables and columns they read exist; user SQL always runs.
 */

export interface TestQuery {
  readonly name: string;
  readonly sql: string;
  /** Table -> columns the query reads (PostgreSQL names); skipped when any is missing. */
  readonly needs?: Readonly<Record<string, readonly string[]>>;
}

export const SERVICEDESK_TEST_QUERIES: readonly TestQuery[] = [
  {
    name: "open tickets by priority",
    sql: "SELECT priority, count(*) AS tickets FROM tickets WHERE status NOT IN ('closed', 'resolved') GROUP BY priority ORDER BY priority",
    needs: { tickets: ["priority", "status"] },
  },
  {
    name: "tickets created per month",
    sql: "SELECT date_trunc('month', created_at) AS month, count(*) AS tickets FROM tickets GROUP BY 1 ORDER BY 1",
    needs: { tickets: ["created_at"] },
  },
  {
    name: "mean time to resolve, in hours",
    sql: "SELECT avg(extract(epoch FROM resolved_at - created_at) / 3600) AS hours FROM tickets WHERE resolved_at IS NOT NULL",
    needs: { tickets: ["created_at", "resolved_at"] },
  },
  {
    name: "comments per ticket",
    sql: "SELECT t.id, count(c.id) AS comments FROM tickets t LEFT JOIN comments c ON c.ticket_id = t.id GROUP BY t.id ORDER BY comments DESC LIMIT 20",
    needs: { tickets: ["id"], comments: ["id", "ticket_id"] },
  },
  {
    name: "hours logged per technician",
    sql: "SELECT technician, sum(hours) AS hours FROM timesheets GROUP BY technician ORDER BY hours DESC",
    needs: { timesheets: ["technician", "hours"] },
  },
];

/** The queries whose tables and columns exist in the plan, then the user's. */
export function applicableQueries(
  tables: readonly { name: string; columns: readonly { name: string }[] }[],
  userQueries: readonly string[] = [],
): TestQuery[] {
  const has = (table: string, columns: readonly string[]) => {
    const found = tables.find((t) => t.name === table);
    return found !== undefined && columns.every((c) => found.columns.some((col) => col.name === c));
  };
  const builtIn = SERVICEDESK_TEST_QUERIES.filter((q) => Object.entries(q.needs ?? {}).every(([table, columns]) => has(table, columns)));
  return [...builtIn, ...userQueries.map((sql, i) => ({ name: `user query ${i + 1}`, sql }))];
}
