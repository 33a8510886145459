/**
 * The first check of an export's view, on its SQL alone: what it may read
 * (the export's tables and views, its own WITH names) and call (SQLite's
 * functions the translator knows), wherever the SQL hides it: subqueries,
 * WITH clauses that shadow a name only inside their scope, parenthesized
 * joins, table functions, quoted or qualified names. Each refusal names
 * the relation or function.
 */
import { parseCreateView, refusedViews, vetView } from "../../engine/views";

const EXPORT = new Set(["tickets", "comments", "open tickets"]);
const vet = (select: string) => vetView(parseCreateView(`CREATE VIEW v AS ${select}`), (name) => EXPORT.has(name.toLowerCase()));

describe("what a view may read", () => {
  it.each([
    ["SELECT id FROM tickets"],
    ["SELECT t.id, c.body FROM tickets AS t JOIN comments c ON c.ticket = t.id"],
    ["SELECT id FROM main.tickets"],
    ['SELECT * FROM "Open Tickets"'],
    ["SELECT * FROM tickets, comments WHERE tickets.id = comments.ticket"],
    ["SELECT id FROM tickets WHERE id IN (SELECT ticket FROM comments)"],
    ["WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3) SELECT n FROM c"],
    ["WITH a AS (SELECT id FROM tickets), b AS NOT MATERIALIZED (SELECT id FROM a) SELECT * FROM b"],
    ["SELECT * FROM (SELECT id FROM tickets) AS s"],
    ["SELECT t.id FROM (tickets AS t CROSS JOIN comments)"],
    ["SELECT count(*) OVER (PARTITION BY id) AS n, upper(title) FROM tickets"],
  ])("accepts %s", (select) => {
    expect(vet(select)).toBeNull();
  });

  it.each([
    ["SELECT rolpassword FROM pg_authid", 'reads "pg_authid", which is not a table or view of the export'],
    ["SELECT * FROM pg_statistic", 'reads "pg_statistic", which is not a table or view of the export'],
    ["SELECT * FROM main.pg_stats", 'reads "pg_stats", which is not a table or view of the export'],
    [
      "SELECT * FROM pg_catalog.pg_authid",
      'reads "pg_catalog"."pg_authid", a relation of another schema; a view may read only the export\'s tables and views',
    ],
    [
      'SELECT * FROM "servicedesk_control"."claims"',
      'reads "servicedesk_control"."claims", a relation of another schema; a view may read only the export\'s tables and views',
    ],
    [
      "SELECT id, (SELECT rolpassword FROM pg_authid LIMIT 1) AS x FROM tickets",
      'reads "pg_authid", which is not a table or view of the export',
    ],
    // The WITH name shadows pg_authid only inside the subquery that defines it.
    [
      "SELECT * FROM (WITH pg_authid AS (SELECT 1 AS x) SELECT x FROM pg_authid) AS a, pg_authid",
      'reads "pg_authid", which is not a table or view of the export',
    ],
    ["SELECT t.id FROM (pg_authid CROSS JOIN tickets AS t)", 'reads "pg_authid", which is not a table or view of the export'],
    ["SELECT id FROM tickets WHERE EXISTS (SELECT 1 FROM _rejects)", 'reads "_rejects", which is not a table or view of the export'],
    ["SELECT a.b.c FROM tickets", 'names "a"."b"."c", a column of another schema\'s relation'],
  ])("refuses %s", (select, reason) => {
    expect(vet(select)).toBe(reason);
  });
});

describe("what a view may call", () => {
  const notKnown = (name: string) =>
    `calls ${name}(), which is not one of the SQLite functions the translator knows a PostgreSQL equivalent of`;
  it.each([
    ["SELECT pg_read_file('/etc/passwd') AS x", notKnown("pg_read_file")],
    ["SELECT * FROM pg_ls_dir('.')", notKnown("pg_ls_dir")],
    ["SELECT current_setting('data_directory') AS x", notKnown("current_setting")],
    ["SELECT set_config('statement_timeout', '1', 0) AS x", notKnown("set_config")],
    ["SELECT pg_terminate_backend(pg_backend_pid()) AS x", notKnown("pg_terminate_backend")],
    ["SELECT query_to_xml('select 1', 1, 1, '') AS x", notKnown("query_to_xml")],
    ["SELECT pg_advisory_lock(1) AS x", notKnown("pg_advisory_lock")],
    ["SELECT id FROM tickets WHERE upper(pg_sleep(5)) = ''", notKnown("pg_sleep")],
    ["SELECT lo_import('/etc/passwd') AS x", notKnown("lo_import")],
    ["SELECT instr(title, 'a') AS x FROM tickets", notKnown("instr")],
    [
      `SELECT "pg_read_file"('/etc/passwd') AS x`,
      `calls "pg_read_file"(...), a function by a quoted or qualified name; a view may call only SQLite's functions the translator knows, by their plain names`,
    ],
    [
      `SELECT [pg_catalog].[pg_sleep](1) AS x`,
      `calls "pg_catalog"."pg_sleep"(...), a function by a quoted or qualified name; a view may call only SQLite's functions the translator knows, by their plain names`,
    ],
    [`SELECT "regclass" 'pg_authid' AS x FROM tickets`, `names "regclass" before a string, which PostgreSQL reads as a value of that type`],
  ])("refuses %s", (select, reason) => {
    expect(vet(select)).toBe(reason);
  });

  it("accepts SQLite's functions it knows, and the date functions it rewrites", () => {
    expect(vet("SELECT coalesce(title, ''), ifnull(title, ''), length(title), date('now'), strftime('%Y', 'now') FROM tickets")).toBeNull();
  });
});

describe("refusedViews", () => {
  it("lists every refused view by name, and leaves SQL it cannot read to the load's report", () => {
    const views = [
      { name: "ok", sql: "CREATE VIEW ok AS SELECT id FROM tickets" },
      { name: "leak", sql: "CREATE VIEW leak AS SELECT rolpassword FROM pg_authid" },
      { name: "broken", sql: "CREATE VIEW broken AS SELECT 'open" },
    ];
    expect(refusedViews(views, ["tickets", ...views.map((v) => v.name)])).toEqual([
      { view: "leak", message: 'reads "pg_authid", which is not a table or view of the export' },
    ]);
  });
});

describe("what reaches PostgreSQL of the SQL's text", () => {
  it("gives a comment as one space: PostgreSQL nests block comments where SQLite does not", () => {
    const { body } = parseCreateView("CREATE VIEW v AS SELECT /* /* */ 'x */ rolpassword FROM pg_authid --' AS a FROM tickets");
    expect(body.map((t) => (t.kind === "space" ? t.value : t.text)).join("")).toBe(
      " SELECT   'x */ rolpassword FROM pg_authid --' AS a FROM tickets",
    );
  });

  it("separates tokens by SQLite's whitespace only, and refuses a NUL", () => {
    const { body } = parseCreateView("CREATE VIEW v AS SELECT a\u00a0b FROM tickets");
    expect(body.filter((t) => t.kind === "word").map((t) => t.text)).toEqual(["SELECT", "a\u00a0b", "FROM", "tickets"]);
    expect(() => parseCreateView("CREATE VIEW v AS SELECT 'a\0b'")).toThrow("its SQL cannot be read: a NUL character at offset 26");
  });
});
